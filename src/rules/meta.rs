//! pest_meta's `parse_and_optimize`, without optimising the rules nedra generates from
//! lexicons.
//!
//! pest_meta's optimiser ends with a pass (`restore_on_err`) that, at every choice, option
//! and repetition, walks every rule reachable from it, cloning expressions as it goes, to
//! find stack operations (`PUSH`, `POP`, `DROP`). On the lexicon rules (a choice of hundreds
//! of entries, each its own rule) that is most of the time it takes to load the default
//! rules: 0.2 s of every `nedra` run. The pass can only ever wrap stack operations, which
//! nedra refuses at load, and the other passes only reshape expressions without changing
//! what they match. So the generated rules, which use only literals, calls, sequences,
//! choices and lookahead, are converted to pest's optimised form directly; the rules people
//! write still go through pest's optimiser. Parsing and validation are pest's, unchanged,
//! so errors are the same.

use pest::error::Error;
use pest_meta::ast::{Expr, Rule, RuleType};
use pest_meta::optimizer::{OptimizedExpr, OptimizedRule};
use pest_meta::parser::{self, Rule as MetaRule};
use std::collections::{HashMap, HashSet};

/// Parses and validates a grammar, then optimises it, converting the rules named in
/// `generated` directly where they use only simple expressions (see the module docs).
/// Rules keep their order in the grammar.
pub fn parse_and_optimize(
    grammar: &str,
    generated: &HashSet<String>,
) -> Result<Vec<OptimizedRule>, Vec<Error<MetaRule>>> {
    let pairs = parser::parse(MetaRule::grammar_rules, grammar).map_err(|e| vec![e])?;
    pest_meta::validator::validate_pairs(pairs.clone())?;
    let ast = parser::consume_rules(pairs)?;
    let mut written: Vec<Rule> = Vec::new();
    // One slot per rule in grammar order: filled now for the directly converted rules,
    // then, in order, with pest's optimisation of the others.
    let mut slots: Vec<Option<OptimizedRule>> = Vec::with_capacity(ast.len());
    for rule in ast {
        let converted = generated
            .contains(&rule.name)
            .then(|| simple(&rule.expr))
            .flatten();
        match converted {
            Some(expr) => slots.push(Some(OptimizedRule {
                name: rule.name,
                ty: rule.ty,
                expr,
            })),
            None => {
                written.push(rule);
                slots.push(None);
            }
        }
    }
    let mut optimized = optimize_written(written).into_iter();
    Ok(slots
        .into_iter()
        .filter_map(|slot| slot.or_else(|| optimized.next()))
        .collect())
}

/// pest's optimiser on the rules people write, one rule at a time where that gives what
/// optimising them all together gives.
///
/// Its last pass (`restore_on_err`) walks, at every choice, option and repetition, every
/// rule reachable from there, cloning their expressions: quadratic in the grammar, a
/// quarter of the time nedra took to load the default rules. That pass only wraps stack
/// operations, so without any (nedra's grammars have none) it changes nothing, whatever
/// rules it is given. The only other pass that reads other rules inlines them into
/// `(!(…) ~ ANY)*` in atomic rules: such a rule is optimised with every rule it reaches.
/// Every other rule is optimised alone, which the other passes do anyway.
fn optimize_written(written: Vec<Rule>) -> Vec<OptimizedRule> {
    use pest_meta::optimizer::optimize;
    if written.iter().any(|r| modifies_stack(&r.expr)) {
        return optimize(written);
    }
    let by_name: HashMap<&str, &Rule> = written.iter().map(|r| (r.name.as_str(), r)).collect();
    let inlining: Vec<&Rule> = written
        .iter()
        .filter(|r| r.ty == RuleType::Atomic && has_negation(&r.expr))
        .collect();
    // The rules those may inline: all they reach.
    let mut reached: HashSet<&str> = HashSet::new();
    let mut todo: Vec<&Rule> = inlining.clone();
    while let Some(r) = todo.pop() {
        if reached.insert(r.name.as_str()) {
            let mut names = Vec::new();
            calls(&r.expr, &mut names);
            todo.extend(names.into_iter().filter_map(|n| by_name.get(n).copied()));
        }
    }
    let together: Vec<Rule> = written
        .iter()
        .filter(|r| reached.contains(r.name.as_str()))
        .cloned()
        .collect();
    let mut of_inlining: HashMap<String, OptimizedRule> = HashMap::new();
    if !inlining.is_empty() {
        let names: HashSet<&str> = inlining.iter().map(|r| r.name.as_str()).collect();
        of_inlining = optimize(together)
            .into_iter()
            .filter(|r| names.contains(r.name.as_str()))
            .map(|r| (r.name.clone(), r))
            .collect();
    }
    written
        .into_iter()
        .flat_map(|r| match of_inlining.remove(&r.name) {
            Some(done) => vec![done],
            None => optimize(vec![r]),
        })
        .collect()
}

