//! Finding candidate matches: which rules to try where, and running them (in nedra's
//! compiled PEG program, see [`crate::peg`]).
//!
//! A rule is tried only at a word start (or a non-alphanumeric character such as `$`) whose
//! character is in the first set of its entry rule, and a match must end at a word end, so
//! `3 т` never matches inside `3 тысячи`.

use super::tree::Node;
use crate::peg::{Limits, MatchError, Memo, RuleId};
use crate::rules::RuleSet;
use crate::text::sentences::Sentence;
use std::collections::HashMap;

/// A grammar match of one rule, before it becomes a record.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// Index of the rule in the rule set.
    pub rule: usize,
    /// Match start (normalised bytes).
    pub start: usize,
    /// Match end.
    pub end: usize,
    /// What matched, by grammar rule; shared by the candidates of rules with the same
    /// entry at the same place, which are otherwise copies of one another.
    pub tree: std::sync::Arc<Node>,
}

fn is_word_char(c: char) -> bool {
    crate::text::class::is_alphanumeric(c)
}

/// Characters that glue a following number into a token that is not a quantity: URL
/// escapes (`%D0%82`), paths, query strings, identifiers.
fn glues(c: char) -> bool {
    matches!(c, '%' | '/' | '=' | '&' | '_' | '#' | '@' | '\\')
}

fn word_start(text: &str, pos: usize, sentence_start: usize) -> bool {
    let Some(c) = text[pos..].chars().next() else {
        return false;
    };
    let prev = if pos > sentence_start {
        text[..pos].chars().next_back()
    } else {
        None
    };
    c != ' '
        && (!is_word_char(c) || !prev.is_some_and(is_word_char))
        && !(is_word_char(c) && prev.is_some_and(glues))
}

/// Each rule's entry grammar rule, resolved once per rule set rather than by name at
/// every attempt.
#[derive(Debug, Clone)]
pub struct Entries {
    /// Per rule: its entry rule's id in the compiled program.
    ids: Vec<Option<RuleId>>,
    /// Per rule: another rule has the same entry (its matches are then computed once per
    /// position and shared).
    shared: Vec<bool>,
}

impl Entries {
    /// Resolves the entries of every rule of `set`.
    pub fn new(set: &RuleSet) -> Entries {
        let program = set.grammar.program();
        let ids: Vec<Option<RuleId>> = set
            .rules
            .iter()
            .map(|r| program.rule_id(&r.entry))
            .collect();
        let shared = ids
            .iter()
            .map(|id| id.is_some() && ids.iter().filter(|o| *o == id).count() > 1)
            .collect();
        Entries { ids, shared }
    }
}

/// Runs the rules of one sentence of the normalised `text`: `tries` are (position, rule)
/// pairs the prefilter found for rules with known starts; `anywhere` are rules that can
/// start with anything, tried at every word start whose character is in their first set.
/// `rule_memo` keeps the results of grammar rules shared by several rules (a number) for
/// the other attempts in the sentence; one memo can serve every sentence of a text.
#[allow(clippy::too_many_arguments)]
pub fn candidates<'t>(
    set: &RuleSet,
    entries: &Entries,
    text: &'t str,
    sentence: &Sentence,
    tries: &[(usize, usize)],
    anywhere: &[usize],
    budget: &Budget,
    rule_memo: &mut Memo<'t>,
) -> Vec<Candidate> {
    // Rules that share an entry grammar rule share its match at a position: matching cost
    // grows with the distinct grammars, not with the number of rules.
    let mut memo: HashMap<(RuleId, usize), Option<Candidate>, foldhash::fast::FixedState> =
        HashMap::default();
    let mut attempt = |r: usize, pos: usize, out: &mut Vec<Candidate>| {
        let Some(entry) = entries.ids[r] else {
            return;
        };
        let attempt_at =
            |memo: &mut Memo<'t>| try_at(set, r, entry, text, pos, sentence.end, budget, memo);
        if !entries.shared[r] {
            out.extend(attempt_at(rule_memo));
            return;
        }
        let found = memo
            .entry((entry, pos))
            .or_insert_with(|| attempt_at(rule_memo));
        if let Some(c) = found {
            out.push(Candidate {
                rule: r,
                ..c.clone()
            });
        }
    };
    let mut out = Vec::new();
    for &(pos, r) in tries {
        if word_start(text, pos, sentence.start) {
            attempt(r, pos, &mut out);
        }
    }
    if !anywhere.is_empty() {
        for (offset, c) in text[sentence.start..sentence.end].char_indices() {
            let pos = sentence.start + offset;
            if !word_start(text, pos, sentence.start) {
                continue;
            }
            for &r in anywhere {
                if set.rules[r].first.contains(c) {
                    attempt(r, pos, &mut out);
                }
            }
        }
    }
    out.sort_by_key(|c| (c.start, c.rule));
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
pub fn try_at<'t>(
    set: &RuleSet,
    r: usize,
    entry: RuleId,
    text: &'t str,
    pos: usize,
    limit: usize,
    budget: &Budget,
    memo: &mut Memo<'t>,
) -> Option<Candidate> {
    if budget.exceeded.get().is_some() {
        return None;
    }
    let rule = &set.rules[r];
    let input = &text[..limit];
    let program = set.grammar.program();
    let limits = Limits {
        steps: budget.left.get(),
        depth: budget.depth,
    };
    let m = match program.matches_at(entry, input, pos, limits, memo) {
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
    let mut children = Node::from_match(&m, program, 0);
    let matched = &text[pos..end];
    let last = matched.chars().next_back()?;
    let next = text[end..limit].chars().next();
    if is_word_char(last) && next.is_some_and(is_word_char) {
        return None;
    }
    let tree = if children.len() == 1 && children[0].rule == rule.entry {
        children.remove(0)
    } else {
        Node {
            rule: rule.entry.clone(),
            start: pos,
            end,
            children,
        }
    };
    Some(Candidate {
        rule: r,
        start: pos,
        end,
        tree: std::sync::Arc::new(tree),
    })
}
