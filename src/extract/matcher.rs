//! Finding candidate matches: which rules to try where, and running them (in nedra's
//! compiled PEG program, see [`crate::peg`]).
//!
//! A rule is tried only at a word start (or a non-alphanumeric character such as `$`) whose
//! character is in the first set of its entry rule, and a match must end at a word end, so
//! `3 т` never matches inside `3 тысячи`.

use super::tree::Tree;
use crate::peg::{Attempts, Limits, MatchError, Memo, RuleId};
use crate::rules::RuleSet;
use crate::text::Lang;
use crate::text::sentences::Sentence;
use std::collections::HashMap;

/// A grammar match of one rule, before it becomes a record.
#[derive(Debug, Clone)]
pub struct Candidate<'r> {
    /// Index of the rule in the rule set.
    pub rule: usize,
    /// Match start (normalised bytes).
    pub start: usize,
    /// Match end.
    pub end: usize,
    /// What matched, by grammar rule; shared by the candidates of one [`Group`] at the
    /// same place, which are otherwise copies of one another.
    pub tree: std::sync::Arc<Tree<'r>>,
}

/// The groups whose every record needs the raw word where its match begins to start with a
/// capital letter (see `Extractor::capital_first`), and the raw text to read that word in:
/// [`candidates`] does not try them at a place where it does not. Extraction only; a trace
/// passes [`CapitalFirst::none`] and tries everything.
#[derive(Clone, Copy)]
pub struct CapitalFirst<'a> {
    /// Per group: whether it is checked.
    pub groups: &'a [bool],
    /// The raw document and its map from normalised offsets.
    pub raw: Option<(&'a str, &'a crate::text::offsets::OffsetMap)>,
}

impl CapitalFirst<'_> {
    /// No group checked.
    pub fn none() -> CapitalFirst<'static> {
        CapitalFirst {
            groups: &[],
            raw: None,
        }
    }

    /// Whether group `g` is checked and a match of it at `pos` can make no record: the raw
    /// text from `pos` on opens no capitalised word (see
    /// [`super::fields::may_open_capitalized`]). A place whose raw offset is not a
    /// character boundary is tried.
    /// Asked at every place a group tried anywhere may begin: the group's flag is read
    /// inline, the raw word only for the groups checked.
    #[inline]
    pub fn skips(&self, g: usize, pos: usize) -> bool {
        self.groups.get(g).copied().unwrap_or(false) && self.opens_lower(pos)
    }

    /// Whether the raw text from `pos` on opens no capitalised word.
    fn opens_lower(&self, pos: usize) -> bool {
        self.raw.is_some_and(|(raw, map)| {
            raw.get(map.raw_start(pos)..)
                .is_some_and(|rest| !super::fields::may_open_capitalized(rest))
        })
    }
}

fn is_word_char(c: char) -> bool {
    crate::text::class::is_alphanumeric(c)
}

/// Characters that glue a following number into a token that is not a quantity: URL
/// escapes (`%D0%82`), paths, query strings, identifiers. The prefilter's word-break table
/// is filled from it too.
pub(crate) fn glues(c: char) -> bool {
    matches!(c, '%' | '/' | '=' | '&' | '_' | '#' | '@' | '\\')
}

/// Whether a match may begin at byte `pos` of `text` (a character boundary) in a sentence
/// that begins at `sentence_start`: at a word's first character or at a sign, never inside a
/// word nor after a character that glues what follows into a token (see [`glues`]).
pub(crate) fn word_start(text: &str, pos: usize, sentence_start: usize) -> bool {
    let Some(c) = text[pos..].chars().next() else {
        return false;
    };
    let prev = if pos > sentence_start {
        text[..pos].chars().next_back()
    } else {
        None
    };
    starts_word(c, prev)
}

/// [`word_start`] of a character `c` after `prev` (`None` at the sentence start).
#[inline]
fn starts_word(c: char, prev: Option<char>) -> bool {
    opens_word(
        c,
        is_word_char(c),
        prev.is_some_and(is_word_char),
        prev.is_some_and(glues),
    )
}

