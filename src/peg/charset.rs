//! A set of single characters (`LETTER | ASCII_DIGIT | "-"`) matched as one table lookup.
//!
//! The default grammars test one character at a time everywhere: a word boundary is
//! `!(LETTER | ASCII_DIGIT)`, a name `(LETTER | ASCII_DIGIT | "-")*`, a space run `" "+`.
//! Run as written, each character costs a choice, a step per alternative and a decoded
//! character for a class function; as a set it is one step that looks at one or two bytes
//! for ASCII and the Cyrillic block, where nearly every character of nedra's texts is.

/// One alternative of a set: a builtin class or a range (a single character is a range
/// of one).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Member {
    Class(fn(char) -> bool),
    Range(char, char),
}

impl Member {
    fn contains(self, c: char) -> bool {
        match self {
            Member::Class(f) => f(c),
            Member::Range(lo, hi) => lo <= c && c <= hi,
        }
    }
}

impl PartialEq for Member {
    /// Classes are equal when they are the same function: equal addresses surely run the
    /// same code, and a set wrongly taken as different is only not folded.
    fn eq(&self, other: &Member) -> bool {
        match (*self, *other) {
            (Member::Class(f), Member::Class(g)) => std::ptr::fn_addr_eq(f, g),
            (Member::Range(a, b), Member::Range(c, d)) => a == c && b == d,
            _ => false,
        }
    }
}

/// The first byte of a character of the Cyrillic block (U+0400–U+04FF) is `0xD0 + i`,
/// `i` in 0..4, and the low six bits of the second byte are the rest of it.
const CYRILLIC: u8 = 0xD0;

/// Characters matched by any of `members`: answered from tables in ASCII and the Cyrillic
/// block (filled from the members themselves, so they agree), by the members elsewhere.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CharSet {
    ascii: [u64; 2],
    cyrillic: [u64; 4],
    members: Box<[Member]>,
}

impl CharSet {
    /// The set of characters any of `members` matches.
    pub(crate) fn new(members: Vec<Member>) -> CharSet {
        let mut set = CharSet {
            ascii: [0; 2],
            cyrillic: [0; 4],
            members: members.into(),
        };
        for c in (0u8..0x80).map(char::from).chain('\u{0400}'..='\u{04FF}') {
            if set.members.iter().any(|m| m.contains(c)) {
                let i = c as usize;
                if i < 0x80 {
                    set.ascii[i >> 6] |= 1 << (i & 63);
                } else {
                    set.cyrillic[(i - 0x400) >> 6] |= 1 << (i & 63);
                }
            }
        }
        set
    }

    /// The alternatives the set was made of.
    pub(crate) fn members(&self) -> &[Member] {
        &self.members
    }

    /// The length in bytes of the character at `pos` of `input` (a character boundary)
    /// when it is in the set; `None` when it is not, or at the end.
    #[inline(always)]
    pub(crate) fn len_at(&self, input: &str, pos: usize) -> Option<usize> {
        let bytes = input.as_bytes();
        let b = *bytes.get(pos)?;
        if b < 0x80 {
            return (self.ascii[usize::from(b >> 6)] >> (b & 63) & 1 != 0).then_some(1);
        }
        let w = b.wrapping_sub(CYRILLIC);
        if w < 4 {
            // A valid string has the second byte of this two-byte character.
            let next = *bytes.get(pos + 1)?;
            return (self.cyrillic[usize::from(w)] >> (next & 63) & 1 != 0).then_some(2);
        }
        self.len_elsewhere(input, pos)
    }

    #[inline(never)]
    fn len_elsewhere(&self, input: &str, pos: usize) -> Option<usize> {
        let c = input.get(pos..)?.chars().next()?;
        self.members
            .iter()
            .any(|m| m.contains(c))
            .then_some(c.len_utf8())
    }
}

/// One piece of an alternative of [`super::Expr::RunOf`]: what it matches at a place is
/// fixed by the characters there, with no node and no backtracking inside.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Piece {
    /// One character of the set.
    Set(CharSet),
    /// The literal, which is not empty.
    Lit(Box<str>),
    /// `&set`: the next character is in the set; consumes nothing.
    Peek(CharSet),
}

impl Piece {
    /// The bytes the piece consumes at `pos` of `input`, or `None` where it fails.
    #[inline(always)]
    pub(crate) fn len_at(&self, input: &str, pos: usize) -> Option<usize> {
        match self {
            Piece::Set(set) => set.len_at(input, pos),
            Piece::Lit(lit) => {
                super::openings::has_prefix(&input.as_bytes()[pos..], lit.as_bytes())
                    .then_some(lit.len())
            }
            Piece::Peek(set) => set.len_at(input, pos).map(|_| 0),
        }
    }

    /// It consumes at least one byte wherever it matches.
    pub(crate) fn consumes(&self) -> bool {
        match self {
            Piece::Set(_) => true,
            Piece::Lit(lit) => !lit.is_empty(),
            Piece::Peek(_) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::class;

    #[test]
    fn a_set_answers_as_its_members_do_for_every_kind_of_character() {
        let members = vec![
            Member::Class(class::is_alphabetic),
            Member::Range('0', '9'),
            Member::Range('-', '-'),
            Member::Range('№', '№'),
        ];
        let set = CharSet::new(members.clone());
        let text = "aZ9-_ жҚә№ 中€!ٸ\u{10FFFF}Ӿ";
        for (pos, c) in text.char_indices() {
            let expected = members.iter().any(|m| m.contains(c));
            assert_eq!(
                set.len_at(text, pos),
                expected.then_some(c.len_utf8()),
                "{c:?}"
            );
        }
        assert_eq!(set.len_at(text, text.len()), None, "the end");
        for c in ['\u{0400}', '\u{04FF}', '\u{0500}', '\u{7F}', ' '] {
            let s = c.to_string();
            assert_eq!(
                set.len_at(&s, 0).is_some(),
                members.iter().any(|m| m.contains(c)),
                "{c:?}"
            );
        }
    }

    #[test]
    fn sets_of_the_same_members_are_equal() {
        let a = CharSet::new(vec![Member::Class(class::is_alphabetic)]);
        let b = CharSet::new(vec![Member::Class(class::is_alphabetic)]);
        let c = CharSet::new(vec![Member::Class(class::is_numeric)]);
        assert_eq!(a, b);
        assert_ne!(a, c);
    }
}