/// Whether `e` has a stack operation (what `restore_on_err` looks for).
fn modifies_stack(e: &Expr) -> bool {
    let mut found = false;
    walk(e, &mut |e| {
        found |=
            matches!(e, Expr::Push(_)) || matches!(e, Expr::Ident(n) if n == "DROP" || n == "POP");
    });
    found
}

/// Whether `e` has a negative lookahead (which pest's `(!(…) ~ ANY)*` needs).
fn has_negation(e: &Expr) -> bool {
    let mut found = false;
    walk(e, &mut |e| found |= matches!(e, Expr::NegPred(_)));
    found
}

/// The rule names `e` calls.
fn calls<'e>(e: &'e Expr, out: &mut Vec<&'e str>) {
    walk(e, &mut |e| {
        if let Expr::Ident(n) = e {
            out.push(n);
        }
    });
}

/// Calls `f` on `e` and every expression inside it.
fn walk<'e>(e: &'e Expr, f: &mut impl FnMut(&'e Expr)) {
    f(e);
    for c in children(e) {
        walk(c, f);
    }
}

/// The expressions directly inside `e` (exhaustive, so a new kind of expression in pest
/// cannot be missed silently).
fn children(e: &Expr) -> Vec<&Expr> {
    match e {
        Expr::Str(_)
        | Expr::Insens(_)
        | Expr::Range(..)
        | Expr::Ident(_)
        | Expr::PeekSlice(..)
        | Expr::Skip(_) => Vec::new(),
        Expr::PosPred(x)
        | Expr::NegPred(x)
        | Expr::Opt(x)
        | Expr::Rep(x)
        | Expr::RepOnce(x)
        | Expr::RepExact(x, _)
        | Expr::RepMin(x, _)
        | Expr::RepMax(x, _)
        | Expr::RepMinMax(x, ..)
        | Expr::Push(x) => vec![x],
        Expr::Seq(a, b) | Expr::Choice(a, b) => vec![a, b],
    }
}

/// `expr` in pest's optimised form, when it uses only literals, ranges, calls, sequences,
/// choices, options, repetitions and lookahead; sequences and choices nest to the right,
/// as pest's optimiser leaves them.
fn simple(expr: &Expr) -> Option<OptimizedExpr> {
    let boxed = |e: &Expr| simple(e).map(Box::new);
    Some(match expr {
        Expr::Str(s) => OptimizedExpr::Str(s.clone()),
        Expr::Insens(s) => OptimizedExpr::Insens(s.clone()),
        Expr::Range(a, b) => OptimizedExpr::Range(a.clone(), b.clone()),
        Expr::Ident(name) => OptimizedExpr::Ident(name.clone()),
        Expr::PosPred(e) => OptimizedExpr::PosPred(boxed(e)?),
        Expr::NegPred(e) => OptimizedExpr::NegPred(boxed(e)?),
        Expr::Opt(e) => OptimizedExpr::Opt(boxed(e)?),
        Expr::Rep(e) => OptimizedExpr::Rep(boxed(e)?),
        Expr::Seq(..) => right_nested(expr, OptimizedExpr::Seq, |e| match e {
            Expr::Seq(a, b) => Some((a, b)),
            _ => None,
        })?,
        Expr::Choice(..) => right_nested(expr, OptimizedExpr::Choice, |e| match e {
            Expr::Choice(a, b) => Some((a, b)),
            _ => None,
        })?,
        _ => return None,
    })
}

