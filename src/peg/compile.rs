//! From `pest_meta`'s optimised rules to a [`Program`].

use super::charset::Member;
use super::openings::LiteralChoice;
use super::{CompiledRule, Expr, Kind, Program, RuleId};
use crate::text::class;
use pest_meta::ast::RuleType;
use pest_meta::optimizer::{OptimizedExpr, OptimizedRule};
use std::collections::HashMap;

/// A grammar construct nedra's matcher does not run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("rule `{rule}` uses {what}, which nedra's matcher does not support")]
pub struct CompileError {
    /// The rule that uses it.
    pub rule: String,
    /// What it is.
    pub what: String,
}

fn builtin(name: &str) -> Option<Expr> {
    Some(match name {
        "ANY" => Expr::Any,
        "SOI" => Expr::Soi,
        "EOI" => Expr::Eoi,
        "ASCII_DIGIT" => Expr::Range('0', '9'),
        "ASCII_NONZERO_DIGIT" => Expr::Range('1', '9'),
        "ASCII_BIN_DIGIT" => Expr::Range('0', '1'),
        "ASCII_OCT_DIGIT" => Expr::Range('0', '7'),
        "ASCII_HEX_DIGIT" => Expr::Class(|c| c.is_ascii_hexdigit()),
        "ASCII_ALPHA_LOWER" => Expr::Range('a', 'z'),
        "ASCII_ALPHA_UPPER" => Expr::Range('A', 'Z'),
        "ASCII_ALPHA" => Expr::Class(|c| c.is_ascii_alphabetic()),
        "ASCII_ALPHANUMERIC" => Expr::Class(|c| c.is_ascii_alphanumeric()),
        "ASCII" => Expr::Range('\x00', '\x7f'),
        "NEWLINE" => return None, // compiled as a choice below
        "LETTER" | "ALPHABETIC" => Expr::Class(class::is_alphabetic),
        "LOWERCASE_LETTER" | "LOWERCASE" => Expr::Class(class::is_lowercase),
        "UPPERCASE_LETTER" | "UPPERCASE" => Expr::Class(class::is_uppercase),
        "NUMBER" | "DECIMAL_NUMBER" => Expr::Class(class::is_numeric),
        "WHITE_SPACE" => Expr::Class(class::is_whitespace),
        _ => return None,
    })
}

struct Compiler<'a> {
    exprs: Vec<Expr>,
    ids: &'a HashMap<String, RuleId>,
    rule: String,
}

