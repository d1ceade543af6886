//! Decisions made once a grammar is compiled: which rules a [`super::Memo`] keeps, which
//! silent rules are inlined into their callers, and which choices are left-factored.
//!
//! All only change how much work a match takes, never its result: a memoised result is
//! the result of the call, and a silent rule (`_{}`) makes no node, keeps its caller's
//! atomicity and is not named in explanations, so evaluating its body in place is what
//! calling it does, minus a call (in the default grammars a third of all steps were calls,
//! most of them to `digit`, `ws` and `wb`). Left-factoring is the PEG identity
//! `a ~ b | a ~ c` = `a ~ (b | c)`: `a` matches the same way both times it is tried at one
//! place, so the second try only repeats the first (see [`left_factor`]). For the same
//! reason a run of optional copies `x? ~ x? ~ x?` stops at the first copy that fails (see
//! [`fold_optional_runs`]). `!("\"" | "\n") ~ ANY` is one step (see [`fold_none_of`]).

use super::charset::{CharSet, Member, Piece};
use super::{CompiledRule, Expr, Kind, RuleId};

/// What one rule's body holds, without following calls.
#[derive(Default)]
struct Body {
    /// Rules it calls (lexicon entries included).
    calls: Vec<RuleId>,
    /// It runs a lexicon automaton or a `SKIP`: never cheap.
    heavy: bool,
    /// It uses `SOI`.
    soi: bool,
}

fn children(e: &Expr) -> &[usize] {
    match e {
        Expr::PosPred(x)
        | Expr::NegPred(x)
        | Expr::Opt(x)
        | Expr::Rep(x)
        | Expr::UpTo(x, _)
        | Expr::SpanUnless(x, _) => std::slice::from_ref(x),
        Expr::Seq(xs) | Expr::Choice(xs) => xs,
        _ => &[],
    }
}

fn body(rule: &CompiledRule, exprs: &[Expr]) -> Body {
    let mut b = Body::default();
    let mut stack = vec![rule.expr];
    while let Some(e) = stack.pop() {
        match &exprs[e] {
            Expr::Call(id) => b.calls.push(*id),
            Expr::Lexicon(forms) => {
                b.calls.extend_from_slice(forms.entries());
                b.heavy = true;
            }
            Expr::Skip(_) => b.heavy = true,
            Expr::Soi => b.soi = true,
            _ => {}
        }
        stack.extend_from_slice(children(&exprs[e]));
    }
    b
}

/// Per rule: whether it can call itself, directly or through other rules.
fn recursive(bodies: &[Body]) -> Vec<bool> {
    (0..bodies.len())
        .map(|start| {
            let mut seen = vec![false; bodies.len()];
            let mut stack: Vec<RuleId> = bodies[start].calls.clone();
            while let Some(r) = stack.pop() {
                let r = r as usize;
                if r == start {
                    return true;
                }
                if !std::mem::replace(&mut seen[r], true) {
                    stack.extend_from_slice(&bodies[r].calls);
                }
            }
            false
        })
        .collect()
}

/// Least fixpoint of "`flag` holds for a rule, or for a rule it calls".
fn spread(bodies: &[Body], mut flag: Vec<bool>) -> Vec<bool> {
    let mut changed = true;
    while changed {
        changed = false;
        for i in 0..bodies.len() {
            if !flag[i] && bodies[i].calls.iter().any(|&c| flag[c as usize]) {
                flag[i] = true;
                changed = true;
            }
        }
    }
    flag
}

