//! A lexicon rule run as one automaton: which entry's form is the longest at a position.

use super::RuleId;
use super::openings::Openings;
use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::nfa::contiguous::NFA;
use aho_corasick::{Anchored, MatchKind};

/// The forms of a lexicon in one automaton: which entry's form is the longest at a position.
///
/// Most lexicons are walked in a dense trie of their forms ([`Trie`]): one table read per
/// byte. Lexicons too large for one (a gazetteer of tens of thousands of forms) are walked
/// in a leftmost-longest contiguous NFA by hand from its anchored start state
/// (`AhoCorasick::find` builds an `Input`, dispatches through a trait object and checks its
/// configuration at every call, which cost more than the walk itself for forms of a few
/// letters). The NFA's sparse states cost a scan of their transitions per byte: walking
/// lexicons was some 3 % of extraction's instructions.
#[derive(Debug, Clone)]
pub(crate) struct Forms {
    walk: Walk,
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

/// How a lexicon's forms are walked (see [`Forms`]).
#[derive(Debug, Clone)]
enum Walk {
    Trie(Trie),
    Nfa { nfa: NFA, start: StateID },
}

/// The most table entries a lexicon's [`Trie`] may have (two bytes each); a larger lexicon
/// is walked in its NFA. The default lexicons' largest trie has some 55 000.
const TRIE_MAX_ENTRIES: usize = 1 << 20;

/// The forms of a lexicon as a trie of their bytes, with a dense row of next states per
/// state, indexed by the byte's class (bytes that no form has share class 0): the
/// anchored, longest-match walk a lexicon needs, with no failure links, one table read per
/// byte.
#[derive(Debug, Clone)]
pub(crate) struct Trie {
    /// Byte -> class (0: a byte no form has).
    classes: [u8; 256],
    /// Classes per row.
    stride: usize,
    /// Row per state, `stride` entries each: the next state `s` as `s << 1`, plus 1 when a
    /// form ends at `s` (so the walk looks a form up only where one ends). State 0 is dead
    /// (its row is all 0, and no entry leads to it but 0); the walk starts at state 1.
    next: Box<[u16]>,
    /// State -> the pattern index of the form that ends there (the first such pattern,
    /// as the NFA's leftmost-longest match reports), or `NO_FORM`.
    ends: Box<[u32]>,
}

/// No form ends at this state (see [`Trie::ends`]).
const NO_FORM: u32 = u32::MAX;

impl Trie {
    /// The trie of `forms` (pattern order); `None` when it would have more than
    /// [`TRIE_MAX_ENTRIES`] entries or more states than an entry counts.
    pub(crate) fn new<'a>(forms: impl Iterator<Item = &'a str> + Clone) -> Option<Trie> {
        // Bytes that some form has, each its own class: few (one alphabet's letters).
        let mut classes = [0u8; 256];
        let mut stride = 1usize;
        for form in forms.clone() {
            for &b in form.as_bytes() {
                if classes[usize::from(b)] == 0 {
                    classes[usize::from(b)] = u8::try_from(stride).ok()?;
                    stride += 1;
                }
            }
        }
        // Rows of state numbers: the dead state, then the start state.
        let mut next: Vec<usize> = vec![0; 2 * stride];
        let mut ends: Vec<u32> = vec![NO_FORM; 2];
        for (pattern, form) in forms.enumerate() {
            let mut state = 1usize;
            for &b in form.as_bytes() {
                let at = state * stride + usize::from(classes[usize::from(b)]);
                if next[at] == 0 {
                    next[at] = ends.len();
                    ends.push(NO_FORM);
                    next.resize(next.len() + stride, 0);
                    if next.len() > TRIE_MAX_ENTRIES {
                        return None;
                    }
                }
                state = next[at];
            }
            if ends[state] == NO_FORM {
                ends[state] = u32::try_from(pattern).ok()?;
            }
        }
        let next = next
            .iter()
            .map(|&s| u16::try_from(s << 1 | usize::from(ends[s] != NO_FORM && s != 0)).ok())
            .collect::<Option<_>>()?;
        Some(Trie {
            classes,
            stride,
            next,
            ends: ends.into(),
        })
    }