/// [`starts_word`] of `c` (`word`: whether it is a word character) from what is known of
/// the character before it: whether it is a word character, and whether it glues. A walk
/// over a sentence keeps these two of each character for the next one, rather than the
/// character to classify again.
#[inline(always)]
fn opens_word(c: char, word: bool, after_word: bool, after_glue: bool) -> bool {
    c != ' ' && !(word && (after_word || after_glue))
}

/// Rules that are tried together: the same entry grammar rule, language and place
/// (datelines only in a document's header). Their matches are the same, so a group is
/// tried once per position and its match becomes a candidate of every member: the cost of
/// finding candidates grows with the distinct grammars, not with the number of rules. Each
/// member still makes its own record, with its own fields, links and priority.
#[derive(Debug, Clone)]
pub struct Group {
    /// The entry rule's id in the compiled program (`None`: not in the grammar, never
    /// matches).
    pub entry: Option<RuleId>,
    /// The language of the sentences the members run in.
    pub lang: Lang,
    /// The members make `document` records and run only in a document's header.
    pub header_only: bool,
    /// Rule indices, in rule order.
    pub members: Vec<usize>,
}

/// The rules of a rule set in [`Group`]s, resolved once per rule set.
#[derive(Debug, Clone)]
pub struct Groups {
    /// The groups, in the order of their first member.
    pub groups: Vec<Group>,
}

impl Groups {
    /// Groups the rules of `set`.
    pub fn new(set: &RuleSet) -> Groups {
        let program = set.grammar.program();
        let mut groups: Vec<Group> = Vec::new();
        let mut index: HashMap<(&str, Lang, bool), usize> = HashMap::new();
        for (r, rule) in set.rules.iter().enumerate() {
            let header_only = rule.emits == super::DOCUMENT;
            let g = *index
                .entry((rule.entry.as_str(), rule.lang, header_only))
                .or_insert_with(|| {
                    groups.push(Group {
                        entry: program.rule_id(&rule.entry),
                        lang: rule.lang,
                        header_only,
                        members: Vec::new(),
                    });
                    groups.len() - 1
                });
            groups[g].members.push(r);
        }
        Groups { groups }
    }

    /// One rule per group, in group order (they stand for their groups in the prefilter).
    pub fn representatives(&self) -> Vec<usize> {
        self.groups.iter().map(|g| g.members[0]).collect()
    }
}

/// Runs the rule groups of one sentence of the normalised `text`: `tries` are
/// (position, group) pairs the prefilter found for groups with known starts, sorted by
/// position; `anywhere` are groups that can start with anything, each with the first place
/// its matches may begin at (see [`super::prefilter::Near`]; the sentence's start when
/// nothing is known) and the place they must begin before (see
/// [`super::prefilter::Eligible::until`]), tried at every word start between whose
/// character is in their first set. `rule_memo` keeps the
/// results of grammar rules shared by several rules (a number) for the other attempts in
/// the sentence; one memo can serve every sentence of a text. Candidates come sorted by
/// start, then rule.
#[allow(clippy::too_many_arguments)]
pub fn candidates<'t, 's>(
    set: &'s RuleSet,
    groups: &Groups,
    text: &'t str,
    sentence: &Sentence,
    tries: &[(usize, usize)],
    anywhere: &[(usize, usize, usize)],
    budget: &Budget,
    rule_memo: &mut Memo<'t>,
    capital_first: CapitalFirst<'_>,
) -> Vec<Candidate<'s>> {
    let mut out = Vec::new();
    // Every attempt of the sentence on one set-up (see `Attempts`).
    let mut attempts =
        set.grammar
            .program()
            .attempts(&text[..sentence.end], rule_memo, &set.node_reads);
    let mut attempt = |g: usize, pos: usize, out: &mut Vec<Candidate<'s>>| {
        let group = &groups.groups[g];
        let Some(entry) = group.entry else {
            return;
        };
        let Some(&first) = group.members.first() else {
            return;
        };
        let found = try_with(
            set,
            first,
            entry,
            text,
            pos,
            sentence.end,
            budget,
            &mut attempts,
        );
        if let Some(c) = found {
            // Members in rule order, so the final sort finds them in place.
            let copies = group.members[1..].iter().map(|&r| Candidate {
                rule: r,
                ..c.clone()
            });
            out.push(c.clone());
            out.extend(copies);
        }
    };
    // The prefilter lists only word starts (see `Eligible::tries`).
    for &(pos, g) in tries {
        if !capital_first.skips(g, pos) {
            attempt(g, pos, &mut out);
        }
    }
    if !anywhere.is_empty() {
        // Every character is looked at, from the first place any of the groups may begin
        // to the last: what the one before is (a word character, a glue) is at hand, not
        // classified again.
        let lo = anywhere.iter().map(|&(_, from, _)| from).min().unwrap_or(0);
        let lo = lo.clamp(sentence.start, sentence.end);
        let last = anywhere
            .iter()
            .map(|&(_, _, until)| until)
            .max()
            .unwrap_or(0);
        let before = if lo > sentence.start {
            text[..lo].chars().next_back()
        } else {
            None
        };
        let (mut prev_word, mut prev_glues) =
            (before.is_some_and(is_word_char), before.is_some_and(glues));
        for (offset, c) in text[lo..sentence.end].char_indices() {
            let pos = lo + offset;
            if pos >= last {
                break;
            }
            let word = is_word_char(c);
            let starts = opens_word(c, word, prev_word, prev_glues);
            (prev_word, prev_glues) = (word, glues(c));
            if !starts {
                continue;
            }
            for &(g, from, until) in anywhere {
                let first = groups.groups[g].members.first();
                if from <= pos
                    && pos < until
                    && first.is_some_and(|&r| set.rules[r].first.contains(c))
                    && !capital_first.skips(g, pos)
                {
                    attempt(g, pos, &mut out);
                }
            }
        }
    }
    // A group is tried once at a place, so (start, rule) is unique and an unstable sort
    // gives the one order.
    out.sort_unstable_by_key(|c| (c.start, c.rule));
    out
}

