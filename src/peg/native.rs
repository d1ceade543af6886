//! Native readers: rules whose compiled form is exactly that of a known definition run as
//! one step of Rust code instead of a dozen interpreter steps, with the same end and the
//! same nodes.
//!
//! The one reader so far is `numeric` (an integer with optional decimal part, see
//! `grammars/number.pest`): every number every amount, percentage and range rule reads
//! goes through it, and interpreted it took some ten steps a number. It is used only when
//! the grammar's `numeric`, `int` and `frac` compile to exactly what [`NUMERIC_SOURCE`]
//! compiles to (compared expression by expression, through every rule they call, with
//! kinds): a grammar that defines them otherwise runs them as written.

use super::{CompiledRule, Expr, RuleId};
use std::sync::OnceLock;

/// The definitions the `numeric` reader implements (as `grammars/number.pest` writes them).
pub(crate) const NUMERIC_SOURCE: &str = r#"
digit = _{ ASCII_DIGIT }
int = @{
    digit{1,3} ~ ((" " ~ digit{3} ~ !digit)+ | ("." ~ digit{3} ~ !digit){2,} | digit*)
}
frac = @{ digit+ }
numeric = { int ~ (("," | ".") ~ frac ~ !digit)? }
"#;

/// The rules a `numeric` reader makes nodes of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Numeric {
    /// `numeric`: the whole number.
    pub(crate) numeric: RuleId,
    /// `int`: its integer part.
    pub(crate) int: RuleId,
    /// `frac`: its decimal part, when there is one.
    pub(crate) frac: RuleId,
}

/// A choice `(s | …)` where `s` is a rule whose body is `numeric ~ tail?` with `numeric`
/// read natively (see [`Numeric`]) and `s` not memoised: `number = { scaled | worded |
/// lone_scale }` of `grammars/number.pest`. Every number read at a digit was a step of
/// `number`'s choice, a call of `scaled`, its sequence, the number and the tail's option
/// (five steps, two of them through the dispatch of a rule call) before the tail itself.
///
/// Why this keeps every result: where `numeric` matches at `pos`, `s` matches (its body's
/// first item does, and an option never fails), so the choice takes it; `s` makes its node,
/// `numeric`'s nodes under it, and runs the tail as its option would, in `s`'s atomicity
/// and nesting. Where `numeric` does not match, the choice runs as written.
#[derive(Debug, Clone)]
pub(crate) struct NumberFirst {
    /// The choice's alternatives (the first calls `rule`).
    pub(crate) items: Box<[usize]>,
    /// The rule `s`.
    pub(crate) rule: RuleId,
    /// The natively read number `s` opens with.
    pub(crate) numeric: Numeric,
    /// The expression of `tail` (the option's content).
    pub(crate) tail: usize,
}

impl NumberFirst {
    /// The choice of `items` as a [`NumberFirst`], when its first alternative is such a call.
    pub(crate) fn of(items: &[usize], rules: &[CompiledRule], exprs: &[Expr]) -> Option<Self> {
        let Expr::Call(rule) = exprs[*items.first()?] else {
            return None;
        };
        let r = &rules[rule as usize];
        if r.memo {
            return None;
        }
        let Expr::Seq(body) = &exprs[r.expr] else {
            return None;
        };
        let [first, second] = body[..] else {
            return None;
        };
        match (&exprs[first], &exprs[second]) {
            (Expr::Numeric(numeric), Expr::Opt(tail)) => Some(NumberFirst {
                items: items.into(),
                rule,
                numeric: *numeric,
                tail: *tail,
            }),
            _ => None,
        }
    }
}

