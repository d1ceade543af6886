//! The bytes an expression can begin with, so the matcher skips an alternative, a rule
//! call or a repetition that cannot match at the byte in front of it without running it.
//!
//! Most attempts fail at their first byte: an amount alternative opening with `$` tried at
//! a digit, a lexicon of units tried at a comma. Skipping those changes no result: the
//! sets are supersets (a success at `pos` implies the expression is `nullable` or the
//! character at `pos` is in the set), built as a least fixpoint over the rules.
//!
//! A Cyrillic letter is two bytes whose first is one of four (`D0`–`D3`), so the first byte
//! alone lets a Russian or Kazakh word through wherever any Cyrillic word could begin: the
//! set also keeps which characters of the Cyrillic block (U+0400–U+04FF) can begin a
//! match, and looks at the second byte after one of those four.

use super::charset::{CharSet, Member};
use super::{CompiledRule, Expr};

/// Possible first bytes (and Cyrillic first characters) of an expression's matches, and
/// whether it can match empty.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Starts {
    bytes: [u64; 4],
    /// Characters of the Cyrillic block that can begin a match, one word per first byte
    /// (`D0`–`D3`), indexed by the low six bits of the second. A first byte is in `bytes`
    /// exactly when some of its characters are here.
    cyrillic: [u64; 4],
    /// It can succeed without consuming a byte (then `bytes` says nothing).
    nullable: bool,
}

/// The first byte of a character of the Cyrillic block (U+0400–U+04FF) is `CYRILLIC + i`,
/// `i` in 0..4.
const CYRILLIC: u8 = 0xD0;

/// The word of [`Starts::cyrillic`] of first byte `b`, if `b` opens a Cyrillic character.
#[inline(always)]
fn cyrillic_word(b: u8) -> Option<usize> {
    let i = b.wrapping_sub(CYRILLIC);
    (i < 4).then_some(usize::from(i))
}

impl Starts {
    const ANY: Starts = Starts {
        bytes: [u64::MAX; 4],
        cyrillic: [u64::MAX; 4],
        nullable: true,
    };

    /// Adds byte `b`, and every character it can open.
    fn insert(&mut self, b: u8) {
        self.set_byte(b);
        if let Some(w) = cyrillic_word(b) {
            self.cyrillic[w] = u64::MAX;
        }
    }

    fn set_byte(&mut self, b: u8) {
        self.bytes[usize::from(b >> 6)] |= 1 << (b & 63);
    }

    /// Adds character `c` (only its first byte, outside the Cyrillic block).
    fn insert_char(&mut self, c: char) {
        let mut buf = [0u8; 4];
        let bytes = c.encode_utf8(&mut buf).as_bytes();
        match cyrillic_word(bytes[0]) {
            Some(w) => {
                self.set_byte(bytes[0]);
                self.cyrillic[w] |= 1 << (bytes[1] & 63);
            }
            None => self.insert(bytes[0]),
        }
    }

    fn union(&mut self, other: &Starts) {
        for (a, b) in self.bytes.iter_mut().zip(other.bytes) {
            *a |= b;
        }
        for (a, b) in self.cyrillic.iter_mut().zip(other.cyrillic) {
            *a |= b;
        }
    }

    fn contains(&self, b: u8) -> bool {
        self.bytes[usize::from(b >> 6)] & (1 << (b & 63)) != 0
    }

    /// Whether a match can begin at `pos` of `input`: false only when it surely cannot.
    #[inline]
    pub(crate) fn may_match_at(&self, input: &[u8], pos: usize) -> bool {
        if self.nullable {
            return true;
        }
        let Some(&b) = input.get(pos) else {
            return false;
        };
        if !self.contains(b) {
            return false;
        }
        match (cyrillic_word(b), input.get(pos + 1)) {
            (Some(w), Some(&next)) => self.cyrillic[w] & (1 << (next & 63)) != 0,
            _ => true,
        }
    }

    /// Every character for which `f` holds: exactly in ASCII and the Cyrillic block, by
    /// first byte elsewhere.
    fn of_class(f: fn(char) -> bool) -> Starts {
        let mut s = Starts::default();
        (0u8..0x80)
            .filter(|&b| f(char::from(b)))
            .for_each(|b| s.insert(b));
        (0xC2..=0xF4)
            .filter(|&b| cyrillic_word(b).is_none())
            .for_each(|b| s.insert(b));
        ('\u{0400}'..='\u{04FF}')
            .filter(|&c| f(c))
            .for_each(|c| s.insert_char(c));
        s
    }

