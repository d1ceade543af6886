//! The bytes an expression can begin with, so the matcher skips an alternative, a rule
//! call or a repetition that cannot match at the byte in front of it without running it.
//!
//! Most attempts fail at their first byte: an amount alternative opening with `$` tried at
//! a digit, a lexicon of units tried at a comma. Skipping those changes no result: the
//! sets are supersets (a success at `pos` implies the expression is `nullable` or
//! `input[pos]` is in `bytes`), built as a least fixpoint over the rules.

use super::{CompiledRule, Expr};

/// Possible first bytes of an expression's matches, and whether it can match empty.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Starts {
    bytes: [u64; 4],
    /// It can succeed without consuming a byte (then `bytes` says nothing).
    nullable: bool,
}

impl Starts {
    const ANY: Starts = Starts {
        bytes: [u64::MAX; 4],
        nullable: true,
    };

    fn insert(&mut self, b: u8) {
        self.bytes[usize::from(b >> 6)] |= 1 << (b & 63);
    }

    fn union(&mut self, other: &Starts) {
        for (a, b) in self.bytes.iter_mut().zip(other.bytes) {
            *a |= b;
        }
    }

    fn contains(&self, b: u8) -> bool {
        self.bytes[usize::from(b >> 6)] & (1 << (b & 63)) != 0
    }

    /// Whether a match can begin at `pos` of `input`: false only when it surely cannot.
    #[inline]
    pub(crate) fn may_match_at(&self, input: &[u8], pos: usize) -> bool {
        self.nullable || input.get(pos).is_some_and(|&b| self.contains(b))
    }

    fn of_char(c: char) -> Starts {
        let mut s = Starts::default();
        let mut buf = [0u8; 4];
        s.insert(c.encode_utf8(&mut buf).as_bytes()[0]);
        s
    }

    /// Every byte that can open a character other than ASCII.
    fn non_ascii() -> Starts {
        let mut s = Starts::default();
        (0xC2..=0xF4).for_each(|b| s.insert(b));
        s
    }

    fn of_literals<'a>(lits: impl IntoIterator<Item = &'a str>) -> Starts {
        let mut s = Starts::default();
        for l in lits {
            match l.as_bytes().first() {
                Some(&b) => s.insert(b),
                None => s.nullable = true,
            }
        }
        s
    }
}

/// First-byte sets of every expression of a program (indexed like its `exprs`).
/// `lexicon_firsts[e]` gives the first bytes of lexicon expression `e`'s forms; `trivia`
/// says the grammar has implicit `WHITESPACE`/`COMMENT`, which can open a sequence's later
/// items.
pub(crate) fn compute(
    exprs: &[Expr],
    rules: &[CompiledRule],
    lexicon_firsts: &std::collections::HashMap<usize, Vec<u8>>,
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
    lexicon_firsts: &std::collections::HashMap<usize, Vec<u8>>,
    trivia: bool,
) -> Starts {
    match &exprs[e] {
        Expr::Str(s) => Starts::of_literals([&**s]),
        Expr::Insens(s) => {
            let mut set = Starts::of_literals([&**s]);
            if let Some(&b) = s.as_bytes().first() {
                set.insert(b.to_ascii_uppercase());
                set.insert(b.to_ascii_lowercase());
            }
            set
        }
        Expr::Literals(lits) => Starts::of_literals(lits.iter().map(|l| &**l)),
        Expr::Lexicon(..) => {
            let mut set = Starts::default();
            match lexicon_firsts.get(&e) {
                Some(bytes) => bytes.iter().for_each(|&b| set.insert(b)),
                None => set = Starts::ANY,
            }
            set
        }
        Expr::Range(a, b) => {
            let mut set = Starts::default();
            if (*b as u32).saturating_sub(*a as u32) > 0x1_0000 {
                return Starts::ANY;
            }
            for c in *a..=*b {
                set.union(&Starts::of_char(c));
            }
            set
        }
        Expr::Class(f) => {
            let mut set = Starts::non_ascii();
            (0u8..0x80)
                .filter(|&b| f(char::from(b)))
                .for_each(|b| set.insert(b));
            set
        }
        Expr::Any => {
            let mut set = Starts::ANY;
            set.nullable = false;
            set
        }
        Expr::Soi | Expr::Eoi | Expr::NegPred(_) | Expr::Skip(_) | Expr::Opt(_) | Expr::Rep(_) => {
            Starts::ANY
        }
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