/// What `numeric` matches at `pos` of `input`: the end of `int`, and the span of `frac`
/// when there is one (the match ends where the last of them does). `None` where it does not
/// match. Implements [`NUMERIC_SOURCE`] step by step:
/// - `digit{1,3}`: one to three digits, as many as there are;
/// - then the first of: one or more groups of a space and three digits not followed by a
///   digit; two or more such groups with a dot; any further digits;
/// - then optionally a comma or dot, one or more digits (`frac`), and no digit (always
///   true after `digit+`).
pub(crate) fn read_numeric(input: &[u8], pos: usize) -> Option<(usize, Option<(usize, usize)>)> {
    let digit = |i: usize| input.get(i).is_some_and(u8::is_ascii_digit);
    let mut p = pos;
    while p < pos + 3 && digit(p) {
        p += 1;
    }
    if p == pos {
        return None;
    }
    let group = |at: usize, sep: u8| {
        input.get(at) == Some(&sep)
            && digit(at + 1)
            && digit(at + 2)
            && digit(at + 3)
            && !digit(at + 4)
    };
    let mut q = p;
    while group(q, b' ') {
        q += 4;
    }
    let int_end = if q > p {
        q
    } else {
        let mut groups = 0;
        while group(q, b'.') {
            q += 4;
            groups += 1;
        }
        if groups < 2 {
            q = p;
            while digit(q) {
                q += 1;
            }
        }
        q
    };
    let frac = match input.get(int_end) {
        Some(b',' | b'.') if digit(int_end + 1) => {
            let mut e = int_end + 1;
            while digit(e) {
                e += 1;
            }
            Some((int_end + 1, e))
        }
        _ => None,
    };
    Some((int_end, frac))
}

/// A text that identifies rule `id`'s compiled form: its kind and body, and those of every
/// rule it calls, with rules named rather than numbered. `None` for forms not compared
/// (lexicons, forms made after first sets), which never count as the same.
fn shape(rules: &[CompiledRule], exprs: &[Expr], id: RuleId) -> Option<String> {
    fn rule(
        rules: &[CompiledRule],
        exprs: &[Expr],
        id: RuleId,
        seen: &mut Vec<RuleId>,
        out: &mut String,
    ) -> Option<()> {
        let r = rules.get(id as usize)?;
        out.push_str(&format!("{}:{:?}:{}", r.name, r.kind, r.trivia));
        if seen.contains(&id) {
            return Some(());
        }
        seen.push(id);
        out.push('=');
        expr(rules, exprs, r.expr, seen, out)
    }
    fn expr(
        rules: &[CompiledRule],
        exprs: &[Expr],
        e: usize,
        seen: &mut Vec<RuleId>,
        out: &mut String,
    ) -> Option<()> {
        let (tag, kids): (String, &[usize]) = match exprs.get(e)? {
            Expr::Call(id) => {
                out.push_str("Call(");
                rule(rules, exprs, *id, seen, out)?;
                out.push(')');
                return Some(());
            }
            Expr::PosPred(x) => ("PosPred".into(), std::slice::from_ref(x)),
            Expr::NegPred(x) => ("NegPred".into(), std::slice::from_ref(x)),
            Expr::Opt(x) => ("Opt".into(), std::slice::from_ref(x)),
            Expr::Rep(x) => ("Rep".into(), std::slice::from_ref(x)),
            Expr::UpTo(x, n) => (format!("UpTo{n}"), std::slice::from_ref(x)),
            Expr::SpanUnless(x, set) => (format!("SpanUnless{set:?}"), std::slice::from_ref(x)),
            Expr::Seq(xs) => ("Seq".into(), &xs[..]),
            Expr::Choice(xs) => ("Choice".into(), &xs[..]),
            Expr::Lexicon(_) | Expr::SeqAfterMemo(_) | Expr::Numeric(_) | Expr::NumberFirst(_) => {
                return None;
            }
            leaf @ (Expr::Str(_)
            | Expr::Insens(_)
            | Expr::Range(..)
            | Expr::Class(_)
            | Expr::Any
            | Expr::Soi
            | Expr::Eoi
            | Expr::NoneOf(_)
            | Expr::Skip(_)
            | Expr::Literals(_)
            | Expr::Set(_)
            | Expr::NotSet(_)
            | Expr::Span(..)
            | Expr::RunOf(_)) => (format!("{leaf:?}"), &[]),
        };
        out.push_str(&tag);
        out.push('[');
        for &k in kids {
            expr(rules, exprs, k, seen, out)?;
            out.push(',');
        }
        out.push(']');
        Some(())
    }
    let mut out = String::new();
    rule(rules, exprs, id, &mut Vec::new(), &mut out)?;
    Some(out)
}

/// The compiled form of [`NUMERIC_SOURCE`]'s `numeric` (see [`shape`]), computed once.
fn numeric_shape() -> Option<&'static str> {
    static SHAPE: OnceLock<Option<String>> = OnceLock::new();
    SHAPE
        .get_or_init(|| {
            let (_, rules) = pest_meta::parse_and_optimize(NUMERIC_SOURCE).ok()?;
            let p = super::compile::compile_plain(&rules, &[]).ok()?;
            shape(&p.rules, &p.exprs, p.rule_id("numeric")?)
        })
        .as_deref()
}

