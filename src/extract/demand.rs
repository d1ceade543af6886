//! Helper records on demand: rules whose records are never printed are matched only in the
//! sentences where a printed record could read them.
//!
//! A helper type (`output = false`, such as `agr_party`) reaches the output in two ways
//! only: a rule links to it (`[[rule.link]] record = "agr_party"`), and a link reads the
//! records of its own sentence; or a type absorbs it (`absorb = { type = …,
//! within_sentences = n }`), and a record folds into one of the absorbing type at most `n`
//! sentences before it. Overlaps and one-record-per-sentence are settled within a sentence.
//! So a helper record in a sentence where no reader has a candidate can change nothing, and
//! its rules need not run there: extraction first matches every other rule, then the helper
//! rules in the sentences their readers' candidates ask for. In the default rules the
//! agreement parties were a quarter of all matching steps and most of the records built,
//! though most sentences hold no agreement trigger: on a 5 MB sample of the bench corpus,
//! attempts fell from 174 k to 132 k and matching steps from 6.5 M to 5.6 M.
//!
//! Where that reasoning would not hold, a helper type runs everywhere as before: when it
//! merges records across the document (`merge_on`), when another helper type reads it
//! (which would itself run on demand), or when its rules share a grammar group with rules
//! of a printed type (the group is matched once for all its members).
//!
//! Explanations ([`super::Extractor::trace`]) match every rule everywhere: they show every
//! candidate, wanted or not, and their records are the same (a test compares the two).

use super::DOCUMENT;
use super::matcher::Groups;
use crate::rules::RuleSet;

/// Which rule groups run on demand, and which candidates create demand for them.
#[derive(Debug, Clone, Default)]
pub struct Demand {
    /// Per group: the helper types (positions in `helpers`) of its members, when every
    /// member makes a helper type that runs on demand; `None`: the group runs everywhere.
    on_demand: Vec<Option<Vec<usize>>>,
    /// Per rule: (helper, sentences after) for every helper type its candidates ask for: a
    /// candidate in sentence `s` wants that helper in sentences `s..=s + after`.
    wants: Vec<Vec<(usize, usize)>>,
    /// The helper types that run on demand, by name.
    helpers: Vec<String>,
    /// The helper types read only by the type that absorbs them (see
    /// [`Demand::read_only_by_absorption`]).
    absorbed_only: Vec<String>,
}

/// The sentences each on-demand helper type is wanted in, for one document.
#[derive(Debug, Clone)]
pub struct Wanted {
    /// helper * sentences + sentence -> wanted.
    wanted: Vec<bool>,
    sentences: usize,
}

impl Demand {
    /// Works out, once per rule set, which groups of `groups` run on demand.
    pub fn new(set: &RuleSet, groups: &Groups) -> Demand {
        let readers = readers(set);
        let absorbed = |name: &str| absorbed(set, name);
        let printed = |t: &str| t == DOCUMENT || set.records.get(t).is_none_or(|rt| rt.output);
        let helpers: Vec<String> = set
            .records
            .iter()
            .filter(|(name, rt)| {
                !printed(name)
                    && rt.merge_on.is_empty()
                    && readers
                        .iter()
                        .filter(|(t, _, _)| t == name)
                        .all(|(_, reader, _)| printed(reader))
            })
            .map(|(name, _)| name.clone())
            .collect();
        let helper = |t: &str| helpers.iter().position(|h| h == t);
        let on_demand = groups
            .groups
            .iter()
            .map(|g| {
                g.members
                    .iter()
                    .map(|&r| helper(&set.rules[r].emits))
                    .collect::<Option<Vec<usize>>>()
                    .map(|mut hs| {
                        hs.sort_unstable();
                        hs.dedup();
                        hs
                    })
            })
            .collect();
        // A rule asks for the helpers its own links read, and for the helper its type
        // absorbs.
        let wants = set
            .rules
            .iter()
            .map(|r| {
                let links = r.links.iter().filter_map(|l| l.record.as_deref());
                let mut wants: Vec<(usize, usize)> = links
                    .filter_map(|t| Some((helper(t)?, 0)))
                    .chain(absorbed(&r.emits).and_then(|(t, within)| Some((helper(t)?, within))))
                    .collect();
                wants.sort_unstable();
                wants.dedup();
                wants
            })
            .collect();
        let linked = |name: &str| {
            set.rules
                .iter()
                .any(|r| r.links.iter().any(|l| l.record.as_deref() == Some(name)))
        };
        let absorbs_it = |name: &str| {
            set.records
                .keys()
                .any(|t| absorbed(t).is_some_and(|(a, _)| a == name))
        };
        let absorbed_only = set
            .records
            .iter()
            .filter(|(name, rt)| {
                !printed(name)
                    && rt.merge_on.is_empty()
                    && rt.absorb.is_none()
                    && absorbs_it(name)
                    && !linked(name)
            })
            .map(|(name, _)| name.clone())
            .collect();
        Demand {
            on_demand,
            wants,
            helpers,
            absorbed_only,
        }
    }

