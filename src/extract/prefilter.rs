//! One pass over a document decides which rules can match in which sentence.
//!
//! Every rule's anchors (literals at least one of which any match contains, or a digit;
//! see [`crate::rules::grammar::Anchors`]) are combined into one Aho–Corasick automaton
//! over all rules, so the cost grows with the text and the matches, not with the number of
//! rules times the text. A rule without anchors is eligible everywhere.
//!
//! A second automaton finds where matches can *begin*: every rule's start literals (the
//! forms a match can open with), plus digits for rules that open with a number. A rule is
//! tried only there; rules that can open with anything (a letter class) are tried at every
//! word start whose character is in their first set.

use crate::rules::RuleSet;
use crate::text::sentences::Sentence;
use aho_corasick::{AhoCorasick, MatchKind};

/// The combined anchors of a rule set.
#[derive(Debug)]
pub struct Prefilter {
    automaton: Option<AhoCorasick>,
    /// Pattern index -> rules anchored on it.
    pattern_rules: Vec<Vec<usize>>,
    /// Rules that a digit makes eligible.
    digit_rules: Vec<usize>,
    /// Rules with no anchors: always eligible.
    always: Vec<bool>,
    rules: usize,
    starts: Option<AhoCorasick>,
    /// Start pattern index -> rules that can begin with it.
    start_rules: Vec<Vec<usize>>,
    /// Rules that can begin with a digit.
    digit_start: Vec<usize>,
    /// Rules that can begin anywhere.
    pub any_start: Vec<usize>,
    /// Per rule: its entry grammar rule is shared with another rule.
    pub shared_entry: Vec<bool>,
}

/// Which rules may match in which sentence of one document.
#[derive(Debug)]
pub struct Eligible {
    /// sentence * rules + rule -> may match
    bits: Vec<bool>,
    rules: usize,
    /// (position, rule): where a rule with known starts can begin, sorted.
    pub tries: Vec<(usize, usize)>,
}

impl Eligible {
    /// Whether rule `r` may match in sentence `s`.
    pub fn allows(&self, s: usize, r: usize) -> bool {
        self.bits.get(s * self.rules + r).copied().unwrap_or(true)
    }
}

impl Prefilter {
    /// Builds the automaton from every rule's anchors.
    pub fn new(set: &RuleSet) -> Prefilter {
        let mut patterns: Vec<String> = Vec::new();
        let mut pattern_rules: Vec<Vec<usize>> = Vec::new();
        let mut index = std::collections::HashMap::new();
        let mut digit_rules = Vec::new();
        let mut always = vec![false; set.rules.len()];
        for (r, rule) in set.rules.iter().enumerate() {
            match set.grammar.anchors(&rule.entry) {
                None => always[r] = true,
                Some(a) => {
                    if a.digit {
                        digit_rules.push(r);
                    }
                    for lit in a.literals {
                        let i = *index.entry(lit.clone()).or_insert_with(|| {
                            patterns.push(lit);
                            pattern_rules.push(Vec::new());
                            pattern_rules.len() - 1
                        });
                        pattern_rules[i].push(r);
                    }
                }
            }
        }
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .build(&patterns)
            .ok();
        let mut start_patterns: Vec<String> = Vec::new();
        let mut start_rules: Vec<Vec<usize>> = Vec::new();
        let mut start_index = std::collections::HashMap::new();
        let mut digit_start = Vec::new();
        let mut any_start = Vec::new();
        for (r, rule) in set.rules.iter().enumerate() {
            let st = set.grammar.starts(&rule.entry);
            if st.any {
                any_start.push(r);
                continue;
            }
            if st.digit {
                digit_start.push(r);
            }
            for lit in st.literals {
                let i = *start_index.entry(lit.clone()).or_insert_with(|| {
                    start_patterns.push(lit);
                    start_rules.push(Vec::new());
                    start_rules.len() - 1
                });
                start_rules[i].push(r);
            }
        }
        let starts = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .build(&start_patterns)
            .ok();
        Prefilter {
            automaton,
            pattern_rules,
            digit_rules,
            always,
            rules: set.rules.len(),
            starts,
            start_rules,
            digit_start,
            any_start,
            shared_entry: set
                .rules
                .iter()
                .map(|r| set.rules.iter().filter(|o| o.entry == r.entry).count() > 1)
                .collect(),
        }
    }

    /// The rules each sentence may match.
    pub fn eligible(&self, text: &str, sentences: &[Sentence]) -> Eligible {
        let n = self.rules;
        let mut bits = vec![false; sentences.len() * n];
        for (s, _) in sentences.iter().enumerate() {
            for (r, &a) in self.always.iter().enumerate() {
                bits[s * n + r] |= a;
            }
        }
        let sentence_at = |pos: usize| sentences.partition_point(|s| s.end <= pos);
        for (s, sent) in sentences.iter().enumerate() {
            if text[sent.start..sent.end]
                .bytes()
                .any(|b| b.is_ascii_digit())
            {
                for &r in &self.digit_rules {
                    bits[s * n + r] = true;
                }
            }
        }
        if let Some(ac) = &self.automaton {
            for m in ac.find_overlapping_iter(text) {
                let s = sentence_at(m.start());
                if s < sentences.len() && m.start() >= sentences[s].start {
                    for &r in &self.pattern_rules[m.pattern().as_usize()] {
                        bits[s * n + r] = true;
                    }
                }
            }
        }
        let mut tries = Vec::new();
        if let Some(ac) = &self.starts {
            for m in ac.find_overlapping_iter(text) {
                tries.extend(
                    self.start_rules[m.pattern().as_usize()]
                        .iter()
                        .map(|&r| (m.start(), r)),
                );
            }
        }
        if !self.digit_start.is_empty() {
            let bytes = text.as_bytes();
            for (i, b) in bytes.iter().enumerate() {
                if b.is_ascii_digit() && (i == 0 || !bytes[i - 1].is_ascii_digit()) {
                    tries.extend(self.digit_start.iter().map(|&r| (i, r)));
                }
            }
        }
        tries.sort_unstable();
        tries.dedup();
        Eligible {
            bits,
            rules: n,
            tries,
        }
    }
}
