//! The first two characters an expression's matches can begin with, so the matcher skips a
//! rule call or an alternative that the first character lets through but the second rules
//! out (`пусть` against a lexicon entry of `подпис…` forms, `сразу` against `соглаш…`).
//!
//! [`super::starts`] looks at the first character only; a trigger word list opens with few
//! letters, so most words that begin with one of them pass it and fail inside the same word
//! a few steps later. Here an expression whose matches surely open with one of a small set
//! of character pairs keeps those pairs, hashed into a bit set; a place whose first two
//! characters hit none of them cannot begin a match.
//!
//! The set is about the *text*: whenever the expression matches at a place where the text
//! has two characters (of one or two bytes each), those two are one of the pairs. A place
//! with fewer, or with a longer character among its first two, always passes. Hashing only
//! lets more through, so the check is a superset test like the first sets'.
//!
//! A sequence that opens with spaces (`ws ~ unit_word` after a number) keeps the pairs of
//! what follows them, looked at past the spaces as its first set is (see `starts.rs`): "года"
//! after a number no longer passes because a unit begins with "г". A one-character match
//! (the unit "т", "$") has its character with any second (see [`ANY`]).

use super::starts::Starts;
use super::{CompiledRule, Expr};
use std::collections::BTreeSet;

/// More pairs than this and an expression keeps none (its set would let most through).
const MAX_PAIRS: usize = 256;

/// Bits of a [`PairSet`].
const BITS: usize = 2048;

/// The second character of a pair that stands for any: a one-character match (`т`, `$`)
/// can be followed by anything, and its first character alone is known. (Grammars never
/// name NUL, and a text's NUL only hits more.)
const ANY: char = '\0';

/// Hashed pairs of first characters of an expression's matches (see the module).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PairSet {
    bits: [u64; BITS / 64],
    /// Some pair has [`ANY`] second: a place whose pair misses is looked up again with it.
    any_second: bool,
}

/// The code of the character at `pos` (its bytes, when it has one or two) and its length.
#[inline(always)]
fn code_at(input: &[u8], pos: usize) -> Option<(u32, usize)> {
    let b = *input.get(pos)?;
    if b < 0x80 {
        Some((u32::from(b), 1))
    } else if b & 0xE0 == 0xC0 {
        let b1 = *input.get(pos + 1)?;
        Some((u32::from(b) << 8 | u32::from(b1), 2))
    } else {
        None
    }
}

/// The code [`code_at`] reads for `c`, if it reads one.
fn code_of(c: char) -> Option<u32> {
    let mut buf = [0u8; 4];
    let bytes = c.encode_utf8(&mut buf).as_bytes();
    code_at(bytes, 0).map(|(code, _)| code)
}

/// Two character codes (16 bits each) into `0..BITS`: one multiply.
#[inline(always)]
fn hash(a: u32, b: u32) -> usize {
    ((a << 16 | b).wrapping_mul(0x9E37_79B1) >> (32 - BITS.trailing_zeros())) as usize
}

impl PairSet {
    /// The set of `pairs`, hashed.
    fn of(pairs: &BTreeSet<(char, char)>) -> PairSet {
        let mut set = PairSet {
            bits: [0u64; BITS / 64],
            any_second: false,
        };
        for &(a, b) in pairs {
            // A pair with a longer character is never looked up: such a place passes.
            if let (Some(a), Some(b)) = (code_of(a), code_of(b)) {
                let i = hash(a, b);
                set.bits[i / 64] |= 1 << (i % 64);
                set.any_second |= b == 0;
            }
        }
        set
    }

    /// Whether hashed pair `i` is in the set.
    #[inline(always)]
    fn has(&self, i: usize) -> bool {
        self.bits[i / 64] & (1 << (i % 64)) != 0
    }