/// Marks the memoised rules (see [`CompiledRule::memo`]) and inlines silent rules.
///
/// Memoisation costs a table lookup per call, more than a call of a cheap rule costs: a
/// rule is cheap when it runs no lexicon, no `SKIP` and no recursion, directly or through
/// the rules it calls (`ws`, `digit`, `int`). What pays is a rule that backtracking or
/// several grammar rules try again at the same position and that is not cheap: `number`
/// under every amount and percentage alternative, a lexicon under several callers. A rule
/// whose body is one call is not memoised either (the callee is, when it pays). A rule
/// that reaches `SOI` is never memoised: `SOI` is where an attempt began, so its result
/// differs between attempts.
///
/// A silent rule that is neither memoised, nor trivia (`WHITESPACE`/`COMMENT`, which run
/// atomically), nor recursive is inlined: every reference to it becomes a reference to its
/// body. Rules are still called by id (entry rules, lexicon entries) as before.
/// `trivia`: the grammar has implicit `WHITESPACE` or `COMMENT`.
pub(super) fn optimize(rules: &mut [CompiledRule], exprs: &mut Vec<Expr>, trivia: bool) {
    let mut call_sites = vec![0usize; rules.len()];
    for e in exprs.iter() {
        if let Expr::Call(id) = e {
            call_sites[*id as usize] += 1;
        }
    }
    let bodies: Vec<Body> = rules.iter().map(|r| body(r, exprs)).collect();
    let recursive = recursive(&bodies);
    let costly = spread(
        &bodies,
        bodies
            .iter()
            .zip(&recursive)
            .map(|(b, &rec)| b.heavy || rec)
            .collect(),
    );
    let reaches_soi = spread(&bodies, bodies.iter().map(|b| b.soi).collect());
    for (i, r) in rules.iter_mut().enumerate() {
        // A rule that only calls another (`amount_value = { number }`) would hold what the
        // rule it calls holds already, when that one pays for a memo.
        let wrapper = matches!(exprs[r.expr], Expr::Call(_));
        r.memo = call_sites[i] >= 2 && costly[i] && !wrapper && !reaches_soi[i] && !r.trivia;
    }
    let inlined: Vec<bool> = rules
        .iter()
        .zip(&recursive)
        .map(|(r, &rec)| r.kind == Kind::Silent && !r.trivia && !r.memo && !rec)
        .collect();
    // Follows calls of inlined rules to the expression that does the work; ends because
    // inlined rules are not recursive.
    let bodies_at: Vec<usize> = rules.iter().map(|r| r.expr).collect();
    let resolve = |mut e: usize, exprs: &[Expr]| loop {
        match exprs[e] {
            Expr::Call(id) if inlined[id as usize] => e = bodies_at[id as usize],
            _ => return e,
        }
    };
    for i in 0..exprs.len() {
        let mut kids = children(&exprs[i]).to_vec();
        if kids.is_empty() {
            continue;
        }
        kids.iter_mut().for_each(|k| *k = resolve(*k, exprs));
        match &mut exprs[i] {
            Expr::PosPred(x)
            | Expr::NegPred(x)
            | Expr::Opt(x)
            | Expr::Rep(x)
            | Expr::UpTo(x, _)
            | Expr::SpanUnless(x, _) => *x = kids[0],
            Expr::Seq(xs) | Expr::Choice(xs) => xs.copy_from_slice(&kids),
            _ => {}
        }
    }
    for r in rules.iter_mut() {
        r.expr = resolve(r.expr, exprs);
    }
    left_factor(exprs);
    if !trivia {
        fold_none_of(exprs);
    }
    fold_optional_runs(exprs);
    fold_char_sets(exprs, trivia);
    if !trivia {
        fold_runs_of_pieces(exprs);
    }
}

/// The pieces of `e` as an alternative of [`Expr::RunOf`]: a set, a literal, or a sequence
/// of those and lookaheads on sets that opens with one that consumes.
fn pieces(exprs: &[Expr], e: usize) -> Option<Vec<Piece>> {
    let piece = |x: usize| match &exprs[x] {
        Expr::Str(s) if !s.is_empty() => Some(Piece::Lit(s.clone())),
        Expr::PosPred(y) => set_members(exprs, *y).map(|m| Piece::Peek(CharSet::new(m))),
        _ => set_members(exprs, x).map(|m| Piece::Set(CharSet::new(m))),
    };
    let out: Vec<Piece> = match &exprs[e] {
        Expr::Seq(items) => items.iter().map(|&x| piece(x)).collect::<Option<_>>()?,
        _ => vec![piece(e)?],
    };
    out.first().is_some_and(Piece::consumes).then_some(out)
}

