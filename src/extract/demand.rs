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

/// What one member of a group needs: (type, least number of records) of each of its links
/// that can fail.
type MemberNeeds = Vec<(usize, u32)>;

/// The groups whose members all need a few records of another type in their sentence, and
/// how many records each group's matches can make, to skip those groups where the sentence
/// cannot hold enough.
///
/// A link with `min = n` to a record type fails unless the sentence has `n` distinct values
/// of it, and a record whose link fails is not made. An agreement trigger needs two party
/// records, but most sentences that hold a trigger word name one country or none: its
/// matches there make no record, and the party rules it asks for are run for nothing. Each
/// try of a group (one place the prefilter lists) makes at most one match, so at most one
/// record per member (or any number, for an `each` member): the tries of the groups that
/// make a type bound how many of its records, and so of distinct values, a sentence can
/// hold, before any rule runs. Records whose span is their whole match begin where it was
/// tried, and two such records beginning at one place overlap, so only one of them is
/// kept: a place counts once for all of them (a country adjective is tried as a party and
/// as an organisation's lead). Where that bound is below what every member of a group needs,
/// the group is not run: its candidates could make no record and ask for no helper that
/// another reader does not ask for too. Explanations run every group.
#[derive(Debug, Clone, Default)]
pub struct Needs {
    /// The groups that can be skipped, each with what every member needs: per member, the
    /// (type, least number of records) of its links that can fail (a member is short when
    /// any of its needs is not met).
    needy: Vec<(usize, Vec<MemberNeeds>)>,
    /// Per group: whether it is in `needy` (most sentences try none, and are not looked at
    /// further).
    is_needy: Vec<bool>,
    /// Per group: (type, records one match can make beside those that begin where it was
    /// tried (`u32::MAX` for any number), whether it makes one that does) for every type
    /// some needy group needs.
    makes: Vec<Vec<(usize, u32, bool)>>,
    /// How many types are needed.
    types: usize,
}

impl Needs {
    /// Works out, once per rule set, which groups of `groups` need records of another type,
    /// and which groups make those records.
    pub fn new(set: &RuleSet, groups: &Groups) -> Needs {
        let mut types: Vec<(&str, &str)> = Vec::new();
        // Per group, per member: (type position, least) of its failable record links.
        let mut needy = Vec::new();
        for (g, group) in groups.groups.iter().enumerate() {
            let mut members = Vec::new();
            for &r in &group.members {
                let rule = &set.rules[r];
                let mut needs = Vec::new();
                for l in rule.links.iter().filter(|l| l.min > 0) {
                    let Some(ty) = l.record.as_deref() else {
                        continue;
                    };
                    // A link that also scans can find values with no record at all.
                    if l.scan.is_some() || ty == rule.emits {
                        continue;
                    }
                    let key = (ty, l.record_field.as_deref().unwrap_or(""));
                    let t = match types.iter().position(|k| *k == key) {
                        Some(t) => t,
                        None => {
                            types.push(key);
                            types.len() - 1
                        }
                    };
                    needs.push((t, u32::try_from(l.min).unwrap_or(u32::MAX)));
                }
                members.push(needs);
            }
            if !members.is_empty() && members.iter().all(|n| !n.is_empty()) {
                needy.push((g, members));
            }
        }
        // A record gives a link at most one value, and only when it has the field read (any
        // record gives its text, or all it has); a record of a type that absorbs others may
        // take its fields from them.
        let gives = |rule: &crate::rules::Rule, ty: &str, field: &str| {
            rule.emits == ty
                && (field.is_empty()
                    || field == "text"
                    || rule.fields.iter().any(|f| f.name == field)
                    || rule.links.iter().any(|l| l.field == field)
                    || set.records.get(ty).is_some_and(|rt| rt.absorb.is_some()))
        };
        let makes = groups
            .groups
            .iter()
            .map(|group| {
                types
                    .iter()
                    .enumerate()
                    .filter_map(|(t, &(ty, field))| {
                        let (mut loose, mut anchored) = (0u32, false);
                        for &r in &group.members {
                            let rule = &set.rules[r];
                            if !gives(rule, ty, field) {
                                continue;
                            }
                            if rule.each.is_some() {
                                loose = u32::MAX;
                            } else if rule.span.is_none()
                                && !set.grammar.first_set(&rule.entry).nullable
                            {
                                // Its span is its match, never empty, from where it was tried.
                                anchored = true;
                            } else {
                                loose = loose.saturating_add(1);
                            }
                        }
                        (loose > 0 || anchored).then_some((t, loose, anchored))
                    })
                    .collect()
            })
            .collect();
        let mut is_needy = vec![false; groups.groups.len()];
        for (g, _) in &needy {
            is_needy[*g] = true;
        }
        Needs {
            needy,
            is_needy,
            makes,
            types: types.len(),
        }
    }

