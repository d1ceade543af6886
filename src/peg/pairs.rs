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

use super::starts::Starts;
use super::{CompiledRule, Expr};
use std::collections::BTreeSet;

/// More pairs than this and an expression keeps none (its set would let most through).
const MAX_PAIRS: usize = 256;

/// Bits of a [`PairSet`].
const BITS: usize = 2048;

/// Hashed pairs of first characters of an expression's matches (see the module).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PairSet {
    bits: [u64; BITS / 64],
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
        let mut bits = [0u64; BITS / 64];
        for &(a, b) in pairs {
            // A pair with a longer character is never looked up: such a place passes.
            if let (Some(a), Some(b)) = (code_of(a), code_of(b)) {
                let i = hash(a, b);
                bits[i / 64] |= 1 << (i % 64);
            }
        }
        PairSet { bits }
    }

    /// Whether a match may begin at `pos` of `input`: false only when the first two
    /// characters there are surely none of the pairs.
    #[inline(always)]
    pub(crate) fn may_match_at(&self, input: &[u8], pos: usize) -> bool {
        let Some((a, len)) = code_at(input, pos) else {
            return true;
        };
        let Some((b, _)) = code_at(input, pos + len) else {
            return true;
        };
        let i = hash(a, b);
        self.bits[i / 64] & (1 << (i % 64)) != 0
    }
}

/// What is known of an expression's first two characters while the fixpoint runs: `None`
/// when nothing useful is (too many pairs, or the second may be anything).
type Pairs = Option<BTreeSet<(char, char)>>;

/// The pairs of every expression of a program (indexed like its `exprs`): one more than an
/// index into the returned sets, or 0 for none (see `Starts::pairs`). Only for grammars
/// without implicit whitespace (with it, every expression gets none).
pub(crate) fn compute(
    exprs: &[Expr],
    rules: &[CompiledRule],
    starts: &[Starts],
    trivia: bool,
) -> (Vec<u32>, Vec<PairSet>) {
    let mut pairs: Vec<Pairs> = vec![Some(BTreeSet::new()); exprs.len()];
    if trivia {
        return (vec![0; exprs.len()], Vec::new());
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
    let mut sets: Vec<PairSet> = Vec::new();
    let index = pairs
        .iter()
        .enumerate()
        .map(|(e, p)| match p {
            Some(p) if worth_checking(e, exprs) => {
                let set = PairSet::of(p);
                let i = sets.iter().position(|s| *s == set).unwrap_or_else(|| {
                    sets.push(set);
                    sets.len() - 1
                });
                i as u32 + 1
            }
            _ => 0,
        })
        .collect();
    (index, sets)
}

/// Whether expression `e` checks its own pairs: not a call, which checks its rule's.
fn worth_checking(e: usize, exprs: &[Expr]) -> bool {
    !matches!(exprs[e], Expr::Call(_))
}

/// The first two characters of `s`, if it has two.
fn pair_of(s: &str) -> Option<(char, char)> {
    let mut chars = s.chars();
    Some((chars.next()?, chars.next()?))
}

/// The pairs of a set of strings: none when one is shorter than two characters.
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
            let mut all = BTreeSet::new();
            for &item in items.iter() {
                all.extend(pairs[item].as_ref()?.iter().copied());
            }
            Some(all)
        }
        Expr::Seq(items) => seq(items, exprs, starts, pairs),
        _ => None,
    }
}

/// A sequence's pairs: its first item's, or the first item's one character with the next
/// item's first.
fn seq(items: &[usize], exprs: &[Expr], starts: &[Starts], pairs: &[Pairs]) -> Pairs {
    let (&first, rest) = items.split_first()?;
    match &exprs[first] {
        // Consumes nothing: the rest begins here.
        Expr::NegPred(_) | Expr::NotSet(_) => return seq(rest, exprs, starts, pairs),
        Expr::PosPred(x) if pairs[*x].is_none() => return seq(rest, exprs, starts, pairs),
        _ => {}
    }
    if !starts[first].is_nullable()
        && let Some(p) = &pairs[first]
    {
        return Some(p.clone());
    }
    // One character of a small set, then the rest's first.
    let one_char = match &exprs[first] {
        Expr::Str(s) if s.chars().count() == 1 => s.chars().next().map(|c| vec![c]),
        Expr::Set(_) | Expr::Range(..) => starts[first].chars(),
        _ => None,
    }?;
    let next = super::starts::of_items(rest, exprs, starts, false).chars()?;
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
    "#;

    const RULES: [&str; 12] = [
        "sign", "doc", "trig", "digit", "look", "neg", "rec", "short", "any2", "gap", "trio", "wb",
    ];

    /// A rule's first set with its pair set lets an attempt through at `pos`.
    fn through(p: &Program, name: &str, input: &str, pos: usize) -> bool {
        let id = p.rule_id(name).expect("rule");
        let starts = &p.starts[p.rules[id as usize].expr];
        let pairs = starts.pairs;
        starts.may_match_at(input.as_bytes(), pos)
            && (pairs == 0 || p.pair_sets[pairs as usize - 1].may_match_at(input.as_bytes(), pos))
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
    /// attempt out: no step is taken. Where the second character is not known, or the text
    /// has one character left, it lets the attempt through.
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