    /// Every character of a set: the union of its members' sets.
    fn of_set(set: &CharSet) -> Starts {
        let mut s = Starts::default();
        for m in set.members() {
            let one = match *m {
                Member::Class(f) => Starts::of_class(f),
                Member::Range(a, b) => Starts::of_range(a, b),
            };
            s.union(&one);
        }
        s
    }

    /// Every character from `a` to `b`; any byte for a range too long to list.
    fn of_range(a: char, b: char) -> Starts {
        let mut set = Starts::default();
        if (b as u32).saturating_sub(a as u32) > 0x1_0000 {
            return Starts::ANY;
        }
        for c in a..=b {
            set.insert_char(c);
        }
        set
    }

    fn of_literals<'a>(lits: impl IntoIterator<Item = &'a str>) -> Starts {
        let mut s = Starts::default();
        for l in lits {
            match l.chars().next() {
                Some(c) => s.insert_char(c),
                None => s.nullable = true,
            }
        }
        s
    }
}

/// First-character sets of every expression of a program (indexed like its `exprs`).
/// `lexicon_firsts[e]` gives the first characters of lexicon expression `e`'s forms; `trivia`
/// says the grammar has implicit `WHITESPACE`/`COMMENT`, which can open a sequence's later
/// items.
pub(crate) fn compute(
    exprs: &[Expr],
    rules: &[CompiledRule],
    lexicon_firsts: &std::collections::HashMap<usize, Vec<char>>,
    trivia: bool,
) -> Vec<Starts> {
    let mut starts = vec![Starts::default(); exprs.len()];
    loop {
        let mut changed = false;
        for e in 0..exprs.len() {
            let s = one(e, exprs, rules, &starts, lexicon_firsts, trivia);
            if s != starts[e] {
                starts[e] = s;
                changed = true;
            }
        }
        if !changed {
            return starts;
        }
    }
}

fn one(
    e: usize,
    exprs: &[Expr],
    rules: &[CompiledRule],
    starts: &[Starts],
    lexicon_firsts: &std::collections::HashMap<usize, Vec<char>>,
    trivia: bool,
) -> Starts {
    match &exprs[e] {
        Expr::Str(s) => Starts::of_literals([&**s]),
        Expr::Insens(s) => {
            let mut set = Starts::of_literals([&**s]);
            if let Some(&b) = s.as_bytes().first().filter(|b| b.is_ascii()) {
                set.insert(b.to_ascii_uppercase());
                set.insert(b.to_ascii_lowercase());
            }
            set
        }
        Expr::Literals(lits) => Starts::of_literals(lits.literals.iter().map(|l| &**l)),
        Expr::Lexicon(..) => {
            let mut set = Starts::default();
            match lexicon_firsts.get(&e) {
                Some(chars) => chars.iter().for_each(|&c| set.insert_char(c)),
                None => set = Starts::ANY,
            }
            set
        }
        Expr::Range(a, b) => Starts::of_range(*a, *b),
        Expr::Class(f) => Starts::of_class(*f),
        Expr::Set(set) | Expr::Span(set, true) => Starts::of_set(set),
        Expr::Any | Expr::NoneOf(_) => {
            let mut set = Starts::ANY;
            set.nullable = false;
            set
        }
        Expr::Soi
        | Expr::Eoi
        | Expr::NegPred(_)
        | Expr::Skip(_)
        | Expr::Opt(_)
        | Expr::Rep(_)
        | Expr::UpTo(..)
        | Expr::NotSet(_)
        | Expr::Span(_, false)
        | Expr::SpanUnless(..)
        | Expr::RunOf(_) => Starts::ANY,
        Expr::Call(id) => starts[rules[*id as usize].expr],
        Expr::PosPred(x) => starts[*x],
        Expr::Seq(items) => {
            let mut set = Starts::default();
            for (i, &item) in items.iter().enumerate() {
                if i > 0 && trivia {
                    // Whitespace may come before this item.
                    return Starts::ANY;
                }
                set.union(&starts[item]);
                if !starts[item].nullable {
                    set.nullable = false;
                    return set;
                }
            }
            set.nullable = true;
            set
        }
        Expr::Choice(items) => {
            let mut set = Starts::default();
            for &item in items.iter() {
                set.union(&starts[item]);
                set.nullable |= starts[item].nullable;
            }
            set
        }
    }
}