    /// The pattern index and length of the longest form that `rest` opens with.
    #[inline]
    pub(crate) fn longest(&self, rest: &[u8]) -> Option<(u32, usize)> {
        // The state of the longest form so far, and its length.
        let mut found = (1, 0);
        let mut row = self.stride;
        for (at, &b) in rest.iter().enumerate() {
            let entry = self.next[row + usize::from(self.classes[usize::from(b)])];
            if entry == 0 {
                break;
            }
            let state = usize::from(entry >> 1);
            row = state * self.stride;
            if entry & 1 != 0 {
                found = (state, at + 1);
            }
        }
        let end = self.ends[found.0];
        (end != NO_FORM).then_some((end, found.1))
    }
}

impl Forms {
    /// The automaton of `forms`, each with the entry rule it belongs to; `None` when it
    /// cannot be built (the generated pest rule is run instead).
    pub(crate) fn new(forms: &[(&str, RuleId)]) -> Option<Forms> {
        Forms::with_limit(forms, TRIE_MAX_ENTRIES)
    }

    /// [`Forms::new`], walked in a trie only when it has at most `trie_entries` table
    /// entries (tests use 0 for the NFA).
    fn with_limit(forms: &[(&str, RuleId)], trie_entries: usize) -> Option<Forms> {
        let texts = forms.iter().map(|&(f, _)| f);
        let trie = Trie::new(texts.clone()).filter(|t| t.next.len() <= trie_entries);
        let walk = match trie {
            Some(trie) => Walk::Trie(trie),
            None => {
                let nfa = NFA::builder()
                    .match_kind(MatchKind::LeftmostLongest)
                    .prefilter(false)
                    .build(texts.clone())
                    .ok()?;
                let start = nfa.start_state(Anchored::Yes).ok()?;
                Walk::Nfa { nfa, start }
            }
        };
        Some(Forms {
            walk,
            entries: forms.iter().map(|&(_, e)| e).collect(),
            forms: forms.iter().map(|&(f, _)| f.into()).collect(),
            exact: false,
            openings: Openings::new(texts),
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
        let rest = haystack.get(pos..)?;
        if !self.openings.may_open(rest) {
            return None;
        }
        let (pid, len) = match &self.walk {
            Walk::Trie(trie) => trie.longest(rest)?,
            Walk::Nfa { nfa, start } => nfa_longest(nfa, *start, haystack, pos)?,
        };
        Some((self.entries[pid as usize], len))
    }
}

/// The pattern index and length of the longest form of `aut` (anchored start state
/// `start`) that begins at `pos` of `haystack`.
fn nfa_longest(aut: &NFA, start: StateID, haystack: &[u8], pos: usize) -> Option<(u32, usize)> {
    let mut sid = start;
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
    found.map(|pid| (pid.as_u32(), aut.pattern_len(pid)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aho_corasick::{AhoCorasick, AhoCorasickKind, StartKind};

    /// Both walks (the trie and the NFA) agree with `AhoCorasick`'s anchored
    /// leftmost-longest search at every position, including forms that are prefixes of
    /// others, forms inside others and a form listed twice (the first pattern wins).
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
            "тонна",
        ];
        let pairs: Vec<(&str, RuleId)> = forms
            .iter()
            .enumerate()
            .map(|(i, f)| (*f, i as RuleId))
            .collect();
        let trie = Forms::new(&pairs).expect("builds");
        assert!(
            matches!(trie.walk, Walk::Trie(_)),
            "a small lexicon is a trie"
        );
        let nfa = Forms::with_limit(&pairs, 0).expect("builds");
        assert!(matches!(nfa.walk, Walk::Nfa { .. }), "no room for a trie");
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
            let found = trie.longest_at(text.as_bytes(), pos);
            assert_eq!(nfa.longest_at(text.as_bytes(), pos), found, "at {pos}");
            assert_eq!(found.map(|f| f.0), expected, "at {pos}");
            if let Some((pattern, len)) = found {
                assert!(text[pos..].starts_with(forms[pattern as usize]), "at {pos}");
                assert_eq!(len, forms[pattern as usize].len(), "at {pos}");
            }
            seen += usize::from(expected.is_some());
        }
        assert!(seen >= 11, "the text exercises matches ({seen})");
    }

    /// Every lexicon of the default rules is walked in a trie (none is large enough for the
    /// NFA).
    #[test]
    fn the_default_lexicons_are_tries() {
        let set = crate::rules::RuleSet::load_defaults().expect("default rules");
        let program = set.grammar.program();
        let mut lexicons = 0;
        for e in &program.exprs {
            if let super::super::Expr::Lexicon(forms) = e {
                assert!(matches!(forms.walk, Walk::Trie(_)), "{:?}", forms.forms());
                lexicons += 1;
            }
        }
        assert!(lexicons > 50, "{lexicons} lexicons");
    }
}