/// Replaces `(a | b ~ c | …)*`, where each alternative is made of sets, literals and
/// lookaheads on sets, by one [`Expr::RunOf`]: a word with hyphens,
/// `(LETTER | ASCII_DIGIT | "-" ~ (LETTER | ASCII_DIGIT))*`, took two or three steps a
/// character (the repetition's choice, its set; the sequence and the literal at a hyphen).
///
/// Only in a grammar without implicit whitespace, which the repetition and the sequences
/// would skip between items. Why this keeps every result: such an alternative matches or
/// fails by the characters in front of it alone, leaves no node, and consumes something
/// when it matches, so the repetition is the loop that takes the first alternative that
/// matches until none does.
fn fold_runs_of_pieces(exprs: &mut [Expr]) {
    for e in 0..exprs.len() {
        let Expr::Rep(x) = exprs[e] else {
            continue;
        };
        let alternatives: Option<Vec<Box<[Piece]>>> = match &exprs[x] {
            Expr::Choice(items) => items
                .iter()
                .map(|&a| pieces(exprs, a).map(Vec::into_boxed_slice))
                .collect(),
            Expr::Seq(_) => pieces(exprs, x).map(|p| vec![p.into_boxed_slice()]),
            _ => None,
        };
        if let Some(alternatives) = alternatives {
            exprs[e] = Expr::RunOf(alternatives.into());
        }
    }
}

/// The members of a set that matches what `e` matches, when `e` matches exactly one
/// character: a class, a range, a literal of one character, a choice of those.
fn set_members(exprs: &[Expr], e: usize) -> Option<Vec<Member>> {
    let single = |s: &str| {
        let mut cs = s.chars();
        cs.next()
            .filter(|_| cs.next().is_none())
            .map(|c| Member::Range(c, c))
    };
    match &exprs[e] {
        Expr::Class(f) => Some(vec![Member::Class(*f)]),
        Expr::Range(a, b) => Some(vec![Member::Range(*a, *b)]),
        Expr::Str(s) => Some(vec![single(s)?]),
        Expr::Literals(ls) => ls.literals.iter().map(|l| single(l)).collect(),
        Expr::Set(set) => Some(set.members().to_vec()),
        _ => None,
    }
}

/// The alternatives `items` of a choice with every run of two or more consecutive
/// alternatives that each match one character merged into one [`Expr::Set`]; `None` when
/// there is no such run.
fn merge_char_alternatives(exprs: &mut Vec<Expr>, items: &[usize]) -> Option<Vec<usize>> {
    let mut out = Vec::with_capacity(items.len());
    let mut i = 0;
    while i < items.len() {
        let mut members = Vec::new();
        let mut run = 0;
        while let Some(m) = items.get(i + run).and_then(|&x| set_members(exprs, x)) {
            members.extend(m);
            run += 1;
        }
        match run {
            // One alone is as fast already.
            0 | 1 => out.push(items[i]),
            _ => out.push(push(exprs, Expr::Set(Box::new(CharSet::new(members))))),
        }
        i += run.max(1);
    }
    (out.len() < items.len()).then_some(out)
}

/// Replaces what matches one character of a set by [`Expr::Set`], `!set` by
/// [`Expr::NotSet`], and, without implicit whitespace, `set*` and `set ~ set*` by
/// [`Expr::Span`] (see `charset`): a word boundary `!(LETTER | ASCII_DIGIT)` took three
/// steps and a decoded character, a run of spaces two steps a space.
///
/// Why this keeps every result: every alternative of such a choice consumes exactly its
/// one character or fails, so trying them in order matches what the set matches (runs of
/// them within a longer choice are merged where they stand); a lookahead leaves no node;
/// and a repetition of one character with nothing skipped between the items is the
/// longest run of it.
fn fold_char_sets(exprs: &mut Vec<Expr>, trivia: bool) {
    for e in 0..exprs.len() {
        match &exprs[e] {
            Expr::Class(_) | Expr::Literals(_) => {
                if let Some(members) = set_members(exprs, e) {
                    exprs[e] = Expr::Set(Box::new(CharSet::new(members)));
                }
            }
            Expr::Choice(items) => {
                let items = items.to_vec();
                if let Some(out) = merge_char_alternatives(exprs, &items) {
                    exprs[e] = match out[..] {
                        [only] => exprs[only].clone(),
                        _ => Expr::Choice(out.into()),
                    };
                }
            }
            _ => {}
        }
    }
    for e in 0..exprs.len() {
        if let Expr::NegPred(x) = exprs[e]
            && let Some(members) = set_members(exprs, x)
        {
            exprs[e] = Expr::NotSet(Box::new(CharSet::new(members)));
        }
    }
    if trivia {
        return;
    }
    rewrite_sequences(exprs, |exprs, items| {
        let (&x, &next) = (items.first()?, items.get(1)?);
        let Expr::Rep(y) = exprs[next] else {
            return None;
        };
        let members = set_members(exprs, x)?;
        (set_members(exprs, y).as_ref() == Some(&members)).then(|| {
            (
                push(exprs, Expr::Span(Box::new(CharSet::new(members)), true)),
                2,
            )
        })
    });
    for e in 0..exprs.len() {
        if let Expr::Rep(x) = exprs[e]
            && let Some(members) = set_members(exprs, x)
        {
            exprs[e] = Expr::Span(Box::new(CharSet::new(members)), false);
        }
    }
    // `(!stop ~ set)*`: a word up to its ending (`dep_adj_word`) took five steps a
    // character (the repetition's item, its sequence, the lookahead, the stop, the set).
    for e in 0..exprs.len() {
        if let Expr::Rep(x) = exprs[e]
            && let Expr::Seq(items) = &exprs[x]
            && let [first, second] = items[..]
            && let Expr::NegPred(stop) = exprs[first]
            && let Some(members) = set_members(exprs, second)
        {
            exprs[e] = Expr::SpanUnless(stop, Box::new(CharSet::new(members)));
        }
    }
}