    /// Whether records of type `ty` are read only when a record of another type absorbs
    /// them: never printed, read by no link, merged with none of their kind and absorbing
    /// nothing themselves. Such a record's links that cannot fail (those without `min`)
    /// change nothing until it is absorbed, and most never are (a bare `месторождение`
    /// with no deposit named before it), so extraction applies them only then.
    pub fn read_only_by_absorption(&self, ty: &str) -> bool {
        self.absorbed_only.iter().any(|t| t == ty)
    }

    /// Whether group `g` runs only where it is wanted.
    pub fn is_on_demand(&self, g: usize) -> bool {
        self.on_demand.get(g).is_some_and(Option::is_some)
    }

    /// Whether any group runs on demand.
    pub fn any(&self) -> bool {
        self.on_demand.iter().any(Option::is_some)
    }

    /// The helper types that run on demand.
    pub fn helpers(&self) -> &[String] {
        &self.helpers
    }

    /// The sentences (of `sentences`) each helper is wanted in, given the candidates found
    /// so far as (rule, sentence) pairs.
    pub fn wanted(
        &self,
        found: impl IntoIterator<Item = (usize, usize)>,
        sentences: usize,
    ) -> Wanted {
        let mut wanted = vec![false; self.helpers.len() * sentences];
        for (rule, s) in found {
            for &(h, after) in self.wants.get(rule).into_iter().flatten() {
                let row = &mut wanted[h * sentences..(h + 1) * sentences];
                let end = s.saturating_add(after).saturating_add(1).min(sentences);
                row[s.min(end)..end].fill(true);
            }
        }
        Wanted { wanted, sentences }
    }

    /// Whether on-demand group `g` runs in sentence `s`: some of its types are wanted there.
    pub fn runs(&self, wanted: &Wanted, g: usize, s: usize) -> bool {
        self.on_demand
            .get(g)
            .and_then(Option::as_ref)
            .is_some_and(|hs| hs.iter().any(|&h| wanted.get(h, s)))
    }
}

/// Who reads each record type: (read type, reader type, sentences after), for every link
/// to a record type (the reader's own sentence: 0 after) and every absorbed type. These are
/// the only ways records of one type reach records of another: overlaps, one record per
/// sentence and merges are settled within a type.
pub(crate) fn readers(set: &RuleSet) -> Vec<(&str, &str, usize)> {
    let links = set.rules.iter().flat_map(|r| {
        r.links
            .iter()
            .filter_map(|l| Some((l.record.as_deref()?, r.emits.as_str(), 0)))
    });
    let absorbs = set
        .records
        .keys()
        .filter_map(|name| absorbed(set, name).map(|(t, within)| (t, name.as_str(), within)));
    links.chain(absorbs).collect()
}

/// The type that record type `name` absorbs, and within how many sentences.
fn absorbed<'s>(set: &'s RuleSet, name: &str) -> Option<(&'s str, usize)> {
    set.records
        .get(name)
        .and_then(|rt| rt.absorb.as_ref())
        .map(|(t, within)| (t.as_str(), *within))
}

impl Wanted {
    /// Whether some helper is wanted in sentence `s`.
    pub fn any_in(&self, s: usize) -> bool {
        s < self.sentences
            && self
                .wanted
                .iter()
                .skip(s)
                .step_by(self.sentences)
                .any(|&w| w)
    }

    /// Whether helper `h` is wanted in sentence `s`.
    pub fn get(&self, h: usize, s: usize) -> bool {
        s < self.sentences
            && self
                .wanted
                .get(h * self.sentences + s)
                .copied()
                .unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Of the default helpers only the deposit anaphor is read by absorption alone: the
    /// agreement parties are read by links.
    #[test]
    fn only_helpers_no_link_reads_are_read_only_by_absorption() {
        let set = crate::bench::grown_rules(1).expect("default rules load");
        let demand = Demand::new(&set, &Groups::new(&set));
        assert!(demand.read_only_by_absorption("deposit_anaphor"));
        for ty in ["agr_party", "agr_org", "deposit", "amount", DOCUMENT] {
            assert!(!demand.read_only_by_absorption(ty), "{ty}");
        }
    }
}
