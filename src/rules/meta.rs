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
use pest_meta::ast::{Expr, Rule};
use pest_meta::optimizer::{OptimizedExpr, OptimizedRule};
use pest_meta::parser::{self, Rule as MetaRule};
use std::collections::HashSet;

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
    let mut optimized = pest_meta::optimizer::optimize(written).into_iter();
    Ok(slots
        .into_iter()
        .filter_map(|slot| slot.or_else(|| optimized.next()))
        .collect())
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
        let set = crate::rules::RuleSet::load(&crate::rules::RuleSources {
            defaults: true,
            dirs: vec![],
        })
        .expect("default rules");
        let grammar = set.lexicons.grammar();
        let generated: HashSet<String> = set.lexicons.rule_names().map(|(n, _)| n).collect();
        assert!(generated.len() > 100, "{} lexicon rules", generated.len());
        let direct = parse_and_optimize(&grammar, &generated).expect("valid grammar");
        let (_, pest) = pest_meta::parse_and_optimize(&grammar).expect("valid grammar");
        assert_eq!(direct, pest);
        // And built from the lexicons without the text.
        assert_eq!(set.lexicons.optimized_rules(), pest);
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