/// A chain of one binary operator (however it nests) as a right-nested one.
fn right_nested(
    expr: &Expr,
    make: fn(Box<OptimizedExpr>, Box<OptimizedExpr>) -> OptimizedExpr,
    split: fn(&Expr) -> Option<(&Expr, &Expr)>,
) -> Option<OptimizedExpr> {
    let mut items: Vec<&Expr> = Vec::new();
    let mut stack = vec![expr];
    while let Some(e) = stack.pop() {
        match split(e) {
            Some((a, b)) => {
                stack.push(b);
                stack.push(a);
            }
            None => items.push(e),
        }
    }
    let mut converted = items.into_iter().rev().map(simple);
    let mut acc = converted.next()??;
    for item in converted {
        acc = make(Box::new(item?), Box::new(acc));
    }
    Some(acc)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The direct conversion matches what pest's optimiser makes of the same rules.
    #[test]
    fn simple_rules_convert_as_pest_optimises_them() {
        let grammar = r#"
            lex = ${ &"ab" ~ lex__x | &"a" ~ lex__y | lex__z }
            lex__x = @{ "ab" | "abc" }
            lex__y = @{ "a" }
            lex__z = @{ ^"Zz" | 'a'..'c' | !"q" ~ "r"? ~ "s"* }
            other = { lex ~ ("b" | "c") }
        "#;
        let all: HashSet<String> = ["lex", "lex__x", "lex__y", "lex__z", "other"]
            .into_iter()
            .map(String::from)
            .collect();
        let direct = parse_and_optimize(grammar, &all).expect("valid grammar");
        let (_, pest) = pest_meta::parse_and_optimize(grammar).expect("valid grammar");
        assert_eq!(direct, pest);
        // Only the listed rules are converted; order is kept either way.
        let some: HashSet<String> = ["lex__y".to_string()].into_iter().collect();
        let mixed = parse_and_optimize(grammar, &some).expect("valid grammar");
        assert_eq!(mixed, pest);
    }

    /// The same on the rules generated from the default lexicons, all of them.
    #[test]
    fn default_lexicon_rules_convert_as_pest_optimises_them() {
        let set = crate::rules::RuleSet::load_defaults().expect("default rules");
        let grammar = set.lexicons.grammar();
        let generated: HashSet<String> = set.lexicons.rule_names().map(|(n, _)| n).collect();
        assert!(generated.len() > 100, "{} lexicon rules", generated.len());
        let direct = parse_and_optimize(&grammar, &generated).expect("valid grammar");
        let (_, pest) = pest_meta::parse_and_optimize(&grammar).expect("valid grammar");
        assert_eq!(direct, pest);
        // And built from the lexicons without the text.
        assert_eq!(set.lexicons.optimized_rules(), pest);
    }

    /// pest's optimiser one rule at a time gives what it gives on all rules at once: on
    /// the default grammars, on rules whose `(!(…) ~ ANY)*` inlines other rules, and
    /// (all at once then) with stack operations.
    #[test]
    fn written_rules_optimise_as_all_together() {
        let set = crate::rules::RuleSet::load_defaults().expect("default rules");
        let mut defaults: String = crate::rules::source::defaults()
            .into_iter()
            .filter(|f| f.kind == crate::rules::source::FileKind::Grammar)
            .map(|f| f.text + "\n")
            .collect();
        defaults.push_str(&set.lexicons.grammar());
        let inlining = r#"
            q = @{ (!(quote | "\n") ~ ANY)* ~ "x" }
            quote = { "\"" | other }
            other = { "'" | "`" }
            w = @{ (!(" " | ",") ~ ANY)+ }
            r = { q? ~ (w | "y")* }
        "#;
        let stack = r#"
            a = { PUSH("x") ~ (b | "z")? ~ POP }
            b = { "y" | c }
            c = { "w" ~ DROP }
        "#;
        for grammar in [defaults.as_str(), inlining, stack] {
            let ours = parse_and_optimize(grammar, &HashSet::new()).expect("valid grammar");
            let (_, pest) = pest_meta::parse_and_optimize(grammar).expect("valid grammar");
            assert_eq!(ours, pest);
        }
        // The inlining happened, and the stack rules were wrapped.
        let ours = parse_and_optimize(inlining, &HashSet::new()).expect("valid grammar");
        assert!(
            format!("{:?}", ours[0].expr).contains("Skip"),
            "{:?}",
            ours[0].expr
        );
        let ours = parse_and_optimize(stack, &HashSet::new()).expect("valid grammar");
        assert!(
            format!("{:?}", ours[0].expr).contains("RestoreOnErr"),
            "{:?}",
            ours[0].expr
        );
    }

    #[test]
    fn errors_are_pests() {
        let bad = "a = { \"x\" ~ }";
        let ours = parse_and_optimize(bad, &HashSet::new()).expect_err("invalid");
        let pests = pest_meta::parse_and_optimize(bad).expect_err("invalid");
        assert_eq!(
            ours.iter().map(ToString::to_string).collect::<Vec<_>>(),
            pests.iter().map(ToString::to_string).collect::<Vec<_>>()
        );
    }
}
