//! A lexicon rule run as one automaton: which entry's form is the longest at a position.

use super::RuleId;
use super::openings::Openings;
use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::nfa::contiguous::NFA;
use aho_corasick::{Anchored, MatchKind};

/// The forms of a lexicon in one leftmost-longest automaton, walked by hand from its
/// anchored start state: `AhoCorasick::find` builds an `Input`, dispatches through a
/// trait object and checks its configuration at every call, which cost more than the walk
/// itself for forms of a few letters (a quarter of a million calls on 5 MB of news).
///
/// A contiguous NFA, as measured when lexicons were first compiled: 1.27 s against
/// 1.33–1.47 s for a DFA on the 5 MB corpus, and 4 MB less memory (the gazetteers' DFAs
/// miss the cache).
#[derive(Debug, Clone)]
pub(crate) struct Forms {
    nfa: NFA,
    start: StateID,
    /// Pattern index -> the entry rule the form belongs to.
    entries: Box<[RuleId]>,
    /// Pattern index -> the form.
    forms: Box<[Box<str>]>,
    openings: Openings,
    /// Every entry rule's body is a longest-first choice of exactly its forms here, so it
    /// matches the form the automaton found and need not compare its literals again
    /// (see `compile::mark_exact_entries`).
    pub(crate) exact: bool,
}

impl Forms {
    /// The automaton of `forms`, each with the entry rule it belongs to; `None` when it
    /// cannot be built (the generated pest rule is run instead).
    pub(crate) fn new(forms: &[(&str, RuleId)]) -> Option<Forms> {
        let nfa = NFA::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .prefilter(false)
            .build(forms.iter().map(|(f, _)| f))
            .ok()?;
        let start = nfa.start_state(Anchored::Yes).ok()?;
        Some(Forms {
            nfa,
            start,
            entries: forms.iter().map(|&(_, e)| e).collect(),
            forms: forms.iter().map(|&(f, _)| f.into()).collect(),
            exact: false,
            openings: Openings::new(forms.iter().map(|&(f, _)| f)),
        })
    }

    /// The entry rules the forms belong to (pattern order).
    pub(crate) fn entries(&self) -> &[RuleId] {
        &self.entries
    }

    /// The forms (pattern order).
    pub(crate) fn forms(&self) -> &[Box<str>] {
        &self.forms
    }

    /// The entry rule of the longest form that begins at `pos` of `haystack`, and the
    /// form's length.
    #[inline]
    pub(crate) fn longest_at(&self, haystack: &[u8], pos: usize) -> Option<(RuleId, usize)> {
        if !self.openings.may_open(haystack.get(pos..)?) {
            return None;
        }
        let aut = &self.nfa;
        let mut sid = self.start;
        let mut found = None;
        if aut.is_match(sid) {
            found = Some(aut.match_pattern(sid, 0));
        }
        for (at, &b) in haystack.iter().enumerate().skip(pos) {
            sid = aut.next_state(Anchored::Yes, sid, b);
            if aut.is_special(sid) {
                if aut.is_dead(sid) {
                    break;
                }
                if aut.is_match(sid) {
                    let pid = aut.match_pattern(sid, 0);
                    // Match states also carry matches reached through failure links, which
                    // begin after `pos`: an anchored search ignores them.
                    if at + 1 - aut.pattern_len(pid) == pos {
                        found = Some(pid);
                    }
                }
            }
        }
        found.map(|pid| (self.entries[pid.as_usize()], aut.pattern_len(pid)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aho_corasick::{AhoCorasick, AhoCorasickKind, StartKind};

    /// The walk agrees with `AhoCorasick`'s anchored leftmost-longest search at every
    /// position, including forms that are prefixes of others and forms inside others.
    #[test]
    fn agrees_with_aho_corasick_at_every_position() {
        let forms = [
            "т",
            "тонн",
            "тонна",
            "тоннаға",
            "онн",
            "млн",
            "млрд",
            "$",
            "нна",
            "₸",
            "%-ды",
        ];
        let pairs: Vec<(&str, RuleId)> = forms
            .iter()
            .enumerate()
            .map(|(i, f)| (*f, i as RuleId))
            .collect();
        let walk = Forms::new(&pairs).expect("builds");
        let ac = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .start_kind(StartKind::Anchored)
            .kind(Some(AhoCorasickKind::ContiguousNFA))
            .build(forms)
            .expect("builds");
        let text = "5 тоннаға, 3 тонны и $4 млрд: тонна млн т, 7₸ и 5%-ды, 8%";
        let mut seen = 0;
        for pos in 0..=text.len() {
            let expected = ac
                .find(
                    aho_corasick::Input::new(text)
                        .range(pos..)
                        .anchored(Anchored::Yes),
                )
                .map(|m| m.pattern().as_usize() as RuleId);
            let found = walk.longest_at(text.as_bytes(), pos);
            assert_eq!(found.map(|f| f.0), expected, "at {pos}");
            if let Some((pattern, len)) = found {
                assert!(text[pos..].starts_with(forms[pattern as usize]), "at {pos}");
                assert_eq!(len, forms[pattern as usize].len(), "at {pos}");
            }
            seen += usize::from(expected.is_some());
        }
        assert!(seen >= 11, "the text exercises matches ({seen})");
    }
}