/// The matching steps one document may take; attempts draw on it. Reaching it (or the
/// nesting limit) stops matching and makes the document an error, never a hang.
#[derive(Debug)]
pub struct Budget {
    left: std::cell::Cell<u64>,
    depth: u32,
    /// What was exceeded, once something was.
    pub exceeded: std::cell::Cell<Option<&'static str>>,
}

impl Budget {
    /// A budget of `steps` steps and `depth` nested rule calls.
    pub fn new(steps: u64, depth: u32) -> Budget {
        Budget {
            left: std::cell::Cell::new(steps),
            depth,
            exceeded: std::cell::Cell::new(None),
        }
    }

    /// Unlimited, for tools and tests.
    pub fn unlimited() -> Budget {
        Budget::new(u64::MAX, Limits::default().depth)
    }
}

/// Tries rule `r` (whose entry grammar rule is `entry`) at `pos`; the match may not run
/// past `limit`. `memo` keeps grammar rule results for other attempts that share `text`
/// and `limit`.
#[allow(clippy::too_many_arguments)]
pub fn try_at<'t, 's>(
    set: &'s RuleSet,
    r: usize,
    entry: RuleId,
    text: &'t str,
    pos: usize,
    limit: usize,
    budget: &Budget,
    memo: &mut Memo<'t>,
) -> Option<Candidate<'s>> {
    let program = set.grammar.program();
    let mut attempts = program.attempts(&text[..limit], memo, &set.node_reads);
    try_with(set, r, entry, text, pos, limit, budget, &mut attempts)
}

