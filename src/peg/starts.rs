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
//! with one (`ws ~ unit_word`) would let any text through after a space: its set instead
//! holds what can follow the run (see [`Gap`]), which is looked at past the spaces. After a
//! number, `ws ~ currency`, `ws ~ unit` and `ws ~ scale` are then ruled out by the next
//! word's first letter without a step, and so are `" "? ~ "%"` and `" "* ~ "-"`.

use super::charset::{CharSet, Member};
use super::pairs::PairSet;
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
    /// The spaces a match may open with, before a character of the set (when not
    /// [`Gap::None`], `bytes` also holds the space, and `nullable` is false).
    gap: Gap,
    /// The expression's first-two-characters set: one more than its index in
    /// `Program::pair_sets`, or 0 for none (see `pairs`); with a [`Gap`], of the two
    /// characters past the spaces. Kept here, in what is padding otherwise, so a check
    /// that reads the first set finds it in the same record.
    pub(crate) pairs: u32,
}

/// Spaces before the first character a set describes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Gap {
    /// None: the set is of the first character.
    #[default]
    None,
    /// One or more: the first character is a space, and the set is of the first
    /// character after the whole run.
    Some,
    /// Any number, none included: the set is of the first character that is not a space.
    Any,
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
        gap: Gap::None,
        pairs: 0,
    };

    /// Matches nothing (where the least fixpoint begins).
    fn is_empty(&self) -> bool {
        *self == Starts::default()
    }

    /// The same set without the look past the spaces: of the first character only.
    fn plain(&self) -> Starts {
        match self.gap {
            Gap::None => *self,
            Gap::Some => {
                let mut s = Starts::default();
                s.insert(b' ');
                s
            }
            Gap::Any => {
                let mut s = *self;
                s.gap = Gap::None;
                s
            }
        }
    }

    /// `self` after spaces (`gap` says how many), for what cannot begin with a space where
    /// it is looked for: after the longest run of spaces, or after one optional space when
    /// `self` has no space. `None` when that is not so, or when `self` needs no character.
    fn after_spaces(&self, gap: Gap) -> Option<Starts> {
        let mut s = self.plain();
        if s.nullable || gap == Gap::None {
            return None;
        }
        s.gap = gap;
        s.set_byte(b' ');
        Some(s)
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

    /// Adds every start of `other` (a set that lets through what either lets through).
    pub(crate) fn union(&mut self, other: &Starts) {
        if other.is_empty() {
            return;
        }
        if self.is_empty() {
            *self = *other;
            return;
        }
        match (self.gap, other.gap) {
            (a, b) if a == b => {}
            (Gap::None, _) | (_, Gap::None) => {
                // What follows the spaces is no longer known.
                *self = self.plain();
                return self.union(&other.plain());
            }
            // One or more spaces, or any number: any number.
            _ => self.gap = Gap::Any,
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

    /// Whether a match can begin at `pos` of `input`: false only when it surely cannot, by
    /// the first character and, when the set has one, the first two (`sets` are the
    /// program's pair sets, see [`Starts::pairs`]); with a [`Gap`], both are looked at past
    /// the spaces.
    #[inline(always)]
    pub(crate) fn may_match_at(&self, sets: &[PairSet], input: &[u8], pos: usize) -> bool {
        if self.nullable {
            return self.pairs_allow(sets, input, pos);
        }
        let Some(&b) = input.get(pos) else {
            return false;
        };
        if !self.contains(b) {
            return false;
        }
        if self.gap != Gap::None {
            return self.past_spaces(sets, input, pos);
        }
        self.second_byte_allows(input, b, pos) && self.pairs_allow(sets, input, pos)
    }

    /// Whether the pair set, if any, lets a match begin at `pos`.
    #[inline(always)]
    fn pairs_allow(&self, sets: &[PairSet], input: &[u8], pos: usize) -> bool {
        self.pairs == 0
            || sets
                .get(self.pairs as usize - 1)
                .is_none_or(|set| set.may_match_at(input, pos))
    }

    /// The look at the second byte of a Cyrillic character that opens at `pos`.
    #[inline(always)]
    fn second_byte_allows(&self, input: &[u8], b: u8, pos: usize) -> bool {
        match (cyrillic_word(b), input.get(pos + 1)) {
            (Some(w), Some(&next)) => self.cyrillic[w] & (1 << (next & 63)) != 0,
            _ => true,
        }
    }

    /// [`Starts::may_match_at`] of a set with a [`Gap`]: spaces at `pos` (or maybe none),
    /// then a character of the set, and two of the pair set.
    #[inline(never)]
    fn past_spaces(&self, sets: &[PairSet], input: &[u8], pos: usize) -> bool {
        if self.gap == Gap::Some && input.get(pos) != Some(&b' ') {
            return false;
        }
        let mut p = pos;
        while input.get(p) == Some(&b' ') {
            p += 1;
        }
        match input.get(p) {
            Some(&b) => {
                self.contains(b)
                    && self.second_byte_allows(input, b, p)
                    && self.pairs_allow(sets, input, p)
            }
            None => false,
        }
    }

    /// Whether the set describes what follows a run of spaces (then so does its pair set).
    pub(crate) fn looks_past_spaces(&self) -> bool {
        self.gap != Gap::None
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
        Expr::Numeric(n) => starts[rules[n.numeric as usize].expr],
        Expr::PosPred(x) => starts[*x],
        Expr::Seq(items) => seq(items, exprs, starts, trivia),
        Expr::SeqAfterMemo(s) => seq(&s.items, exprs, starts, trivia),
        Expr::Choice(items) => choice(items, starts),
        Expr::NumberFirst(n) => choice(&n.items, starts),
    }
}

/// The set of a sequence of `items` (the items after the first of a sequence, for
/// [`super::run::MemoSeq`]).
pub(crate) fn of_items(items: &[usize], exprs: &[Expr], starts: &[Starts], trivia: bool) -> Starts {
    seq(items, exprs, starts, trivia)
}

impl Starts {
    /// The characters a match can begin with, when the set knows them exactly (ASCII and
    /// the Cyrillic block only, no spaces looked past) and some character is needed.
    pub(crate) fn chars(&self) -> Option<Vec<char>> {
        if self.nullable || self.gap != Gap::None {
            return None;
        }
        let mut out = Vec::new();
        for b in 0..=255u8 {
            if !self.contains(b) {
                continue;
            }
            if b < 0x80 {
                out.push(char::from(b));
            } else if let Some(w) = cyrillic_word(b) {
                for low in 0..64u32 {
                    if self.cyrillic[w] & (1 << low) != 0 {
                        out.extend(char::from_u32(0x400 + (w as u32) * 64 + low));
                    }
                }
            } else {
                return None;
            }
        }
        Some(out)
    }

    /// Whether a match may consume nothing (then the set rules nothing out).
    pub(crate) fn is_nullable(&self) -> bool {
        self.nullable
    }
}

/// The first set of a choice of `items`: any of theirs.
fn choice(items: &[usize], starts: &[Starts]) -> Starts {
    let mut set = Starts::default();
    for &item in items {
        set.union(&starts[item]);
        set.nullable |= starts[item].nullable;
    }
    set
}

/// The set of a sequence of `items`.
fn seq(items: &[usize], exprs: &[Expr], starts: &[Starts], trivia: bool) -> Starts {
    if let [first, rest @ ..] = items
        && !trivia
        && !rest.is_empty()
        && matches!(exprs[*first], Expr::NegPred(_) | Expr::NotSet(_))
    {
        // A negative lookahead consumes nothing and lets any character through: the
        // sequence begins as the items after it begin (`!keyword ~ word`: as a word).
        return seq(rest, exprs, starts, trivia);
    }
    if let [first, rest @ ..] = items
        && !trivia
        && !rest.is_empty()
    {
        // Nothing is skipped between items: the rest begins where the spaces end.
        let after = match spaces(&exprs[*first], exprs) {
            Spaces::Run(gap) => seq(rest, exprs, starts, trivia).after_spaces(gap),
            // One space or none, then the rest, which must not begin with a space, or it
            // could begin at the second of two.
            Spaces::Optional => Some(seq(rest, exprs, starts, trivia))
                .filter(|s| !s.plain().contains(b' '))
                .and_then(|s| s.after_spaces(Gap::Any)),
            // One space, then the rest, which must not begin with a space: it begins right
            // after the first, which is then the whole run (a longer run rules it out, and
            // the look past the run lets a superset through).
            Spaces::One => Some(seq(rest, exprs, starts, trivia))
                .filter(|s| !s.plain().contains(b' '))
                .and_then(|s| s.after_spaces(Gap::Some)),
            Spaces::No => None,
        };
        if let Some(after) = after {
            return after;
        }
    }
    let mut set = Starts::default();
    for (i, &item) in items.iter().enumerate() {
        if i > 0 && trivia {
            // Whitespace may come before this item.
            return Starts::ANY;
        }
        if !trivia && matches!(exprs[item], Expr::NegPred(_) | Expr::NotSet(_)) {
            // Consumes nothing, lets anything through (see above).
            continue;
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

/// Whether expression `e` is a run of spaces, one space or an optional one: a sequence
/// that opens with it may have a set that looks past the spaces (see [`of_items`]).
pub(crate) fn opens_with_spaces(e: &Expr, exprs: &[Expr]) -> bool {
    !matches!(spaces(e, exprs), Spaces::No)
}

/// What spaces an expression that opens a sequence matches.
enum Spaces {
    /// `" "+` (`Gap::Some`) or `" "*` (`Gap::Any`): all there are.
    Run(Gap),
    /// `" "?`.
    Optional,
    /// `" "`: exactly one (a thousands separator before a group of digits).
    One,
    /// Something else.
    No,
}

fn spaces(e: &Expr, exprs: &[Expr]) -> Spaces {
    let space_set = |set: &CharSet| matches!(set.members(), [Member::Range(' ', ' ')]);
    match e {
        Expr::Span(set, true) if space_set(set) => Spaces::Run(Gap::Some),
        Expr::Span(set, false) if space_set(set) => Spaces::Run(Gap::Any),
        Expr::Str(s) if &**s == " " => Spaces::One,
        Expr::Set(set) if space_set(set) => Spaces::One,
        Expr::Opt(x) => match &exprs[*x] {
            Expr::Str(s) if &**s == " " => Spaces::Optional,
            Expr::Set(set) if space_set(set) => Spaces::Optional,
            _ => Spaces::No,
        },
        _ => Spaces::No,
    }
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
        p.starts[p.rules[id as usize].expr].may_match_at(&[], input.as_bytes(), pos)
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

    /// A negative lookahead lets any character through and consumes nothing: a sequence
    /// that opens with one (or has one where it may still begin) begins as what follows.
    #[test]
    fn a_negative_lookahead_does_not_hide_what_follows_it() {
        let p = program(
            r#"
            wb    = _{ !LETTER }
            word  = { !("и" ~ wb) ~ LETTER+ }
            gap   = { " "+ ~ !"и" ~ ASCII_DIGIT }
            mid   = { "-"? ~ !"x" ~ ASCII_DIGIT }
            "#,
        );
        let cases = [
            ("word", "и ", true, false),
            ("word", "или", true, true),
            ("word", "5", false, false),
            ("word", ",", false, false),
            ("gap", "  7", true, true),
            ("gap", "  x", false, false),
            ("mid", "-5", true, true),
            ("mid", "5", true, true),
            ("mid", "x", false, false),
        ];
        for (name, input, through, matches) in cases {
            assert_eq!(
                may_match(&p, name, input, 0),
                through,
                "{name} at {input:?}"
            );
            let id = p.rule_id(name).expect("rule");
            assert_eq!(
                p.matches(id, input, Limits::default()).is_ok(),
                matches,
                "{name} at {input:?}"
            );
        }
    }

    /// After `" "`, `" "?` or `" "*`, what follows the spaces decides too; after `" "` or
    /// `" "?` only when it cannot begin with a space itself.
    #[test]
    fn optional_spaces_are_looked_past() {
        let p = program(
            r#"
            pct   = { " "? ~ "%" }
            dash  = { " "* ~ "-" ~ " "* }
            loose = { " "? ~ (" " | "x") }
            group = { " " ~ ASCII_DIGIT{3} }
            two   = { " " ~ (" " | "x") }
            "#,
        );
        let cases = [
            ("pct", "%", true),
            ("pct", " %", true),
            ("pct", "  %", true),
            ("pct", " года", false),
            ("pct", "года", false),
            ("dash", "-", true),
            ("dash", "   - ", true),
            ("dash", " года", false),
            ("loose", "  x", true),
            ("loose", "  ", true),
            ("group", " 000", true),
            ("group", " года", false),
            ("group", "000", false),
            ("two", "  ", true),
            ("two", " x", true),
        ];
        for (name, input, through) in cases {
            assert_eq!(
                may_match(&p, name, input, 0),
                through,
                "{name} at {input:?}"
            );
            let id = p.rule_id(name).expect("rule");
            if p.matches(id, input, Limits::default()).is_ok() {
                assert!(
                    through,
                    "{name} matches {input:?}, so it must be let through"
                );
            }
        }
    }
}