/// Replaces `!(c1 | c2 | …) ~ ANY` in a sequence, where each `ci` is one character, by one
/// [`Expr::NoneOf`]: a quoted name, `(!("\"" | "\n") ~ ANY){1,60}`, took four steps a
/// character (the sequence, the lookahead, its literals, `ANY`).
///
/// Only in a grammar without implicit whitespace, which a sequence would skip between the
/// lookahead and `ANY` outside atomic rules. The lookahead leaves no node and consumes
/// nothing, so the pair matches exactly one character that none of the `ci` begins.
fn fold_none_of(exprs: &mut Vec<Expr>) {
    let single = |s: &str| {
        let mut cs = s.chars();
        cs.next().filter(|_| cs.next().is_none())
    };
    let chars_of = |exprs: &[Expr], e: usize| -> Option<Vec<char>> {
        match &exprs[e] {
            Expr::Str(s) => Some(vec![single(s)?]),
            Expr::Literals(ls) => ls.literals.iter().map(|l| single(l)).collect(),
            Expr::Choice(xs) => xs
                .iter()
                .map(|&x| match &exprs[x] {
                    Expr::Str(s) => single(s),
                    _ => None,
                })
                .collect(),
            _ => None,
        }
    };
    rewrite_sequences(exprs, |exprs, items| {
        let chars = match (&exprs[items[0]], items.get(1).map(|&n| &exprs[n])) {
            (Expr::NegPred(y), Some(Expr::Any)) => chars_of(exprs, *y)?,
            _ => return None,
        };
        Some((push(exprs, Expr::NoneOf(chars.into())), 2))
    });
}

/// Replaces every run of two or more consecutive items `x?` of a sequence, with the same
/// `x`, by one [`Expr::UpTo`]. pest unrolls `x{1,60}` into `x` and 59 copies of `x?`; a
/// quoted name of ten characters then tried 50 copies that had to fail where the first had
/// failed.
///
/// Why this keeps every result: the copies are tried at the same place once one fails
/// (implicit whitespace before each is skipped again, and skipping is idempotent), and an
/// expression tried again at one place matches the same way (see [`left_factor`]).
fn fold_optional_runs(exprs: &mut Vec<Expr>) {
    let optional = |exprs: &[Expr], i: usize| match exprs[i] {
        Expr::Opt(x) => Some(x),
        _ => None,
    };
    rewrite_sequences(exprs, |exprs, items| {
        let x = optional(exprs, items[0])?;
        let run = 1 + items[1..]
            .iter()
            .take_while(|&&next| optional(exprs, next).is_some_and(|y| same(exprs, x, y)))
            .count();
        (run >= 2).then(|| (push(exprs, Expr::UpTo(x, run as u32)), run))
    });
}

