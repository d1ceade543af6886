//! A lexicon rule run as one automaton: which entry's form is the longest at a position.

use super::RuleId;
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
    openings: Openings,
}

/// How the forms open, so most places where no form begins are ruled out before the
/// automaton is walked: lexicons are tried at word starts, and the first state loads of a
/// large lexicon's automaton miss the cache (a third of the matcher's lexicon time).
///
/// A form of one byte is kept by that byte, one of two or three bytes by a hash of its first
/// two, a longer one by a hash of its first four; a place passes when its own first bytes
/// hit one of them. Hashes only let too much through, so a form that begins at a place
/// always passes.
#[derive(Debug, Clone)]
struct Openings {
    /// Some form is empty: every place passes.
    empty: bool,
    one: [u64; 4],
    two: [u64; 32],
    four: [u64; 64],
}

impl Openings {
    fn new<'a>(forms: impl IntoIterator<Item = &'a str>) -> Openings {
        let mut o = Openings {
            empty: false,
            one: [0; 4],
            two: [0; 32],
            four: [0; 64],
        };
        for f in forms {
            match *f.as_bytes() {
                [] => o.empty = true,
                [b] => set(&mut o.one, usize::from(b)),
                [b0, b1] | [b0, b1, _] => set(&mut o.two, hash2(b0, b1)),
                [b0, b1, b2, b3, ..] => set(&mut o.four, hash4([b0, b1, b2, b3])),
            }
        }
        o
    }

    /// Whether a form may begin at the start of `rest`: false only when none does.
    #[inline]
    fn may_open(&self, rest: &[u8]) -> bool {
        self.empty
            || rest
                .first()
                .is_some_and(|&b| has(&self.one, usize::from(b)))
            || matches!(*rest, [b0, b1, ..] if has(&self.two, hash2(b0, b1)))
            || matches!(*rest, [b0, b1, b2, b3, ..] if has(&self.four, hash4([b0, b1, b2, b3])))
    }
}

fn set(bits: &mut [u64], i: usize) {
    bits[i / 64] |= 1 << (i % 64);
}

fn has(bits: &[u64], i: usize) -> bool {
    bits[i / 64] & (1 << (i % 64)) != 0
}

/// Two bytes into 0..2048 (a Cyrillic letter is two bytes).
fn hash2(b0: u8, b1: u8) -> usize {
    (u32::from(u16::from_le_bytes([b0, b1])).wrapping_mul(0x9E37_79B1) >> 21) as usize
}

/// Four bytes into 0..4096.
fn hash4(b: [u8; 4]) -> usize {
    (u32::from_le_bytes(b).wrapping_mul(0x9E37_79B1) >> 20) as usize
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
            openings: Openings::new(forms.iter().map(|&(f, _)| f)),
        })
    }

    /// The entry rules the forms belong to (pattern order).
    pub(crate) fn entries(&self) -> &[RuleId] {
        &self.entries
    }

    /// The entry rule of the longest form that begins at `pos` of `haystack`.
    #[inline]
    pub(crate) fn longest_at(&self, haystack: &[u8], pos: usize) -> Option<RuleId> {
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
        found.map(|pid| self.entries[pid.as_usize()])
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
            assert_eq!(walk.longest_at(text.as_bytes(), pos), expected, "at {pos}");
            seen += usize::from(expected.is_some());
        }
        assert!(seen >= 11, "the text exercises matches ({seen})");
    }
}