/// The `numeric` reader for a program, when its `numeric` is [`NUMERIC_SOURCE`]'s and
/// may be run natively: no implicit whitespace (the reader skips none), and none of the
/// three rules memoised (the reader keeps no memo entries).
pub(crate) fn numeric_reader(
    rules: &[CompiledRule],
    exprs: &[Expr],
    by_name: &std::collections::HashMap<String, RuleId>,
    trivia: bool,
) -> Option<Numeric> {
    if trivia {
        return None;
    }
    let id = |name: &str| by_name.get(name).copied();
    let reader = Numeric {
        numeric: id("numeric")?,
        int: id("int")?,
        frac: id("frac")?,
    };
    let ours = [reader.numeric, reader.int, reader.frac];
    if ours.iter().any(|&r| rules[r as usize].memo) {
        return None;
    }
    // The shape holds every rule's kind, so `int` and `frac` are atomic as written.
    (shape(rules, exprs, reader.numeric)? == numeric_shape()?).then_some(reader)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::peg::{Limits, MatchError, Program};

    /// [`NUMERIC_SOURCE`] with rules calling `numeric` in every context a call can be in.
    const CALLERS: &str = r#"
plain    = { numeric }
atomic   = @{ numeric }
compound = ${ numeric }
look     = { &numeric ~ ANY }
not      = { !numeric ~ ANY }
after    = { "a"? ~ numeric ~ "!"? }
silent   = _{ numeric }
wrapped  = { silent ~ "." }
"#;

    fn programs(source: &str) -> (Program, Program) {
        let (_, rules) = pest_meta::parse_and_optimize(source).expect("grammar parses");
        let native = crate::peg::compile(&rules, &[]).expect("compiles");
        let plain = super::super::compile::compile_plain(&rules, &[]).expect("compiles");
        (native, plain)
    }

    fn reads_natively(p: &Program) -> bool {
        p.exprs.iter().any(|e| matches!(e, Expr::Numeric(_)))
    }

    /// A match's end and nodes.
    type Found = (usize, Vec<(RuleId, usize, usize, u32)>);

    /// A match without its step count (the reader takes fewer steps), and whether a failure
    /// was no match or a limit.
    fn outcome(
        p: &Program,
        rule: &str,
        input: &str,
        limits: Limits,
    ) -> Result<Found, Option<&'static str>> {
        let id = p.rule_id(rule).expect("rule");
        match p.matches(id, input, limits) {
            Ok(m) => Ok((m.end, m.nodes)),
            Err(MatchError::NoMatch(_)) => Err(None),
            Err(MatchError::Limit(why)) => Err(Some(why)),
        }
    }

    /// Every string of `alphabet` up to `len` characters.
    fn strings(alphabet: &[char], len: usize) -> Vec<String> {
        let mut all = vec![String::new()];
        let mut last = vec![String::new()];
        for _ in 0..len {
            last = last
                .iter()
                .flat_map(|s| alphabet.iter().map(move |&c| format!("{s}{c}")))
                .collect();
            all.extend(last.iter().cloned());
        }
        all
    }

    /// Nesting limits of every depth in `depths`.
    fn nesting_limits(depths: std::ops::Range<u32>) -> Vec<Limits> {
        depths
            .map(|depth| Limits {
                depth,
                ..Limits::default()
            })
            .collect()
    }

    /// The reader gives what the rules as written give, on every short string of the
    /// characters they look at, in every context, and near the nesting limit.
    #[test]
    fn the_reader_matches_the_rules_as_written() {
        let (native, plain) = programs(&format!("{NUMERIC_SOURCE}{CALLERS}"));
        assert!(reads_natively(&native));
        assert!(!reads_natively(&plain));
        let rules = [
            "plain", "atomic", "compound", "look", "not", "after", "wrapped",
        ];
        let mut inputs = strings(&['7', ' ', '.', ','], 9);
        inputs.extend(strings(&['1', '.', ' ', 'a', ',', '!'], 5));
        assert_same_outcomes(&native, &plain, &rules, &inputs, &[Limits::default()]);
        let near_limit = ["12 345,6", "1.000.000", "5"].map(String::from);
        assert_same_outcomes(&native, &plain, &rules, &near_limit, &nesting_limits(0..6));
    }

    /// `native` and `plain` give the same outcome for each of `rules` on each of `inputs`
    /// under each of `limits`.
    fn assert_same_outcomes(
        native: &Program,
        plain: &Program,
        rules: &[&str],
        inputs: &[String],
        limits: &[Limits],
    ) {
        for &limits in limits {
            for input in inputs {
                for &rule in rules {
                    assert_eq!(
                        outcome(native, rule, input, limits),
                        outcome(plain, rule, input, limits),
                        "{rule} on {input:?} with limits {limits:?}"
                    );
                }
            }
        }
    }

    /// `numeric` under a rule with an optional tail, first in a choice, as `scaled` is in
    /// `number` (see [`NumberFirst`]), with callers in every context.
    const SCALED: &str = r#"
