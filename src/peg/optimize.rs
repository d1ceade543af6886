//! Decisions made once a grammar is compiled: which rules a [`super::Memo`] keeps, and
//! which silent rules are inlined into their callers.
//!
//! Both only change how much work a match takes, never its result: a memoised result is
//! the result of the call, and a silent rule (`_{}`) makes no node, keeps its caller's
//! atomicity and is not named in explanations, so evaluating its body in place is what
//! calling it does, minus a call (in the default grammars a third of all steps were calls,
//! most of them to `digit`, `ws` and `wb`).

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
        Expr::PosPred(x) | Expr::NegPred(x) | Expr::Opt(x) | Expr::Rep(x) => {
            std::slice::from_ref(x)
        }
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
pub(super) fn optimize(rules: &mut [CompiledRule], exprs: &mut [Expr]) {
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
            Expr::PosPred(x) | Expr::NegPred(x) | Expr::Opt(x) | Expr::Rep(x) => *x = kids[0],
            Expr::Seq(xs) | Expr::Choice(xs) => xs.copy_from_slice(&kids),
            _ => {}
        }
    }
    for r in rules.iter_mut() {
        r.expr = resolve(r.expr, exprs);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        // digit = _{ '0'..'9' }   num = { digit ~ digit* }   a = { num }   b = { num ~ digit }
        let mut exprs = vec![
            Expr::Range('0', '9'),        // 0: digit's body
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
        optimize(&mut rules, &mut exprs);
        // `num` is called twice but cheap: not memoised.
        assert!(rules.iter().all(|r| !r.memo));
        // Every reference to `digit` now points at its body; `num` is still called.
        assert!(matches!(&exprs[4], Expr::Seq(xs) if xs[..] == [0, 3]));
        assert!(matches!(exprs[3], Expr::Rep(0)));
        assert!(matches!(&exprs[8], Expr::Seq(xs) if xs[..] == [6, 0]));
        assert!(matches!(exprs[5], Expr::Call(1)));
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
        optimize(&mut rules, &mut exprs);
        assert!(rules[0].memo);
        assert!(matches!(&exprs[3], Expr::Seq(xs) if xs[..] == [1, 2]));
        assert!(matches!(exprs[6], Expr::Call(0)));
    }
}