impl Compiler<'_> {
    fn push(&mut self, e: Expr) -> usize {
        self.exprs.push(e);
        self.exprs.len() - 1
    }

    fn unsupported(&self, what: &str) -> CompileError {
        CompileError {
            rule: self.rule.clone(),
            what: what.to_string(),
        }
    }

    /// Flattens nested `Seq`/`Choice` into one node each, and a choice of plain literals
    /// into a [`Expr::Literals`] step.
    fn expr(&mut self, e: &OptimizedExpr) -> Result<usize, CompileError> {
        use OptimizedExpr as O;
        Ok(match e {
            O::Str(s) => self.push(Expr::Str(s.as_str().into())),
            O::Insens(s) => self.push(Expr::Insens(s.to_ascii_lowercase().into())),
            O::Range(a, b) => {
                let (Some(a), Some(b)) = (a.chars().next(), b.chars().next()) else {
                    return Err(self.unsupported("an empty character range"));
                };
                self.push(Expr::Range(a, b))
            }
            O::Ident(name) => self.ident(name)?,
            O::PosPred(x) => self.wrap(x, Expr::PosPred)?,
            O::NegPred(x) => self.wrap(x, Expr::NegPred)?,
            O::Seq(..) => {
                let mut parts = Vec::new();
                flatten_seq(e, &mut parts);
                let ids = parts
                    .iter()
                    .map(|p| self.expr(p))
                    .collect::<Result<Vec<_>, _>>()?;
                self.push(Expr::Seq(ids.into()))
            }
            O::Choice(..) => {
                let mut parts = Vec::new();
                flatten_choice(e, &mut parts);
                if parts.iter().all(|p| matches!(p, O::Str(_))) {
                    // PEG order matters only when one literal is a prefix of a later one;
                    // trying longest first gives what ordered choice gives whenever the
                    // grammar lists longer forms first (lexicons do), and is documented.
                    let mut lits: Vec<Box<str>> = parts
                        .iter()
                        .filter_map(|p| {
                            if let O::Str(s) = p {
                                Some(s.as_str().into())
                            } else {
                                None
                            }
                        })
                        .collect();
                    if order_is_longest_first(&lits) {
                        lits.sort_by_key(|l| std::cmp::Reverse(l.len()));
                        return Ok(
                            self.push(Expr::Literals(Box::new(LiteralChoice::new(lits.into()))))
                        );
                    }
                }
                let ids = parts
                    .iter()
                    .map(|p| self.expr(p))
                    .collect::<Result<Vec<_>, _>>()?;
                self.push(Expr::Choice(ids.into()))
            }
            O::Opt(x) => self.wrap(x, Expr::Opt)?,
            O::Rep(x) => self.wrap(x, Expr::Rep)?,
            O::Skip(strings) => self.push(Expr::Skip(
                strings.iter().map(|s| s.as_str().into()).collect(),
            )),
            O::RestoreOnErr(x) => self.expr(x)?,
            O::Push(_) => return Err(self.unsupported("PUSH")),
            O::PeekSlice(..) => return Err(self.unsupported("PEEK[..]")),
            #[allow(unreachable_patterns)]
            _ => return Err(self.unsupported("a construct of pest's grammar extras")),
        })
    }

    /// Compiles `x` and an expression of one child around it (`&x`, `!x`, `x?`, `x*`).
    fn wrap(
        &mut self,
        x: &OptimizedExpr,
        around: fn(usize) -> Expr,
    ) -> Result<usize, CompileError> {
        let x = self.expr(x)?;
        Ok(self.push(around(x)))
    }

    fn ident(&mut self, name: &str) -> Result<usize, CompileError> {
        if let Some(&id) = self.ids.get(name) {
            return Ok(self.push(Expr::Call(id)));
        }
        if name == "NEWLINE" {
            let lits = vec!["\r\n".into(), "\n".into(), "\r".into()];
            return Ok(self.push(Expr::Literals(Box::new(LiteralChoice::new(lits.into())))));
        }
        if matches!(
            name,
            "PUSH" | "POP" | "POP_ALL" | "PEEK" | "PEEK_ALL" | "DROP"
        ) {
            return Err(self.unsupported(name));
        }
        if let Some(b) = builtin(name) {
            return Ok(self.push(b));
        }
        if pest::unicode::by_name(name).is_some() {
            // A Unicode property other than the common ones above.
            return Err(self.unsupported(&format!(
                "the Unicode property {name} (use LETTER, NUMBER, …)"
            )));
        }
        Err(self.unsupported(&format!("the undefined rule `{name}`")))
    }
}

fn kind_of(ty: RuleType) -> Kind {
    match ty {
        RuleType::Normal => Kind::Normal,
        RuleType::Silent => Kind::Silent,
        RuleType::Atomic => Kind::Atomic,
        RuleType::CompoundAtomic => Kind::CompoundAtomic,
        RuleType::NonAtomic => Kind::NonAtomic,
    }
}

/// Whether an ordered choice of literals behaves like longest-first: no literal is a
/// proper prefix of a literal listed after it.
fn order_is_longest_first(lits: &[Box<str>]) -> bool {
    lits.iter().enumerate().all(|(i, a)| {
        lits[i + 1..]
            .iter()
            .all(|b| !(b.len() > a.len() && b.starts_with(&**a)))
    })
}

fn flatten_seq<'e>(e: &'e OptimizedExpr, out: &mut Vec<&'e OptimizedExpr>) {
    match e {
        OptimizedExpr::Seq(a, b) => {
            flatten_seq(a, out);
            flatten_seq(b, out);
        }
        other => out.push(other),
    }
}

fn flatten_choice<'e>(e: &'e OptimizedExpr, out: &mut Vec<&'e OptimizedExpr>) {
    match e {
        OptimizedExpr::Choice(a, b) => {
            flatten_choice(a, out);
            flatten_choice(b, out);
        }
        other => out.push(other),
    }
}