/// Rewrites the items of every sequence: at each item, `fold` may replace it and the items
/// after it (it sees them all) by one new item, and says how many it replaced. A sequence
/// left with one item is that item.
fn rewrite_sequences(
    exprs: &mut Vec<Expr>,
    mut fold: impl FnMut(&mut Vec<Expr>, &[usize]) -> Option<(usize, usize)>,
) {
    for e in 0..exprs.len() {
        let Expr::Seq(items) = &exprs[e] else {
            continue;
        };
        let items = items.to_vec();
        let mut out = Vec::with_capacity(items.len());
        let mut i = 0;
        while i < items.len() {
            match fold(exprs, &items[i..]) {
                Some((folded, replaced)) => {
                    out.push(folded);
                    i += replaced;
                }
                None => {
                    out.push(items[i]);
                    i += 1;
                }
            }
        }
        if out.len() < items.len() {
            exprs[e] = match out[..] {
                [only] => exprs[only].clone(),
                _ => Expr::Seq(out.into()),
            };
        }
    }
}

/// Rewrites every choice whose consecutive alternatives are sequences opening with the same
/// items: `a ~ b ~ x | a ~ b ~ y | z` becomes `a ~ b ~ (x | y) | z`, so `a ~ b` is matched
/// once where it was matched twice (`int`'s three alternatives all open with `digit{1,3}`,
/// the amount alternatives with the amount's value).
///
/// Why this keeps every result: an expression tried twice at one place in one attempt
/// matches the same way (the matcher has no state that the first try changes: no stack, and
/// a failed alternative leaves no node behind), and implicit whitespace is skipped between
/// the prefix and what follows either way. Each alternative keeps at least one item after
/// the shared prefix: an alternative that was the prefix alone would end before that skip.
fn left_factor(exprs: &mut Vec<Expr>) {
    // New choices are appended and visited too: their alternatives may share more.
    let mut e = 0;
    while e < exprs.len() {
        if let Expr::Choice(items) = &exprs[e] {
            let items = items.to_vec();
            match factor_choice(exprs, &items).as_deref() {
                // A choice of one alternative is that alternative.
                Some(&[only]) => exprs[e] = exprs[only].clone(),
                Some(factored) => exprs[e] = Expr::Choice(factored.into()),
                None => {}
            }
        }
        e += 1;
    }
}

/// The alternatives `items` of one choice with every run of consecutive sequences that
/// share their first item replaced by one sequence; `None` when there is no such run.
fn factor_choice(exprs: &mut Vec<Expr>, items: &[usize]) -> Option<Vec<usize>> {
    let seq_of = |exprs: &[Expr], e: usize| -> Option<Vec<usize>> {
        match &exprs[e] {
            Expr::Seq(xs) if xs.len() >= 2 => Some(xs.to_vec()),
            _ => None,
        }
    };
    let mut out = Vec::with_capacity(items.len());
    let mut changed = false;
    let mut i = 0;
    while i < items.len() {
        let Some(first) = seq_of(exprs, items[i]) else {
            out.push(items[i]);
            i += 1;
            continue;
        };
        let mut run = vec![first];
        while let Some(next) = items.get(i + run.len()).and_then(|&e| seq_of(exprs, e)) {
            if !same(exprs, next[0], run[0][0]) {
                break;
            }
            run.push(next);
        }
        if run.len() < 2 {
            out.push(items[i]);
            i += 1;
            continue;
        }
        i += run.len();
        // The longest prefix all share that leaves each at least one item of its own.
        let shortest = run.iter().map(Vec::len).min().unwrap_or(1);
        let shared = (1..shortest - 1)
            .take_while(|&k| run[1..].iter().all(|alt| same(exprs, alt[k], run[0][k])))
            .count()
            + 1;
        let rests: Vec<usize> = run
            .iter()
            .map(|alt| match &alt[shared..] {
                [only] => *only,
                rest => push(exprs, Expr::Seq(rest.into())),
            })
            .collect();
        let mut merged = run[0][..shared].to_vec();
        merged.push(push(exprs, Expr::Choice(rests.into())));
        out.push(push(exprs, Expr::Seq(merged.into())));
        changed = true;
    }
    changed.then_some(out)
}

fn push(exprs: &mut Vec<Expr>, e: Expr) -> usize {
    exprs.push(e);
    exprs.len() - 1
}