    /// Whether a match may begin at `pos` of `input`: false only when the first two
    /// characters there are surely none of the pairs (and the first is none whose second
    /// may be any).
    #[inline(always)]
    pub(crate) fn may_match_at(&self, input: &[u8], pos: usize) -> bool {
        let Some((a, len)) = code_at(input, pos) else {
            return true;
        };
        let Some((b, _)) = code_at(input, pos + len) else {
            return true;
        };
        self.has(hash(a, b)) || (self.any_second && self.has(hash(a, 0)))
    }
}

/// The set of the pairs of sets `a` and `b` (indices as `Starts::pairs` holds them), added
/// to `sets` if new: 0 when either is 0 (it rules nothing out).
pub(crate) fn union_of(sets: &mut Vec<PairSet>, a: u32, b: u32) -> u32 {
    if a == 0 || b == 0 {
        return 0;
    }
    if a == b {
        return a;
    }
    let (Some(x), Some(y)) = (sets.get(a as usize - 1), sets.get(b as usize - 1)) else {
        return 0;
    };
    let mut set = x.clone();
    for (bit, other) in set.bits.iter_mut().zip(y.bits) {
        *bit |= other;
    }
    set.any_second |= y.any_second;
    let i = sets.iter().position(|s| *s == set).unwrap_or_else(|| {
        sets.push(set);
        sets.len() - 1
    });
    i as u32 + 1
}

/// What is known of an expression's first two characters while the fixpoint runs: `None`
/// when nothing useful is (too many pairs, or the second may be anything). The pairs are
/// where the expression's first set looks: past the spaces when it has a gap (see
/// `Starts::looks_past_spaces`), else at the place itself.
type Pairs = Option<BTreeSet<(char, char)>>;

/// The pairs of every expression of a program, and the distinct sets checked.
pub(crate) struct PairTable {
    /// By expression (see [`Pairs`]).
    pairs: Vec<Pairs>,
    /// The distinct sets that rule something out: `Program::pair_sets`.
    pub(crate) sets: Vec<PairSet>,
}

impl PairTable {
    /// The set of `pairs` as one more than its index in `sets`, added if new; 0 when there
    /// is none, or it rules nothing out (every first character may have any second).
    fn intern(&mut self, pairs: Option<&BTreeSet<(char, char)>>) -> u32 {
        let Some(pairs) = pairs else {
            return 0;
        };
        if pairs.iter().all(|&(a, _)| pairs.contains(&(a, ANY))) {
            return 0;
        }
        let set = PairSet::of(pairs);
        let i = self.sets.iter().position(|s| *s == set).unwrap_or_else(|| {
            self.sets.push(set);
            self.sets.len() - 1
        });
        i as u32 + 1
    }

    /// The pair set of a sequence of `items` (the items after the first of a
    /// [`super::run::MemoSeq`]), as `Starts::pairs` holds it, for the first set
    /// `starts::of_items` gives them.
    pub(crate) fn of_items(&mut self, items: &[usize], exprs: &[Expr], starts: &[Starts]) -> u32 {
        let p = seq(items, exprs, starts, &self.pairs);
        self.intern(p.as_ref())
    }
}