/// [`try_at`] on `attempts`, which must be attempts on `text[..limit]` making the nodes
/// `set.node_reads` keeps.
#[allow(clippy::too_many_arguments)]
fn try_with<'s>(
    set: &'s RuleSet,
    r: usize,
    entry: RuleId,
    text: &str,
    pos: usize,
    limit: usize,
    budget: &Budget,
    attempts: &mut Attempts<'_, '_, '_>,
) -> Option<Candidate<'s>> {
    if budget.exceeded.get().is_some() {
        return None;
    }
    let program = set.grammar.program();
    let limits = Limits {
        steps: budget.left.get(),
        depth: budget.depth,
    };
    let m = match attempts.matches_at(entry, pos, limits) {
        Ok(m) => m,
        Err(MatchError::NoMatch(f)) => {
            budget.left.set(budget.left.get().saturating_sub(f.steps));
            return None;
        }
        Err(MatchError::Limit(why)) => {
            budget.exceeded.set(Some(why));
            return None;
        }
    };
    budget.left.set(budget.left.get().saturating_sub(m.steps));
    let end = m.end;
    if end <= pos {
        return None;
    }
    let matched = &text[pos..end];
    let last = matched.chars().next_back()?;
    let next = text[end..limit].chars().next();
    if is_word_char(last) && next.is_some_and(is_word_char) {
        return None;
    }
    let tree = Tree::from_match(&m, program, entry, pos, end);
    m.recycle();
    Some(Candidate {
        rule: r,
        start: pos,
        end,
        tree: std::sync::Arc::new(tree),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A candidate's tree holds the nodes of the rules extraction reads only (see
    /// `RuleSet::node_reads`): the number's digits, its amount and its unit, not the rules
    /// between.
    #[test]
    fn a_candidate_tree_has_the_nodes_somebody_reads() {
        let set = RuleSet::load_defaults().expect("default rules");
        let r = set
            .rules
            .iter()
            .position(|r| r.id == "amount.ru")
            .expect("amount.ru");
        let program = set.grammar.program();
        let entry = program.rule_id(&set.rules[r].entry).expect("entry");
        let text = "2,5 млн тонн";
        let mut memo = Memo::default();
        let budget = Budget::unlimited();
        let c = try_at(&set, r, entry, text, 0, text.len(), &budget, &mut memo).expect("a match");
        let names: Vec<&str> = c.tree.root().walk().map(|n| n.rule).collect();
        for read in ["amount_value", "int", "unit"] {
            assert!(names.contains(&read), "{read}: {names:?}");
        }
        for unread in ["number", "scaled", "numeric"] {
            assert!(!names.contains(&unread), "{unread}: {names:?}");
        }
        // All of them in a match made for a reader of every node.
        let m = program
            .matches_at(entry, text, 0, Limits::default(), &mut Memo::default())
            .expect("a match");
        let all: Vec<&str> = m.nodes.iter().map(|n| program.rule_name(n.0)).collect();
        assert!(
            all.contains(&"scaled") && all.contains(&"numeric"),
            "{all:?}"
        );
    }

    /// A group tried at every word start (as a group that can begin with anything is) is
    /// tried from the first place its matches may begin at, up to, and not at or past, the
    /// place they must begin before, and only at word starts: not inside a word, nor after
    /// a character that glues.
    #[test]
    fn a_group_tried_anywhere_is_tried_at_word_starts_between_its_places() {
        let set = RuleSet::load_defaults().expect("default rules");
        let groups = Groups::new(&set);
        let g = groups
            .groups
            .iter()
            .position(|g| {
                g.lang == Lang::Ru && g.members.iter().any(|&r| set.rules[r].id == "amount.ru")
            })
            .expect("the group of amount.ru");
        let text = "5 тонн, a5 тонн, %5 тонн, 7 тонн и 9 тонн";
        let sentence = Sentence {
            start: 0,
            end: text.len(),
            lang: Lang::Ru,
        };
        let seven = text.find('7').expect("a 7");
        let starts_from = |from: usize, until: usize| {
            let mut memo = Memo::default();
            let found = candidates(
                &set,
                &groups,
                text,
                &sentence,
                &[],
                &[(g, from, until)],
                &Budget::unlimited(),
                &mut memo,
                CapitalFirst::none(),
            );
            let mut starts: Vec<&str> = found.iter().map(|c| &text[c.start..c.end]).collect();
            starts.dedup();
            starts
        };
        let starts = |until: usize| starts_from(0, until);
        assert_eq!(starts(text.len()), ["5 тонн", "7 тонн", "9 тонн"]);
        assert_eq!(starts(seven + 1), ["5 тонн", "7 тонн"]);
        assert_eq!(starts(seven), ["5 тонн"]);
        assert!(starts(0).is_empty());
        // From a place on: at it, not before it (a place inside a word is no word start).
        assert_eq!(starts_from(seven, text.len()), ["7 тонн", "9 тонн"]);
        assert_eq!(starts_from(seven + 1, text.len()), ["9 тонн"]);
        assert_eq!(starts_from(seven, seven + 1), ["7 тонн"]);
    }
}