    /// Whether some group needs records of another type.
    pub fn any(&self) -> bool {
        !self.needy.is_empty()
    }

    /// Whether group `g` needs records of another type (and may be short of them).
    pub fn is_needy(&self, g: usize) -> bool {
        self.is_needy.get(g).copied().unwrap_or(false)
    }

    /// Into `short`, the groups that cannot make a record in a sentence where the groups
    /// `tried` are tried, as (place, group) in the order of places, and the groups
    /// `anywhere` may begin anywhere: for every member, some type it needs has fewer
    /// records to be made there than it needs. `counts` is room for the bounds (per type:
    /// records, and the last place counted for the records that begin there).
    pub fn short(
        &self,
        tried: impl IntoIterator<Item = (usize, usize)>,
        anywhere: impl IntoIterator<Item = usize>,
        counts: &mut Vec<(u32, usize)>,
        short: &mut Vec<usize>,
    ) {
        short.clear();
        counts.clear();
        counts.resize(self.types, (0, usize::MAX));
        for (place, g) in tried {
            for &(t, loose, anchored) in self.makes.get(g).into_iter().flatten() {
                let (n, last) = &mut counts[t];
                *n = n.saturating_add(loose);
                if anchored && *last != place {
                    *n = n.saturating_add(1);
                    *last = place;
                }
            }
        }
        // A group tried at every word start can make any number.
        for g in anywhere {
            for &(t, ..) in self.makes.get(g).into_iter().flatten() {
                counts[t].0 = u32::MAX;
            }
        }
        for (g, members) in &self.needy {
            let lacks = |needs: &MemberNeeds| needs.iter().any(|&(t, n)| counts[t].0 < n);
            if members.iter().all(lacks) {
                short.push(*g);
            }
        }
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

    /// In the default rules only the agreement triggers need records of another type (two
    /// parties); a party mention makes one record per match, a C5 mention one per state (five
    /// rules share its group), and two names joined by «и» (an `each` rule) any number.
    #[test]
    fn agreement_triggers_need_two_parties_and_c5_makes_five() {
        let set = crate::bench::grown_rules(1).expect("default rules load");
        let groups = Groups::new(&set);
        let needs = Needs::new(&set, &groups);
        let group_of = |entry: &str| {
            groups
                .groups
                .iter()
                .position(|g| set.rules[g.members[0]].entry == entry)
                .unwrap_or_else(|| panic!("group {entry}"))
        };
        let needy: Vec<&str> = needs
            .needy
            .iter()
            .map(|(g, _)| set.rules[groups.groups[*g].members[0]].entry.as_str())
            .collect();
        assert_eq!(needy, ["agr_agreement_kk", "agr_agreement_ru"], "{needy:?}");
        let (trigger, members) = &needs.needy[1];
        assert_eq!(*trigger, group_of("agr_agreement_ru"));
        assert!(
            members
                .iter()
                .all(|n| n.iter().all(|&(_, least)| least == 2))
        );
        // Of every needed type (the parties, the organisations), in the same order.
        let makes = |entry: &str| needs.makes[group_of(entry)].clone();
        let party = needs.needy[1].1.iter().flatten().map(|&(t, _)| t).max();
        let party = party.expect("a needed type");
        // The C5 records' span is empty: five of them at one place.
        assert!(
            makes("agr_c5_ru").contains(&(party, 5, false)),
            "{:?}",
            makes("agr_c5_ru")
        );
        assert!(makes("agr_party_ru").contains(&(party, 0, true)));
        assert!(makes("agr_org_latin_ru").contains(&(party, 0, true)));
        assert!(makes("agr_coord_ru").iter().all(|&(_, n, _)| n == u32::MAX));
        // A blocker makes party records without a name: none a link can read.
        assert!(makes("agr_block_ru").is_empty());
        assert!(makes("agr_agreement_ru").is_empty());
    }
}