/// The pairs of every expression of a program (indexed like its `exprs`): one more than an
/// index into the table's sets, or 0 for none (see `Starts::pairs`). Only for grammars
/// without implicit whitespace (with it, every expression gets none).
pub(crate) fn compute(
    exprs: &[Expr],
    rules: &[CompiledRule],
    starts: &[Starts],
    trivia: bool,
) -> (Vec<u32>, PairTable) {
    let mut pairs: Vec<Pairs> = vec![Some(BTreeSet::new()); exprs.len()];
    if trivia {
        let table = PairTable {
            pairs: vec![None; exprs.len()],
            sets: Vec::new(),
        };
        return (vec![0; exprs.len()], table);
    }
    loop {
        let mut changed = false;
        for e in 0..exprs.len() {
            if pairs[e].is_none() {
                continue;
            }
            let p = one(e, exprs, rules, starts, &pairs).filter(|p| p.len() <= MAX_PAIRS);
            if p != pairs[e] {
                pairs[e] = p;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let mut table = PairTable {
        pairs,
        sets: Vec::new(),
    };
    let index = (0..exprs.len())
        .map(|e| {
            if worth_checking(e, exprs) {
                let p = table.pairs[e].take();
                let i = table.intern(p.as_ref());
                table.pairs[e] = p;
                i
            } else {
                0
            }
        })
        .collect();
    (index, table)
}

/// Whether expression `e` checks its own pairs: not a call, which checks its rule's.
fn worth_checking(e: usize, exprs: &[Expr]) -> bool {
    !matches!(exprs[e], Expr::Call(_))
}

/// The first two characters of `s`, if it has two; its one and [`ANY`] if it has one.
fn pair_of(s: &str) -> Option<(char, char)> {
    let mut chars = s.chars();
    let first = chars.next()?;
    Some((first, chars.next().unwrap_or(ANY)))
}

/// The pairs of a set of strings: none when one is empty.
fn of_strs<'a>(strs: impl IntoIterator<Item = &'a str>) -> Pairs {
    strs.into_iter().map(pair_of).collect()
}

/// The pairs of expression `e`, from what is known so far of the others.
fn one(
    e: usize,
    exprs: &[Expr],
    rules: &[CompiledRule],
    starts: &[Starts],
    pairs: &[Pairs],
) -> Pairs {
    match &exprs[e] {
        Expr::Str(s) => of_strs([&**s]),
        Expr::Literals(lits) => of_strs(lits.literals.iter().map(|l| &**l)),
        Expr::Lexicon(forms) => of_strs(forms.forms().iter().map(|f| &**f)),
        Expr::Call(id) => pairs[rules[*id as usize].expr].clone(),
        Expr::PosPred(x) => pairs[*x].clone(),
        Expr::Choice(items) => {
            // Each item's pairs are where its set looks, which must be where the choice's
            // does (a choice of items that look past spaces and items that do not looks
            // at the place itself).
            let here = starts[e].looks_past_spaces();
            let mut all = BTreeSet::new();
            for &item in items.iter() {
                if starts[item].looks_past_spaces() != here {
                    return None;
                }
                all.extend(pairs[item].as_ref()?.iter().copied());
            }
            Some(all)
        }
        Expr::Seq(items) => seq(items, exprs, starts, pairs),
        _ => None,
    }
}

/// A sequence's pairs: its first item's, or the first item's one character with the next
/// item's first; past the spaces it opens with, those of the items after them. Each only
/// where the sequence's first set looks where that part's does.
fn seq(items: &[usize], exprs: &[Expr], starts: &[Starts], pairs: &[Pairs]) -> Pairs {
    let (&first, rest) = items.split_first()?;
    let of_items = |items: &[usize]| super::starts::of_items(items, exprs, starts, false);
    let here = of_items(items).looks_past_spaces();
    // The pairs of the items after the first, when they are looked for where these are.
    let of_rest = || {
        if of_items(rest).looks_past_spaces() == here {
            seq(rest, exprs, starts, pairs)
        } else {
            None
        }
    };
    match &exprs[first] {
        // Consumes nothing: the rest begins here.
        Expr::NegPred(_) | Expr::NotSet(_) => return of_rest(),
        Expr::PosPred(x) if pairs[*x].is_none() => return of_rest(),
        _ => {}
    }
    if here && super::starts::opens_with_spaces(&exprs[first], exprs) {
        // The set looks past the spaces, where the rest begins (itself at its place).
        return if of_items(rest).looks_past_spaces() {
            None
        } else {
            seq(rest, exprs, starts, pairs)
        };
    }
    if let Expr::Opt(x) | Expr::Rep(x) | Expr::UpTo(x, _) = exprs[first]
        && !here
        && !starts[x].looks_past_spaces()
        && let Some(p) = &pairs[x]
    {
        // Either `x` matches here, or the rest begins here.
        let mut all = p.clone();
        all.extend(of_rest()?);
        return Some(all);
    }
    if !starts[first].is_nullable()
        && starts[first].looks_past_spaces() == here
        && let Some(p) = &pairs[first]
    {
        // A string of one character is followed by the rest's first: its [`ANY`] is that,
        // when known. (Only for strings: another expression's pair with `ANY` may stand
        // for longer matches.)
        let strings = matches!(
            exprs[first],
            Expr::Str(_) | Expr::Literals(_) | Expr::Lexicon(_)
        );
        if strings
            && !here
            && p.iter().any(|&(_, b)| b == ANY)
            && let Some(next) = of_items(rest).chars()
        {
            let mut all = BTreeSet::new();
            for &(a, b) in p {
                if b != ANY {
                    all.insert((a, b));
                    continue;
                }
                all.extend(next.iter().map(|&n| (a, n)));
                if all.len() > MAX_PAIRS {
                    return Some(p.clone());
                }
            }
            return Some(all);
        }
        return Some(p.clone());
    }
    if here {
        return None;
    }
    // One character of a set, then the rest's first.
    let one_char = match &exprs[first] {
        Expr::Set(_) | Expr::Range(..) => starts[first].chars(),
        _ => None,
    }?;
    let next = of_items(rest).chars()?;
    let mut all = BTreeSet::new();
    for &a in &one_char {
        for &b in &next {
            all.insert((a, b));
            if all.len() > MAX_PAIRS {
                return None;
            }
        }
    }
    Some(all)
}

#[cfg(test)]
mod tests {
    use super::super::{Limits, MatchError, Program};

    fn program(grammar: &str) -> Program {
        let (_, rules) = pest_meta::parse_and_optimize(grammar).expect("grammar parses");
        super::super::compile(&rules, &[]).expect("compiles")
    }

    /// Rules of every kind the sets are built from: literals, choices of them, a sequence
    /// opening with one character of a set, lookaheads, recursion, and some whose second
    /// character is not known.
    const GRAMMAR: &str = r#"
        wb    = _{ !LETTER }
        sign  = { ("подпис" | "заключ" | "со") ~ LETTER* }
        doc   = { "соглаш" ~ LETTER* | "договор" ~ wb }
        trig  = { sign | doc | "о" ~ ("б" | "с") ~ LETTER* }
        digit = { ASCII_DIGIT ~ ("%" | "." ~ ASCII_DIGIT | " " ~ digit) }
        look  = { &("по" | "за") ~ LETTER+ }
        neg   = { !"с" ~ ("со" | "за") ~ LETTER* }
        rec   = { "(" ~ rec ~ ")" | "ab" }
        short = { ("с" | "со") ~ wb }
        any2  = { LETTER ~ LETTER }
        gap   = { " "+ ~ "тонн" }
        trio  = { trig | digit | look | neg | rec | short }
        unit  = { ("тонн" | "га" | "т") ~ !LETTER }
        after = { " "+ ~ unit }
        maybe = { ("ақш" ~ " ")? ~ unit }
        pct   = { " "? ~ ("%" | "пр") }
    "#;

    const RULES: [&str; 16] = [
        "sign", "doc", "trig", "digit", "look", "neg", "rec", "short", "any2", "gap", "trio", "wb",
        "unit", "after", "maybe", "pct",
    ];

    /// A rule's first set with its pair set lets an attempt through at `pos`.
    fn through(p: &Program, name: &str, input: &str, pos: usize) -> bool {
        let id = p.rule_id(name).expect("rule");
        p.starts[p.rules[id as usize].expr].may_match_at(&p.pair_sets, input.as_bytes(), pos)
    }

    /// Wherever a rule matches, its sets let the attempt through, and matching with the
    /// checks ends where matching without them (as explanations run) does: texts drawn at
    /// random from the grammar's alphabet, every rule at every place.
    #[test]
    fn the_sets_let_through_every_place_where_a_rule_matches() {
        let p = program(GRAMMAR);
        let alphabet: Vec<char> = "подписзаключсоглашдговрбте()ab1.% xйё".chars().collect();
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let words = [
            "подписали",
            "соглашение",
            "договор",
            "об",
            "со",
            "за",
            "(ab)",
            "тонн",
            "т",
            "года",
            "ақш ",
            " пр",
        ];
        let mut matched = 0;
        let mut rejected = 0;
        for _ in 0..3000 {
            let mut text = String::new();
            for _ in 0..next(6) {
                if next(3) == 0 {
                    text.push_str(words[next(words.len())]);
                } else {
                    text.push(alphabet[next(alphabet.len())]);
                }
            }
            for (pos, _) in text.char_indices().chain([(text.len(), ' ')]) {
                for name in RULES {
                    let id = p.rule_id(name).expect("rule");
                    // Explanations skip nothing: the reference for where a rule matches.
                    let reference = p.explain(id, &text[pos..], Limits::default());
                    let matches = reference.is_ok();
                    let through = through(&p, name, &text, pos);
                    assert!(through || !matches, "{name} matches {:?}", &text[pos..]);
                    let ours = p.matches(id, &text[pos..], Limits::default());
                    assert_eq!(
                        ours.map(|m| m.end).ok(),
                        reference.map(|m| m.end).ok(),
                        "{name} at {:?}",
                        &text[pos..]
                    );
                    matched += usize::from(matches);
                    rejected += usize::from(!through);
                }
            }
        }
        assert!(matched > 2000 && rejected > 2000, "{matched} {rejected}");
    }

    /// Where the first character fits and the second does not, the pair set rules the
    /// attempt out: no step is taken; after spaces a sequence opens with, so do the first
    /// two characters past them, and a one-letter word lets any second through. Where the
    /// second character is not known, or the text has one character left, it lets the
    /// attempt through.
    #[test]
    fn a_second_character_that_fits_no_pair_is_ruled_out() {
        let p = program(GRAMMAR);
        let steps = |name: &str, input: &str| {
            let id = p.rule_id(name).expect("rule");
            match p.matches(id, input, Limits::default()) {
                Ok(m) => m.steps,
                Err(MatchError::NoMatch(f)) => f.steps,
                Err(e) => panic!("{e:?}"),
            }
        };
        for (name, input) in [
            ("sign", "пуск"),
            ("sign", "сыр"),
            ("trig", "он"),
            ("trig", "пять"),
            ("digit", "1a"),
            ("look", "пусть"),
            ("neg", "сыр"),
            ("rec", "(x"),
            ("gap", "ab"),
            ("after", " года"),
            ("after", "  гд"),
            ("maybe", "года"),
            ("maybe", "аб"),
            ("pct", " по"),
        ] {
            assert!(!through(&p, name, input, 0), "{name} at {input:?}");
            assert_eq!(steps(name, input), 0, "{name} at {input:?}");
        }
        for (name, input) in [
            ("sign", "подписан"),
            ("sign", "с"),
            ("trig", "об"),
            ("digit", "1 2%"),
            ("short", "сыр"),
            ("any2", "ab"),
            ("gap", "  тонн"),
            ("after", " т."),
            ("after", "  га"),
            ("maybe", "ақш т"),
            ("maybe", "т"),
            ("pct", "  пр"),
        ] {
            assert!(through(&p, name, input, 0), "{name} at {input:?}");
        }
        // Only the first character is known after "с" in `short` and anything in `any2`:
        // no set at all.
        for name in ["short", "any2", "wb"] {
            let id = p.rule_id(name).expect("rule");
            assert_eq!(p.starts[p.rules[id as usize].expr].pairs, 0, "{name}");
        }
    }
}