scale     = { "k" | "mln" }
scaled    = { numeric ~ (" "+ ~ scale)? }
word      = { "o" }
number    = { scaled | word }
nplain    = { number ~ "!"? }
natomic   = @{ number }
ncompound = ${ number ~ " o"? }
nlook     = { &number ~ ANY }
nnot      = { !number ~ ANY }
"#;

    /// The choice led by a number gives what the rules as written give (end and nodes), on
    /// every short string of the characters they look at, in every context and near the
    /// nesting limit; and a number with no tail after it takes fewer steps.
    #[test]
    fn a_choice_led_by_a_number_matches_the_rules_as_written() {
        let (native, plain) = programs(&format!("{NUMERIC_SOURCE}{SCALED}"));
        let first = |p: &Program| p.exprs.iter().any(|e| matches!(e, Expr::NumberFirst(_)));
        assert!(first(&native));
        assert!(!first(&plain));
        let rules = ["nplain", "natomic", "ncompound", "nlook", "nnot"];
        let inputs = strings(&['7', ' ', 'k', ',', 'o', '!'], 6);
        assert_same_outcomes(&native, &plain, &rules, &inputs, &[Limits::default()]);
        let near_limit = ["12 345,6 k!", "7 kx", "5 o", "5"].map(String::from);
        assert_same_outcomes(&native, &plain, &rules, &near_limit, &nesting_limits(0..8));
        let steps = |p: &Program, input: &str| {
            let id = p.rule_id("nplain").expect("rule");
            p.matches(id, input, Limits::default()).map(|m| m.steps)
        };
        // The same program with the choice as written: one step where it takes five (the
        // choice, the call of `scaled`, its sequence, the number, the option), with a scale
        // word after the number or not.
        let mut written = native.clone();
        for e in &mut written.exprs {
            if let Expr::NumberFirst(n) = e {
                *e = Expr::Choice(n.items.clone());
            }
        }
        for input in ["12 345 x", "12 345 k!"] {
            let (ours, theirs) = (steps(&native, input), steps(&written, input));
            assert_eq!(ours.map(|s| s + 4), theirs, "{input:?}");
        }
    }

    /// A grammar whose `numeric`, `int` or `frac` say anything else runs them as written.
    #[test]
    fn other_definitions_run_as_written() {
        let variants = [
            NUMERIC_SOURCE.replace("frac = @{ digit+ }", "frac = @{ digit{1,2} }"),
            NUMERIC_SOURCE.replace("int = @{", "int = ${"),
            NUMERIC_SOURCE.replace("{2,}", "{3,}"),
            NUMERIC_SOURCE.replace("digit = _{ ASCII_DIGIT }", "digit = _{ '0'..'8' }"),
            NUMERIC_SOURCE.replace("(\",\" | \".\")", "\",\""),
        ];
        for source in variants {
            let (native, _) = programs(&format!("{source}{CALLERS}"));
            assert!(!reads_natively(&native), "{source}");
        }
        // Implicit whitespace between `int` and the decimal part: as written.
        let (native, _) = programs(&format!(
            "{NUMERIC_SOURCE}{CALLERS}WHITESPACE = _{{ \"~\" }}"
        ));
        assert!(!reads_natively(&native));
    }

    /// The default rules' `numeric` is the one the reader implements: numbers are read
    /// natively (a change to `grammars/number.pest` that loses this fails here).
    #[test]
    fn the_default_rules_read_numbers_natively() {
        let set = crate::rules::RuleSet::load_defaults().expect("default rules");
        assert!(reads_natively(set.grammar.program()));
        // `number`'s choice is led by `scaled`, the number with its optional scale words.
        let program = set.grammar.program();
        let number = program.rule_id("number").expect("number");
        assert!(matches!(
            program.exprs[program.rules[number as usize].expr],
            Expr::NumberFirst(_)
        ));
    }
}
