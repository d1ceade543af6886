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
//!
//! Most gaps between words are a run of spaces (`ws = _{ " "+ }`), so a sequence that opens
//! with one (`ws ~ unit_word`) would let any text through after a space: its set is instead
//! marked `spaced` and holds what can follow the run, which is looked at past the spaces.
//! After a number, `ws ~ currency`, `ws ~ unit` and `ws ~ scale` are then ruled out by the
//! next word's first letter, without a step.

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
    /// A match opens with one or more spaces, and what follows the whole run is a
    /// character of the set (then `bytes` also holds the space, and `nullable` is false).
    spaced: bool,
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
        spaced: false,
    };

    /// Matches nothing (where the least fixpoint begins).
    fn is_empty(&self) -> bool {
        *self == Starts::default()
    }

    /// The same set without the look past the spaces: a space, when it was `spaced`.
    fn plain(&self) -> Starts {
        if !self.spaced {
            return *self;
        }
        let mut s = Starts::default();
        s.insert(b' ');
        s
    }

    /// What can follow a run of spaces: `self` past them (a run of spaces is the longest
    /// one, so whatever follows does not begin with a space). Only a set that needs a
    /// character can be looked for there.
    fn after_spaces(&self) -> Starts {
        let mut s = self.plain();
        if s.nullable {
            return Starts::default().with_space();
        }
        s.spaced = true;
        s.set_byte(b' ');
        s
    }

    fn with_space(mut self) -> Starts {
        self.insert(b' ');
        self
    }

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
        if other.is_empty() {
            return;
        }
        if self.is_empty() {
            *self = *other;
            return;
        }
        if self.spaced != other.spaced {
            // A space, then anything: what follows the spaces is no longer known.
            *self = self.plain();
            return self.union(&other.plain());
        }
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
        if self.spaced {
            return self.past_spaces(input, pos);
        }
        self.second_byte_allows(input, b, pos)
    }

    /// The look at the second byte of a Cyrillic character that opens at `pos`.
    #[inline(always)]
    fn second_byte_allows(&self, input: &[u8], b: u8, pos: usize) -> bool {
        match (cyrillic_word(b), input.get(pos + 1)) {
            (Some(w), Some(&next)) => self.cyrillic[w] & (1 << (next & 63)) != 0,
            _ => true,
        }
    }

    /// [`Starts::may_match_at`] of a `spaced` set: spaces at `pos`, then a character of
    /// the set.
    #[inline(never)]
    fn past_spaces(&self, input: &[u8], pos: usize) -> bool {
        if input.get(pos) != Some(&b' ') {
            return false;
        }
        let mut p = pos + 1;
        while input.get(p) == Some(&b' ') {
            p += 1;
        }
        match input.get(p) {
            Some(&b) => self.contains(b) && self.second_byte_allows(input, b, p),
            None => false,
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
        // What may be absent can begin with what it begins with, or with what follows it.
        Expr::Opt(x) | Expr::Rep(x) | Expr::UpTo(x, _) => {
            let mut set = starts[*x].plain();
            set.nullable = true;
            set
        }
        Expr::Span(set, false) => {
            let mut set = Starts::of_set(set);
            set.nullable = true;
            set
        }
        Expr::Soi
        | Expr::Eoi
        | Expr::NegPred(_)
        | Expr::Skip(_)
        | Expr::NotSet(_)
        | Expr::SpanUnless(..)
        | Expr::RunOf(_) => Starts::ANY,
        Expr::Call(id) => starts[rules[*id as usize].expr],
        Expr::PosPred(x) => starts[*x],
        Expr::Seq(items) => seq(items, exprs, starts, trivia),
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

/// The set of a sequence of `items`.
fn seq(items: &[usize], exprs: &[Expr], starts: &[Starts], trivia: bool) -> Starts {
    if let [first, rest @ ..] = items
        && !trivia
        && !rest.is_empty()
        && is_space_run(&exprs[*first])
    {
        // Nothing is skipped between items: the rest begins where the spaces end.
        return seq(rest, exprs, starts, trivia).after_spaces();
    }
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

/// `" "+`: one or more spaces, as many as there are.
fn is_space_run(e: &Expr) -> bool {
    matches!(e, Expr::Span(set, true) if matches!(set.members(), [Member::Range(' ', ' ')]))
}

#[cfg(test)]
mod tests {
    use super::super::{Limits, Program};

    fn program(grammar: &str) -> Program {
        let (_, rules) = pest_meta::parse_and_optimize(grammar).expect("grammar parses");
        super::super::compile(&rules, &[]).expect("compiles")
    }

    /// Whether rule `name`'s first set lets an attempt at `pos` of `input` through.
    fn may_match(p: &Program, name: &str, input: &str, pos: usize) -> bool {
        let id = p.rule_id(name).expect("rule");
        p.starts[p.rules[id as usize].expr].may_match_at(input.as_bytes(), pos)
    }

    /// A sequence that opens with a run of spaces is looked at past the spaces: the word
    /// after them decides, and wherever the rule matches its set lets it through.
    #[test]
    fn a_sequence_opening_with_spaces_is_decided_by_what_follows_them() {
        let p = program(
            r#"
            ws   = _{ " "+ }
            unit = { ("тонн" | "кг") ~ !LETTER }
            tail = { ws ~ unit | ws ~ "$" }
            gap  = { ws ~ ws ~ unit }
            opt  = { ws ~ unit? }
            "#,
        );
        let cases = [
            ("  тонн", true),
            (" кг", true),
            (" $", true),
            (" года", false),
            ("тонн", false),
            ("   ", false),
            ("", false),
        ];
        for (input, through) in cases {
            assert_eq!(may_match(&p, "tail", input, 0), through, "{input:?}");
            let id = p.rule_id("tail").expect("rule");
            if p.matches(id, input, Limits::default()).is_ok() {
                assert!(through, "{input:?} matches, so it must be let through");
            }
        }
        // Another run right after the longest one never matches.
        assert!(!may_match(&p, "gap", "  тонн", 0));
        // What may be absent after the spaces does not narrow the set.
        assert!(may_match(&p, "opt", " года", 0));
        assert!(!may_match(&p, "opt", "года", 0));
    }
}
