//! How near its anchors a rule that can begin anywhere begins (see [`Near`]).

use crate::text::sentences::Sentence;
use std::collections::BTreeSet;

/// How near its clauses' literals a match of a rule that can begin anywhere begins: the
/// match contains a literal of each clause (in what it matches or looks ahead at) and at
/// most `runs` runs of spaces (see [`crate::rules::grammar::Grammar::space_runs`]), so
/// there are at most `runs` of them from its start to that literal, which is at or after
/// the first place of a literal of the clause in the sentence. A match so begins at most
/// `runs` runs before the latest of those first places, or after it. Rules whose tries
/// mostly fail a word or two in, far before their anchor ("Богутинского месторождения":
/// every word of a sentence with the trigger is tried as an adjective name), are so tried
/// near it only.
///
/// The first places are looked for only in the sentences where such a rule may match
/// (few), by an automaton per clause, and not by the prefilter's pass over every sentence,
/// which keeps last places only: a first place there cost more in that pass than the
/// tries it saved.
#[derive(Debug)]
pub struct Near {
    /// The most runs of spaces from a match's start to a literal of each clause.
    runs: u32,
    /// Per clause without digits: an automaton of its literals, leftmost first (digits
    /// are left out: a clause that a digit satisfies is not waited for).
    clauses: Vec<aho_corasick::AhoCorasick>,
}

impl Near {
    /// The bound of a rule whose matches hold at most `runs` runs of spaces and contain a
    /// literal of each of `clauses` (those without digits): `None` when the bound is too
    /// loose to pay (see `NEAR_RUNS`), there is no clause to wait for, or an automaton
    /// cannot be built (the rule is then tried everywhere, as before).
    pub fn new(runs: u32, clauses: &[BTreeSet<String>]) -> Option<Near> {
        if runs > NEAR_RUNS || clauses.is_empty() {
            return None;
        }
        let clauses = clauses.iter().map(|literals| {
            // A DFA: a few literals, looked for in a few sentences, where the search's
            // setup and steps are what it costs.
            aho_corasick::AhoCorasick::builder()
                .match_kind(aho_corasick::MatchKind::LeftmostFirst)
                .kind(Some(aho_corasick::AhoCorasickKind::DFA))
                .prefilter(false)
                .build(literals)
        });
        let clauses = clauses.collect::<Result<Vec<_>, _>>().ok()?;
        Some(Near { runs, clauses })
    }

    /// The first byte of `text` where a match may begin in `sentence`, whose
    /// [`Eligible::until`](super::Eligible::until) is `until`: the start of the text after the (`runs` + 1)-th run of
    /// spaces counted back from the latest first place of a literal of a clause, or the
    /// sentence's start.
    pub fn from(&self, text: &str, sentence: &Sentence, until: u32) -> usize {
        let Some(within) = text.get(sentence.start..sentence.end) else {
            return sentence.start;
        };
        // The first places are at or before the last ones (`until` is the earliest of those,
        // plus one): when the text before that holds `runs` runs or fewer, nothing is ruled
        // out, and the clauses need not be looked for.
        let last = (until.saturating_sub(1) as usize).min(within.len());
        if self.back(within, last) == 0 {
            return sentence.start;
        }
        let mut place = 0;
        for clause in &self.clauses {
            // Every literal counts, inside a word too: an earlier place only lets more
            // starts through.
            match clause.find(within) {
                Some(m) => place = place.max(m.start()),
                None => return sentence.start,
            }
        }
        sentence.start + self.back(within, place)
    }

    /// The first byte of `within` from which at most `runs` runs of spaces lie before byte
    /// `place`.
    fn back(&self, within: &str, place: usize) -> usize {
        let bytes = &within.as_bytes()[..place];
        let mut runs = 0;
        for (i, &b) in bytes.iter().enumerate().rev() {
            // Counted back, a run is met at its last space: one before a non-space or the
            // place.
            if b == b' ' && bytes.get(i + 1) != Some(&b' ') {
                runs += 1;
                if runs > self.runs {
                    return i + 1;
                }
            }
        }
        0
    }
}

/// The most runs of spaces (see [`Near::runs`]) for which a rule is tried near its clauses'
/// literals only: few sentences have more words before their first anchor, and looking for
/// its first place costs a pass over the sentence. (Of the default rules, the adjective
/// deposit names hold two runs; the others none, 67 or 205: quoted names of up to 60
/// characters, lists.)
const NEAR_RUNS: u32 = 10;
