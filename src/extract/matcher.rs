//! Finding candidate matches: which rules to try where, and running them (in nedra's
//! compiled PEG program, see [`crate::peg`]).
//!
//! A rule is tried only at a word start (or a non-alphanumeric character such as `$`) whose
//! character is in the first set of its entry rule, and a match must end at a word end, so
//! `3 т` never matches inside `3 тысячи`.

use super::tree::Node;
use crate::peg::Limits;
use crate::rules::RuleSet;
use crate::text::sentences::Sentence;

/// A grammar match of one rule, before it becomes a record.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// Index of the rule in the rule set.
    pub rule: usize,
    /// Match start (normalised bytes).
    pub start: usize,
    /// Match end.
    pub end: usize,
    /// What matched, by grammar rule.
    pub tree: Node,
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
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

/// Runs the rules of one sentence of the normalised `text`: `tries` are (position, rule)
/// pairs the prefilter found for rules with known starts; `anywhere` are rules that can
/// start with anything, tried at every word start whose character is in their first set.
pub fn candidates(
    set: &RuleSet,
    text: &str,
    sentence: &Sentence,
    tries: &[(usize, usize)],
    anywhere: &[usize],
) -> Vec<Candidate> {
    let mut out = Vec::new();
    for &(pos, r) in tries {
        if word_start(text, pos, sentence.start) {
            out.extend(try_at(set, r, text, pos, sentence.end));
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
                    out.extend(try_at(set, r, text, pos, sentence.end));
                }
            }
        }
    }
    out.sort_by_key(|c| (c.start, c.rule));
    out
}

/// Tries rule `r` at `pos`; the match may not run past `limit`.
pub fn try_at(set: &RuleSet, r: usize, text: &str, pos: usize, limit: usize) -> Option<Candidate> {
    let rule = &set.rules[r];
    let input = &text[pos..limit];
    let program = set.grammar.program();
    let entry = program.rule_id(&rule.entry)?;
    let m = program.matches(entry, input, Limits::default()).ok()?;
    let end = pos + m.end;
    if end <= pos {
        return None;
    }
    let mut children = Node::from_match(&m, program, pos);
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
        tree,
    })
}