/// Whether expressions `a` and `b` are the same expression (written twice, they are two
/// entries of the program).
fn same(exprs: &[Expr], a: usize, b: usize) -> bool {
    if a == b {
        return true;
    }
    let all_same = |xs: &[usize], ys: &[usize]| {
        xs.len() == ys.len() && xs.iter().zip(ys).all(|(&x, &y)| same(exprs, x, y))
    };
    match (&exprs[a], &exprs[b]) {
        (Expr::Str(x), Expr::Str(y)) | (Expr::Insens(x), Expr::Insens(y)) => x == y,
        (Expr::Range(a0, a1), Expr::Range(b0, b1)) => a0 == b0 && a1 == b1,
        (Expr::Any, Expr::Any) | (Expr::Soi, Expr::Soi) | (Expr::Eoi, Expr::Eoi) => true,
        (Expr::Call(x), Expr::Call(y)) => x == y,
        (Expr::PosPred(x), Expr::PosPred(y))
        | (Expr::NegPred(x), Expr::NegPred(y))
        | (Expr::Opt(x), Expr::Opt(y))
        | (Expr::Rep(x), Expr::Rep(y)) => same(exprs, *x, *y),
        (Expr::UpTo(x, n), Expr::UpTo(y, m)) => n == m && same(exprs, *x, *y),
        (Expr::NoneOf(x), Expr::NoneOf(y)) => x == y,
        (Expr::Seq(xs), Expr::Seq(ys)) | (Expr::Choice(xs), Expr::Choice(ys)) => all_same(xs, ys),
        (Expr::Skip(x), Expr::Skip(y)) => x == y,
        (Expr::Literals(x), Expr::Literals(y)) => x == y,
        // Classes and lexicons are compared by identity only.
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::peg::openings::LiteralChoice;

    fn rule(name: &str, kind: Kind, expr: usize) -> CompiledRule {
        CompiledRule {
            name: name.into(),
            kind,
            expr,
            trivia: false,
            memo: false,
        }
    }

    #[test]
    fn cheap_rules_are_not_memoised_and_silent_ones_are_inlined() {
        // digit = _{ "12" }   num = { digit ~ digit* }   a = { num }   b = { num ~ digit }
        let mut exprs = vec![
            Expr::Str("12".into()),       // 0: digit's body
            Expr::Call(0),                // 1
            Expr::Call(0),                // 2
            Expr::Rep(2),                 // 3
            Expr::Seq(vec![1, 3].into()), // 4: num's body
            Expr::Call(1),                // 5: a's body
            Expr::Call(1),                // 6
            Expr::Call(0),                // 7
            Expr::Seq(vec![6, 7].into()), // 8: b's body
        ];
        let mut rules = vec![
            rule("digit", Kind::Silent, 0),
            rule("num", Kind::Normal, 4),
            rule("a", Kind::Normal, 5),
            rule("b", Kind::Normal, 8),
        ];
        optimize(&mut rules, &mut exprs, false);
        // `num` is called twice but cheap: not memoised.
        assert!(rules.iter().all(|r| !r.memo));
        // Every reference to `digit` now points at its body; `num` is still called.
        assert!(matches!(&exprs[4], Expr::Seq(xs) if xs[..] == [0, 3]));
        assert!(matches!(exprs[3], Expr::Rep(0)));
        assert!(matches!(&exprs[8], Expr::Seq(xs) if xs[..] == [6, 0]));
        assert!(matches!(exprs[5], Expr::Call(1)));
    }

    #[test]
    fn alternatives_that_open_alike_are_left_factored() {
        // a = { ("x" ~ "y" ~ "1" | "x" ~ "y" ~ "2" ~ "3" | "x" ~ "z" | "x" | "w" ~ "v") }
        let mut exprs = vec![
            Expr::Str("x".into()),                      // 0
            Expr::Str("y".into()),                      // 1
            Expr::Str("1".into()),                      // 2
            Expr::Seq(vec![0, 1, 2].into()),            // 3
            Expr::Str("x".into()),                      // 4: the same as 0, written again
            Expr::Str("y".into()),                      // 5
            Expr::Str("2".into()),                      // 6
            Expr::Str("3".into()),                      // 7
            Expr::Seq(vec![4, 5, 6, 7].into()),         // 8
            Expr::Str("z".into()),                      // 9
            Expr::Seq(vec![0, 9].into()),               // 10
            Expr::Str("w".into()),                      // 11
            Expr::Str("v".into()),                      // 12
            Expr::Seq(vec![11, 12].into()),             // 13
            Expr::Choice(vec![3, 8, 10, 0, 13].into()), // 14: a's body
        ];
        let mut rules = vec![rule("a", Kind::Normal, 14)];
        optimize(&mut rules, &mut exprs, false);
        let Expr::Choice(top) = &exprs[14] else {
            panic!("{:?}", exprs[14]);
        };
        // The three sequences opening with "x" are one; the lone "x" and "w" ~ "v" stay.
        assert_eq!(top[1..], [0, 13]);
        let Expr::Seq(outer) = &exprs[top[0]] else {
            panic!()
        };
        assert_eq!(outer[..1], [0]);
        let Expr::Choice(after_x) = &exprs[outer[1]] else {
            panic!()
        };
        // After "x": "y" ~ ("1" | "2" ~ "3"), then "z".
        assert_eq!(after_x[1..], [9]);
        let Expr::Seq(after_y) = &exprs[after_x[0]] else {
            panic!()
        };
        assert_eq!(after_y[..1], [1]);
        let Expr::Choice(last) = &exprs[after_y[1]] else {
            panic!()
        };
        assert_eq!(last[0], 2);
        assert!(matches!(&exprs[last[1]], Expr::Seq(xs) if xs[..] == [6, 7]));
    }

    #[test]
    fn recursive_silent_rules_stay_calls_and_are_memoised_when_shared() {
        // list = _{ "x" ~ ("," ~ list)? }   a = { list }   b = { list }
        let mut exprs = vec![
            Expr::Str("x".into()),        // 0
            Expr::Str(",".into()),        // 1
            Expr::Call(0),                // 2
            Expr::Seq(vec![1, 2].into()), // 3
            Expr::Opt(3),                 // 4
            Expr::Seq(vec![0, 4].into()), // 5: list's body
            Expr::Call(0),                // 6: a's body
            Expr::Call(0),                // 7: b's body
        ];
        let mut rules = vec![
            rule("list", Kind::Silent, 5),
            rule("a", Kind::Normal, 6),
            rule("b", Kind::Normal, 7),
        ];
        optimize(&mut rules, &mut exprs, false);
        assert!(rules[0].memo);
        assert!(matches!(&exprs[3], Expr::Seq(xs) if xs[..] == [1, 2]));
        assert!(matches!(exprs[6], Expr::Call(0)));
    }

    #[test]
    fn a_lookahead_against_single_characters_before_any_is_one_step() {
        let mut exprs = vec![
            Expr::Literals(Box::new(LiteralChoice::new(
                vec!["\"".into(), "\n".into()].into(),
            ))), // 0
            Expr::NegPred(0),                   // 1
            Expr::Any,                          // 2
            Expr::Seq(vec![1, 2].into()),       // 3: folded whole
            Expr::Str("ab".into()),             // 4
            Expr::NegPred(4),                   // 5
            Expr::Seq(vec![5, 2].into()),       // 6: two characters, kept
            Expr::Str("x".into()),              // 7
            Expr::Seq(vec![7, 1, 2, 7].into()), // 8: folded inside
        ];
        fold_none_of(&mut exprs);
        assert!(
            matches!(&exprs[3], Expr::NoneOf(cs) if cs[..] == ['"', '\n']),
            "{:?}",
            exprs[3]
        );
        assert!(matches!(&exprs[6], Expr::Seq(xs) if xs[..] == [5, 2]));
        let Expr::Seq(items) = &exprs[8] else {
            panic!("{:?}", exprs[8]);
        };
        assert_eq!(items.len(), 3);
        assert!(matches!(&exprs[items[1]], Expr::NoneOf(cs) if cs.len() == 2));
    }

    #[test]
    fn one_character_alternatives_lookaheads_and_runs_become_sets() {
        let letter: fn(char) -> bool = crate::text::class::is_alphabetic;
        let mut exprs = vec![
            Expr::Class(letter),                   // 0
            Expr::Range('0', '9'),                 // 1
            Expr::Str("-".into()),                 // 2
            Expr::Str("ab".into()),                // 3
            Expr::Choice(vec![0, 1, 3, 2].into()), // 4: a set, "ab", then "-" alone
            Expr::Choice(vec![0, 1].into()),       // 5: a set
            Expr::NegPred(5),                      // 6: a lookahead on a set
            Expr::Str(" ".into()),                 // 7
            Expr::Str(" ".into()),                 // 8: the same as 7
            Expr::Rep(8),                          // 9
            Expr::Seq(vec![3, 7, 9].into()),       // 10: "ab" ~ " "+
            Expr::Rep(1),                          // 11: digits*
            Expr::NegPred(3),                      // 12: two characters: kept
        ];
        let mut with_trivia = exprs.clone();
        fold_char_sets(&mut exprs, false);
        assert!(matches!(exprs[0], Expr::Set(_)), "{:?}", exprs[0]);
        let Expr::Choice(alts) = &exprs[4] else {
            panic!("{:?}", exprs[4]);
        };
        assert_eq!(alts[1..], [3, 2]);
        assert!(matches!(&exprs[alts[0]], Expr::Set(s) if s.members().len() == 2));
        assert!(matches!(&exprs[5], Expr::Set(s) if s.members().len() == 2));
        assert!(matches!(&exprs[6], Expr::NotSet(s) if s.members().len() == 2));
        let Expr::Seq(items) = &exprs[10] else {
            panic!("{:?}", exprs[10]);
        };
        assert_eq!(items.len(), 2);
        assert!(matches!(&exprs[items[1]], Expr::Span(_, true)));
        assert!(matches!(&exprs[11], Expr::Span(_, false)));
        assert!(matches!(&exprs[12], Expr::NegPred(3)));
        // With implicit whitespace a repetition skips it between items: no runs.
        fold_char_sets(&mut with_trivia, true);
        assert!(matches!(&with_trivia[10], Expr::Seq(xs) if xs.len() == 3));
        assert!(matches!(with_trivia[11], Expr::Rep(1)));
        assert!(matches!(&with_trivia[6], Expr::NotSet(_)));
    }

    #[test]
    fn a_run_of_a_set_up_to_a_lookahead_becomes_one_step() {
        let mut exprs = vec![
            Expr::Str("ого".into()),      // 0: the stop
            Expr::NegPred(0),             // 1
            Expr::Range('а', 'я'),        // 2
            Expr::Seq(vec![1, 2].into()), // 3
            Expr::Rep(3),                 // 4: (!"ого" ~ 'а'..'я')*
            Expr::Str("ab".into()),       // 5: not one character
            Expr::Seq(vec![1, 5].into()), // 6
            Expr::Rep(6),                 // 7: kept
        ];
        let mut with_trivia = exprs.clone();
        fold_char_sets(&mut exprs, false);
        assert!(
            matches!(&exprs[4], Expr::SpanUnless(0, s) if s.members() == [Member::Range('а', 'я')]),
            "{:?}",
            exprs[4]
        );
        assert!(matches!(exprs[7], Expr::Rep(6)));
        // With implicit whitespace the repetition skips it between items: kept.
        fold_char_sets(&mut with_trivia, true);
        assert!(matches!(with_trivia[4], Expr::Rep(3)));
    }

    #[test]
    fn runs_of_the_same_optional_item_become_one_step() {
        // "a" ~ "x"? ~ "x"? ~ "x"? ~ "y"? ~ "x"?   (how pest writes "a" ~ "x"{0,3} ~ ...)
        let mut exprs = vec![
            Expr::Str("a".into()), // 0
            Expr::Str("x".into()), // 1
            Expr::Opt(1),          // 2
            Expr::Str("x".into()), // 3
            Expr::Opt(3),          // 4
            Expr::Str("x".into()), // 5
            Expr::Opt(5),          // 6
            Expr::Str("y".into()), // 7
            Expr::Opt(7),          // 8
            Expr::Str("x".into()), // 9
            Expr::Opt(9),          // 10
            Expr::Seq(vec![0, 2, 4, 6, 8, 10].into()),
            Expr::Seq(vec![2, 4].into()), // 12: nothing else in the sequence
        ];
        fold_optional_runs(&mut exprs);
        let Expr::Seq(items) = &exprs[11] else {
            panic!("{:?}", exprs[11]);
        };
        assert_eq!(items.len(), 4, "{items:?}");
        assert_eq!(items[0], 0);
        assert!(
            matches!(exprs[items[1]], Expr::UpTo(1, 3)),
            "{:?}",
            exprs[items[1]]
        );
        assert_eq!(items[2..], [8, 10]);
        assert!(matches!(exprs[12], Expr::UpTo(1, 2)), "{:?}", exprs[12]);
    }
}
