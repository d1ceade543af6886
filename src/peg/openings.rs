//! Cheap first tests for a set of literals: whether any can begin at a place, and a choice
//! of plain literals run as one step behind that test.

/// How a set of forms opens, so most places where no form begins are ruled out before the
/// forms are looked at: lexicons are tried at word starts, and the first state loads of a
/// large lexicon's automaton miss the cache (a third of the matcher's lexicon time); a
/// choice of literals compares them one by one.
///
/// A form of one byte is kept by that byte, one of two or three bytes by a hash of its first
/// two, a longer one by a hash of its first four; a place passes when its own first bytes
/// hit one of them. Hashes only let too much through, so a form that begins at a place
/// always passes.
#[derive(Debug, Clone)]
pub(crate) struct Openings {
    /// Some form is empty: every place passes.
    empty: bool,
    one: [u64; 4],
    two: [u64; 32],
    four: [u64; 64],
}

impl Openings {
    pub(crate) fn new<'a>(forms: impl IntoIterator<Item = &'a str>) -> Openings {
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
    pub(crate) fn may_open(&self, rest: &[u8]) -> bool {
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

/// `rest.starts_with(lit)` for the short literals of grammars: the first byte rules out
/// most literals tried, and a byte loop beats a `memcmp` call for a few bytes (literals
/// were a third of the matcher's `memcmp` calls).
#[inline(always)]
pub(crate) fn has_prefix(rest: &[u8], lit: &[u8]) -> bool {
    match (rest.first(), lit.first()) {
        (_, None) => true,
        (Some(a), Some(b)) if a == b && rest.len() >= lit.len() => rest[1..lit.len()]
            .iter()
            .zip(&lit[1..])
            .all(|(a, b)| a == b),
        _ => false,
    }
}

/// A choice of plain literals (`"т" | "тонн" | …`), tried longest first as one step (see
/// [`super::Expr::Literals`]); most places where none begins are ruled out by their
/// [`Openings`] before any is compared.
#[derive(Debug, Clone)]
pub(crate) struct LiteralChoice {
    /// Longest first.
    pub(crate) literals: Box<[Box<str>]>,
    openings: Openings,
    /// The literals as a trie, which finds the longest one a place begins with in one walk
    /// (a choice of word endings has some twenty literals, and comparing them one by one
    /// cost some 470 instructions a try); `None` for a choice too large for one, which is
    /// scanned.
    trie: Option<super::automaton::Trie>,
}

impl LiteralChoice {
    /// The choice of `literals`, which must be longest first.
    pub(crate) fn new(literals: Box<[Box<str>]>) -> LiteralChoice {
        let openings = Openings::new(literals.iter().map(|l| &**l));
        let trie = super::automaton::Trie::new(literals.iter().map(|l| &**l));
        LiteralChoice {
            literals,
            openings,
            trie,
        }
    }

    /// The length of the first literal (the longest) that `rest` begins with.
    #[inline]
    pub(crate) fn longest_at(&self, rest: &[u8]) -> Option<usize> {
        if !self.openings.may_open(rest) {
            return None;
        }
        match &self.trie {
            // Literals longest first: the first that `rest` begins with is the longest.
            Some(trie) => trie.longest(rest).map(|(_, len)| len),
            None => self.scan(rest),
        }
    }

    /// [`LiteralChoice::longest_at`] by comparing the literals one by one.
    fn scan(&self, rest: &[u8]) -> Option<usize> {
        self.literals
            .iter()
            .find(|l| has_prefix(rest, l.as_bytes()))
            .map(|l| l.len())
    }
}

/// Literal choices are equal when their literals are: the openings follow from them.
impl PartialEq for LiteralChoice {
    fn eq(&self, other: &LiteralChoice) -> bool {
        self.literals == other.literals
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The longest literal a place begins with, as a plain scan finds it, at every place of
    /// a text with Cyrillic, Latin, digits and literals of every length class: by the trie
    /// and by the choice's own scan.
    #[test]
    fn longest_at_agrees_with_a_scan() {
        let mut literals: Vec<Box<str>> = [
            "т",
            "тонн",
            "тонна",
            "тоннаға",
            "млн",
            "млрд",
            "$",
            "%",
            "га",
            "km",
            "ab",
            "abcd",
            "abcde",
            "5",
        ]
        .iter()
        .map(|&l| l.into())
        .collect();
        literals.sort_by_key(|l| std::cmp::Reverse(l.len()));
        let choice = LiteralChoice::new(literals.clone().into());
        assert!(choice.trie.is_some(), "a few literals make a trie");
        let text = "5 тоннаға, 3 тонны и $4 млрд: тонна млн т, 7 га abcdef ab km 8%";
        let mut found = 0;
        for pos in (0..=text.len()).filter(|&p| text.is_char_boundary(p)) {
            let rest = &text.as_bytes()[pos..];
            let expected = literals
                .iter()
                .find(|l| rest.starts_with(l.as_bytes()))
                .map(|l| l.len());
            assert_eq!(choice.longest_at(rest), expected, "at {pos}");
            assert_eq!(choice.scan(rest), expected, "at {pos}");
            found += usize::from(expected.is_some());
        }
        assert!(found >= 13, "the text exercises matches ({found})");
    }

    #[test]
    fn has_prefix_is_starts_with() {
        let texts = ["", "т", "тонн", "тонна", "$5", "5 млн", "ab"];
        for rest in texts {
            for lit in texts {
                assert_eq!(
                    has_prefix(rest.as_bytes(), lit.as_bytes()),
                    rest.as_bytes().starts_with(lit.as_bytes()),
                    "{rest:?} / {lit:?}"
                );
            }
        }
    }
}