/// A lexicon rule to run as one automaton: its name and (form, entry rule name) pairs.
#[derive(Debug, Clone)]
pub struct LexiconRule {
    /// The lexicon rule's name (`unit`).
    pub name: String,
    /// Every form with the entry rule it belongs to (`тонн` -> `unit__t`).
    pub forms: Vec<(String, String)>,
}

fn lexicon_expr(lex: &LexiconRule, ids: &HashMap<String, RuleId>) -> Option<Expr> {
    let forms: Vec<(&str, RuleId)> = lex
        .forms
        .iter()
        .map(|(f, e)| Some((f.as_str(), ids.get(e).copied()?)))
        .collect::<Option<_>>()?;
    Some(Expr::Lexicon(Box::new(super::automaton::Forms::new(
        &forms,
    )?)))
}

/// Sets [`super::automaton::Forms::exact`] on each lexicon whose every entry rule's body
/// is a choice of literals, longest first, of exactly the entry's forms in that lexicon:
/// the body then matches the form the automaton found (the longest of all forms there,
/// and one of the entry's), and the matcher takes that instead of matching it again (see
/// [`body_is`] for the bodies that qualify).
fn mark_exact_entries(rules: &[CompiledRule], exprs: &mut [Expr]) {
    use std::collections::BTreeSet;
    for e in 0..exprs.len() {
        let Expr::Lexicon(forms) = &exprs[e] else {
            continue;
        };
        let mut of_entry: HashMap<RuleId, BTreeSet<&str>> = HashMap::new();
        for (&entry, form) in forms.entries().iter().zip(forms.forms()) {
            of_entry.entry(entry).or_default().insert(&**form);
        }
        let exact = of_entry
            .iter()
            .all(|(&entry, wanted)| body_is(&exprs[rules[entry as usize].expr], wanted));
        if let Expr::Lexicon(forms) = &mut exprs[e] {
            forms.exact = exact;
        }
    }
}

/// Whether `body` matches the longest of the forms `wanted` that begins at a place, and
/// nothing else: a choice of literals, longest first, of exactly those forms, one literal,
/// or a set of one-character forms.
fn body_is(body: &Expr, wanted: &std::collections::BTreeSet<&str>) -> bool {
    use std::collections::BTreeSet;
    match body {
        Expr::Literals(lits) => {
            lits.literals.iter().map(|l| &**l).collect::<BTreeSet<_>>() == *wanted
        }
        Expr::Str(form) => wanted.len() == 1 && wanted.contains(&**form),
        Expr::Set(set) => {
            let chars: Option<BTreeSet<String>> = set
                .members()
                .iter()
                .map(|m| match *m {
                    Member::Range(a, b) if a == b => Some(a.to_string()),
                    _ => None,
                })
                .collect();
            chars.is_some_and(|c| c.iter().map(String::as_str).collect::<BTreeSet<_>>() == *wanted)
        }
        _ => false,
    }
}

/// Turns every sequence that opens with a call whose result is a memoised rule's into a
/// [`super::run::MemoSeq`] (first sets are computed already, and stay those of the
/// sequence).
fn mark_memo_seqs(
    exprs: &mut [Expr],
    calls: &[super::run::RuleRun],
    starts: &[super::starts::Starts],
    pairs: &mut super::pairs::PairTable,
) {
    for e in 0..exprs.len() {
        if let Expr::Seq(items) = &exprs[e]
            && let Some(s) = super::run::MemoSeq::of(items, exprs, calls, starts, pairs)
        {
            exprs[e] = Expr::SeqAfterMemo(Box::new(s));
        }
    }
}

/// Compiles optimised pest rules into a [`Program`]; reports every unsupported construct.
/// `lexicons` are the generated lexicon rules, run as automata instead of literal chains
/// (their semantics is longest match, which is what the generated pest text does too).
/// Rules whose definition a native reader implements run natively (see `native`).
pub fn compile(
    rules: &[OptimizedRule],
    lexicons: &[LexiconRule],
) -> Result<Program, Vec<CompileError>> {
    let mut p = compile_plain(rules, lexicons)?;
    let trivia = p.whitespace.is_some() || p.comment.is_some();
    if let Some(reader) = super::native::numeric_reader(&p.rules, &p.exprs, &p.by_name, trivia) {
        // Last, so first sets and memo sequences saw the call, as they see the reader.
        for e in &mut p.exprs {
            if matches!(e, Expr::Call(id) if *id == reader.numeric) {
                *e = Expr::Numeric(reader);
            }
        }
        for e in 0..p.exprs.len() {
            if let Expr::Choice(items) = &p.exprs[e]
                && let Some(n) = super::native::NumberFirst::of(items, &p.rules, &p.exprs)
            {
                p.exprs[e] = Expr::NumberFirst(Box::new(n));
            }
        }
    }
    Ok(p)
}

/// [`compile`] without native readers: every rule runs as written.
pub(crate) fn compile_plain(
    rules: &[OptimizedRule],
    lexicons: &[LexiconRule],
) -> Result<Program, Vec<CompileError>> {
    let ids: HashMap<String, RuleId> = rules
        .iter()
        .enumerate()
        .map(|(i, r)| (r.name.clone(), i as RuleId))
        .collect();
    let mut c = Compiler {
        exprs: Vec::new(),
        ids: &ids,
        rule: String::new(),
    };
    let mut compiled = Vec::with_capacity(rules.len());
    let mut errors = Vec::new();
    let mut lexicon_firsts = HashMap::new();
    for r in rules {
        c.rule = r.name.clone();
        if let Some(e) = lexicons
            .iter()
            .find(|l| l.name == r.name)
            .and_then(|l| lexicon_expr(l, &ids))
        {
            let expr = c.push(e);
            if let Some(lex) = lexicons
                .iter()
                .find(|l| l.name == r.name && l.forms.iter().all(|(f, _)| !f.is_empty()))
            {
                let firsts = lex.forms.iter().filter_map(|(f, _)| f.chars().next());
                lexicon_firsts.insert(expr, firsts.collect::<Vec<char>>());
            }
            let kind = kind_of(r.ty);
            compiled.push(CompiledRule {
                name: r.name.clone(),
                kind,
                expr,
                trivia: false,
                memo: false,
            });
            continue;
        }
        let expr = match c.expr(&r.expr) {
            Ok(e) => e,
            Err(e) => {
                errors.push(e);
                0
            }
        };
        let kind = kind_of(r.ty);
        let trivia = r.name == "WHITESPACE" || r.name == "COMMENT";
        compiled.push(CompiledRule {
            name: r.name.clone(),
            kind,
            expr,
            trivia,
            memo: false,
        });
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let whitespace = ids.get("WHITESPACE").copied();
    let comment = ids.get("COMMENT").copied();
    let trivia = whitespace.is_some() || comment.is_some();
    super::optimize::optimize(&mut compiled, &mut c.exprs, trivia);
    mark_exact_entries(&compiled, &mut c.exprs);
    let mut starts = super::starts::compute(&c.exprs, &compiled, &lexicon_firsts, trivia);
    let (pairs, mut pair_table) = super::pairs::compute(&c.exprs, &compiled, &starts, trivia);
    for (s, p) in starts.iter_mut().zip(pairs) {
        s.pairs = p;
    }
    let calls: Vec<super::run::RuleRun> = compiled
        .iter()
        .map(|r| super::run::RuleRun::of(r, &starts))
        .collect();
    let mut gates = vec![None; compiled.len()];
    if !trivia {
        mark_memo_seqs(&mut c.exprs, &calls, &starts, &mut pair_table);
        for (id, gate) in gates.iter_mut().enumerate() {
            *gate = super::run::Gate::of(
                id as RuleId,
                &c.exprs,
                &calls,
                &starts,
                &mut pair_table.sets,
            );
        }
    }
    Ok(Program {
        calls,
        gates,
        whitespace,
        comment,
        starts,
        pair_sets: pair_table.sets,
        rules: compiled,
        exprs: c.exprs,
        by_name: ids,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::peg::Limits;

    fn program(grammar: &str, lexicon: &[(&str, &str)]) -> Program {
        let (_, rules) = pest_meta::parse_and_optimize(grammar).expect("grammar parses");
        let lex = LexiconRule {
            name: "unit".into(),
            forms: lexicon
                .iter()
                .map(|&(f, e)| (f.to_string(), e.to_string()))
                .collect(),
        };
        compile(&rules, &[lex]).expect("compiles")
    }

    fn exact(p: &Program) -> bool {
        p.exprs
            .iter()
            .any(|e| matches!(e, Expr::Lexicon(f) if f.exact))
    }

    /// A lexicon whose entries are exactly their forms takes the automaton's match as the
    /// entry's; one whose entry has other forms too runs the entry as written.
    #[test]
    fn lexicon_entries_that_are_their_forms_match_as_the_automaton_found() {
        let grammar = "unit = { t | kg } \n t = @{ \"тонна\" | \"тонн\" | \"т\" } \n kg = @{ \"кг\" } \n a = { unit ~ \" \" }";
        let forms = [("тонна", "t"), ("тонн", "t"), ("т", "t"), ("кг", "kg")];
        let p = program(grammar, &forms);
        assert!(exact(&p));
        let a = p.rule_id("a").expect("a");
        let t = p.rule_id("t").expect("t");
        let m = p.matches(a, "тонна x", Limits::default()).expect("matches");
        assert_eq!(m.end, "тонна ".len());
        assert!(m.nodes.contains(&(t, 0, "тонна".len(), 2)), "{:?}", m.nodes);
        assert!(p.matches(a, "тонны x", Limits::default()).is_err());
        // `t` has a form the lexicon lacks: it is matched as written.
        let wider = program(grammar, &forms[1..]);
        assert!(!exact(&wider));
        // The automaton finds тонн; `t` as written matches тонна, then the space.
        let m = wider.matches(a, "тонна x", Limits::default());
        assert_eq!(m.map(|m| m.end), Ok("тонна ".len()));
    }

    /// The entry the automaton of an exact lexicon found is taken without its call (see
    /// `Run::exact_entry`), with what the call gave: the same end, nodes (none in a
    /// lookahead or an atomic caller) and steps, and the same failure where the step budget
    /// runs out at the entry's body. The reference is the same program with the lexicon's
    /// entries run as calls.
    #[test]
    fn an_exact_lexicon_entry_gives_what_its_call_gives() {
        let grammar = "unit = { t | kg } \n t = @{ \"тонна\" | \"тонн\" | \"т\" } \n kg = { \"кг\" } \n \
                       a = { unit ~ \" \" ~ unit } \n b = @{ unit ~ \" \" } \n c = { &unit ~ unit } \n \
                       d = _{ !unit ~ \"x\" | unit }";
        let forms = [("тонна", "t"), ("тонн", "t"), ("т", "t"), ("кг", "kg")];
        let p = program(grammar, &forms);
        assert!(exact(&p));
        let mut calls = p.clone();
        for e in &mut calls.exprs {
            if let Expr::Lexicon(f) = e {
                f.exact = false;
            }
        }
        for rule in ["a", "b", "c", "d"] {
            let id = p.rule_id(rule).expect("rule");
            for text in ["тонна кг", "кг тонн", "т т", "x", "тонны"] {
                let ours = p.matches(id, text, Limits::default());
                let reference = calls.matches(id, text, Limits::default());
                assert_eq!(ours, reference, "{rule} at {text:?}");
                if let Ok(m) = &reference {
                    // The budget runs out at each step in turn, the body's among them.
                    for steps in 0..m.steps {
                        let limits = Limits {
                            steps,
                            ..Limits::default()
                        };
                        assert_eq!(
                            p.matches(id, text, limits),
                            calls.matches(id, text, limits),
                            "{rule} at {text:?} within {steps} steps"
                        );
                    }
                }
            }
        }
        // Nodes are made as the calls make them.
        let a = p.rule_id("a").expect("a");
        let kg = p.rule_id("kg").expect("kg");
        let m = p
            .matches(a, "тонна кг", Limits::default())
            .expect("matches");
        assert!(
            m.nodes.contains(&(kg, "тонна ".len(), "тонна кг".len(), 2)),
            "{:?}",
            m.nodes
        );
    }
}
