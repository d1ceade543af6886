//! Pest grammars loaded at run time: assembled from every `.pest` file of the rule set and
//! the generated lexicon rules, validated by `pest_meta`, run by `pest_vm`.
//!
//! All files share one namespace of grammar rules, so a rule file may use the building blocks
//! of `grammars/number.pest`. A later rule folder may redefine a grammar rule; the earlier
//! definition is blanked out (spaces, so every line and column of the file stays where the
//! author sees it) and errors are mapped back from the combined text to file:line:column.
//!
//! pest has sharp edges this module keeps away from users: `pest_meta` can panic on some
//! malformed grammars (contained here), `Vm::parse` panics on an unknown rule name (entry
//! names are checked at load), and a rule named like a builtin such as `NEWLINE` is silently
//! ignored by `pest_vm` (refused here).

use crate::error::{LoadError, LoadErrorKind, Location};
use crate::rules::lexicon::Lexicons;
use crate::rules::source::{FileKind, SourceFile};
use crate::text::normalize::normalize_literal;
use pest::error::LineColLocation;
use pest_meta::optimizer::{OptimizedExpr, OptimizedRule};
use pest_meta::parser::{self, Rule as MetaRule};
use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Mutex, PoisonError};

/// Rules that pest provides itself; a grammar may not define them.
const PEST_BUILTINS: &[&str] = &[
    "ANY",
    "EOI",
    "SOI",
    "PEEK",
    "PEEK_ALL",
    "POP",
    "POP_ALL",
    "DROP",
    "ASCII_DIGIT",
    "ASCII_NONZERO_DIGIT",
    "ASCII_BIN_DIGIT",
    "ASCII_OCT_DIGIT",
    "ASCII_HEX_DIGIT",
    "ASCII_ALPHA_LOWER",
    "ASCII_ALPHA_UPPER",
    "ASCII_ALPHA",
    "ASCII_ALPHANUMERIC",
    "ASCII",
    "NEWLINE",
    "PUSH",
];

/// Whether `name` is a rule pest provides (see [`PEST_BUILTINS`]) or a Unicode property.
pub(crate) fn is_builtin(name: &str) -> bool {
    PEST_BUILTINS.contains(&name) || pest::unicode::unicode_property_names().any(|p| p == name)
}

mod initial;

/// A grammar rule definition found in a file.
#[derive(Debug, Clone)]
pub struct Definition {
    /// Rule name.
    pub name: String,
    /// Where its name is.
    pub location: Location,
    byte_range: (usize, usize),
    file: usize,
}

/// The compiled grammar of a rule set.
pub struct Grammar {
    vm: pest_vm::Vm,
    program: crate::peg::Program,
    rules: HashMap<String, OptimizedRule>,
    /// Where each grammar rule was defined (for diagnostics).
    pub definitions: HashMap<String, Location>,
    /// Rules that call themselves, directly or through others: their analyses depend on
    /// the rules being expanded around them, so they are never memoised.
    cyclic: HashSet<String>,
    /// The analyses of rules already done (see [`Memo`]).
    memo: Mutex<Memo>,
}

impl std::fmt::Debug for Grammar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Grammar")
            .field("rules", &self.rules.len())
            .finish()
    }
}

struct Chunk {
    name: String,
    first_line: usize,
    lines: usize,
}

fn meta_message(e: pest::error::Error<MetaRule>) -> String {
    e.renamed_rules(parser::rename_meta_rule)
        .variant
        .message()
        .into_owned()
}

fn line_col(e: &pest::error::Error<MetaRule>) -> (usize, usize) {
    match e.line_col {
        LineColLocation::Pos(p) => p,
        LineColLocation::Span(p, _) => p,
    }
}

/// Finds the grammar rules a file defines; syntax errors are reported against the file.
fn definitions(file: &SourceFile, index: usize) -> Result<Vec<Definition>, LoadError> {
    let parsed = catch_unwind(AssertUnwindSafe(|| {
        parser::parse(MetaRule::grammar_rules, &file.text).map(|pairs| {
            pairs
                .flatten()
                .filter(|p| p.as_rule() == MetaRule::grammar_rule)
                .filter_map(|p| {
                    let span = p.as_span();
                    let ident = p
                        .into_inner()
                        .find(|i| i.as_rule() == MetaRule::identifier)?;
                    Some((
                        ident.as_str().to_string(),
                        ident.as_span().start(),
                        (span.start(), span.end()),
                    ))
                })
                .collect::<Vec<_>>()
        })
    }));
    match parsed {
        Ok(Ok(found)) => Ok(found
            .into_iter()
            .map(|(name, at, byte_range)| Definition {
                location: file.location(at),
                name,
                byte_range,
                file: index,
            })
            .collect()),
        Ok(Err(e)) => {
            let (line, col) = line_col(&e);
            Err(LoadError::new(
                Location {
                    file: file.name.clone(),
                    line,
                    col,
                },
                LoadErrorKind::Grammar,
                meta_message(e),
            ))
        }
        Err(p) => Err(LoadError::new(
            Location::file_start(&file.name),
            LoadErrorKind::Grammar,
            format!(
                "pest could not read this grammar (it panicked: {})",
                crate::error::panic_message(&*p)
            ),
        )),
    }
}

fn blank(text: &mut String, range: (usize, usize)) {
    let replaced: String = text[range.0..range.1]
        .chars()
        .map(|c| if c == '\n' { '\n' } else { ' ' })
        .collect();
    text.replace_range(range.0..range.1, &replaced);
}

impl Grammar {
    /// Builds the grammar from the rule set's `.pest` files and its lexicons.
    pub fn build(files: &[SourceFile], lexicons: &Lexicons) -> Result<Grammar, Vec<LoadError>> {
        Grammar::build_with(files, lexicons, true)
    }

    /// [`Grammar::build`]; `stubs`: let pest validate the rules people write against
    /// stand-ins for the lexicon rules, built directly (see
    /// [`Lexicons::validation_stubs`]), where possible. Off only in tests, which check that
    /// both ways give the same grammar and the same errors.
    fn build_with(
        files: &[SourceFile],
        lexicons: &Lexicons,
        stubs: bool,
    ) -> Result<Grammar, Vec<LoadError>> {
        let mut errors = Vec::new();
        let grammar_files: Vec<(usize, &SourceFile)> = files
            .iter()
            .enumerate()
            .filter(|(_, f)| f.kind == FileKind::Grammar)
            .collect();
        let mut all_defs = Vec::new();
        for (i, f) in &grammar_files {
            match definitions(f, *i) {
                Ok(d) => all_defs.extend(d),
                Err(e) => errors.push(e),
            }
        }
        // Later layers replace earlier definitions; two in one layer are an error.
        let mut winner: HashMap<String, Definition> = HashMap::new();
        let mut blanked: HashMap<usize, Vec<(usize, usize)>> = HashMap::new();
        for d in all_defs {
            if is_builtin(&d.name) {
                errors.push(LoadError::new(
                    d.location.clone(),
                    LoadErrorKind::Grammar,
                    format!("`{}` is a pest builtin; pest_vm would silently ignore this rule — rename it", d.name),
                ));
                continue;
            }
            if let Some(prev) = winner.get(&d.name) {
                if files[prev.file].layer == files[d.file].layer {
                    errors.push(LoadError::new(
                        d.location.clone(),
                        LoadErrorKind::Grammar,
                        format!(
                            "grammar rule `{}` is already defined at {}",
                            d.name, prev.location
                        ),
                    ));
                    continue;
                }
                blanked.entry(prev.file).or_default().push(prev.byte_range);
            }
            winner.insert(d.name.clone(), d);
        }
        for (name, loc) in lexicons.rule_names() {
            if let Some(d) = winner.get(&name) {
                errors.push(LoadError::new(
                    d.location.clone(),
                    LoadErrorKind::Grammar,
                    format!("grammar rule `{name}` has the name of a lexicon rule (from {loc})"),
                ));
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let mut combined = String::new();
        let mut chunks = Vec::new();
        for (i, f) in &grammar_files {
            let mut text = f.text.clone();
            for r in blanked.get(i).into_iter().flatten() {
                blank(&mut text, *r);
            }
            let first_line = combined.matches('\n').count() + 1;
            let lines = text.matches('\n').count() + 1;
            combined.push_str(&text);
            combined.push('\n');
            chunks.push(Chunk {
                name: f.name.clone(),
                first_line,
                lines,
            });
        }
        let stubs = stubs.then(|| lexicons.validation_stubs()).flatten();
        let lex = match &stubs {
            Some(text) => text.clone(),
            None => lexicons.grammar(),
        };
        chunks.push(Chunk {
            name: "<lexicons>".to_string(),
            first_line: combined.matches('\n').count() + 1,
            lines: lex.matches('\n').count() + 1,
        });
        combined.push_str(&lex);

        let locate = |line: usize, col: usize| -> Location {
            for c in &chunks {
                if line >= c.first_line && line < c.first_line + c.lines {
                    return Location {
                        file: c.name.clone(),
                        line: line - c.first_line + 1,
                        col,
                    };
                }
            }
            Location {
                file: "<grammar>".to_string(),
                line,
                col,
            }
        };
        let generated: HashSet<String> = lexicons.rule_names().map(|(name, _)| name).collect();
        let result = catch_unwind(AssertUnwindSafe(|| {
            super::meta::parse_and_optimize(&combined, &generated)
        }));
        let optimized = match result {
            Ok(Ok(rules)) => rules,
            Ok(Err(errs)) => {
                return Err(errs
                    .into_iter()
                    .map(|e| {
                        let (line, col) = line_col(&e);
                        LoadError::new(locate(line, col), LoadErrorKind::Grammar, meta_message(e))
                    })
                    .collect());
            }
            Err(p) => {
                let files: Vec<&str> = grammar_files.iter().map(|(_, f)| f.name.as_str()).collect();
                return Err(vec![LoadError::new(
                    Location::file_start(files.last().copied().unwrap_or("<grammar>")),
                    LoadErrorKind::Grammar,
                    format!(
                        "pest could not validate the grammar of {} (it panicked: {})",
                        files.join(", "),
                        crate::error::panic_message(&*p)
                    ),
                )]);
            }
        };
        let optimized: Vec<OptimizedRule> = match stubs {
            // The stand-ins, last in the text, give way to the lexicon rules themselves.
            Some(_) => optimized
                .into_iter()
                .filter(|r| !generated.contains(&r.name))
                .chain(lexicons.optimized_rules())
                .collect(),
            None => optimized,
        };
        let optimized: Vec<OptimizedRule> = optimized
            .into_iter()
            .map(|r| OptimizedRule {
                name: r.name,
                ty: r.ty,
                expr: fold_literals(r.expr),
            })
            .collect();
        let rules: HashMap<String, OptimizedRule> = optimized
            .iter()
            .map(|r| (r.name.clone(), r.clone()))
            .collect();
        let lexicon_rules = lexicons.automata();
        let program = crate::peg::compile(&optimized, &lexicon_rules).map_err(|errs| {
            errs.into_iter()
                .map(|e| {
                    let at = winner.get(&e.rule).map_or_else(
                        || Location::file_start("<lexicons>"),
                        |d| d.location.clone(),
                    );
                    LoadError::new(at, LoadErrorKind::Grammar, e.to_string())
                })
                .collect::<Vec<_>>()
        })?;
        let definitions = winner.into_iter().map(|(k, d)| (k, d.location)).collect();
        Ok(Grammar {
            vm: pest_vm::Vm::new(optimized),
            program,
            cyclic: cyclic_rules(&rules),
            rules,
            definitions,
            memo: Mutex::new(Memo::default()),
        })
    }

    /// Whether the grammar has a rule of this name.
    pub fn has_rule(&self, name: &str) -> bool {
        self.rules.contains_key(name)
    }

    /// Names of all grammar rules, lexicon rules included.
    pub fn rule_names(&self) -> impl Iterator<Item = &str> {
        self.rules.keys().map(String::as_str)
    }

    /// pest's own virtual machine for the grammar: the reference semantics, and the source
    /// of pest's error messages for tools that explain.
    pub fn vm(&self) -> &pest_vm::Vm {
        &self.vm
    }

    /// The compiled program extraction runs (see [`crate::peg`]).
    pub fn program(&self) -> &crate::peg::Program {
        &self.program
    }

    /// The characters a match of `rule` can start with.
    pub fn first_set(&self, rule: &str) -> FirstSet {
        let mut memo = self.memo.lock().unwrap_or_else(PoisonError::into_inner);
        self.first_set_with(rule, &mut memo, true)
    }

    /// [`Grammar::first_set`] with the memo given (see [`Grammar::anchors_with`]).
    fn first_set_with(&self, rule: &str, memo: &mut Memo, remember: bool) -> FirstSet {
        let mut set = self.first_of_rule(rule, &mut Cx::new(memo, remember));
        if set.nullable {
            set.any = true;
        }
        set
    }

    fn first_of_rule<'g>(&'g self, name: &str, cx: &mut Cx<'g, '_>) -> FirstSet {
        if let Some(set) = builtin_first(name) {
            return set;
        }
        self.by_rule(
            name,
            cx,
            |m| &mut m.first,
            FirstSet::anything,
            |e, cx| self.first_of(e, cx),
        )
        .unwrap_or_else(FirstSet::anything)
    }

    fn first_of<'g>(&'g self, e: &'g OptimizedExpr, cx: &mut Cx<'g, '_>) -> FirstSet {
        use OptimizedExpr as E;
        match e {
            E::Str(s) => match s.chars().next() {
                Some(c) => FirstSet::of_chars([c]),
                None => FirstSet::empty_match(),
            },
            E::Insens(s) => match s.chars().next() {
                Some(c) => FirstSet::of_chars([c.to_ascii_lowercase(), c.to_ascii_uppercase()]),
                None => FirstSet::empty_match(),
            },
            E::Range(a, b) => match (a.chars().next(), b.chars().next()) {
                (Some(a), Some(b)) => FirstSet {
                    ranges: vec![(a, b)],
                    ..FirstSet::default()
                },
                _ => FirstSet::anything(),
            },
            E::Ident(name) => self.first_of_rule(name, cx),
            E::PosPred(_) | E::NegPred(_) => FirstSet::empty_match(),
            E::Seq(a, b) => {
                let fa = self.first_of(a, cx);
                if fa.nullable {
                    let fb = self.first_of(b, cx);
                    let nullable = fb.nullable;
                    let mut u = fa.union(fb);
                    u.nullable = nullable;
                    u
                } else {
                    fa
                }
            }
            E::Choice(a, b) => self.first_of(a, cx).union(self.first_of(b, cx)),
            E::Opt(a) | E::Rep(a) => {
                let mut f = self.first_of(a, cx);
                f.nullable = true;
                f
            }
            E::Push(a) | E::RestoreOnErr(a) => self.first_of(a, cx),
            #[allow(unreachable_patterns)]
            _ => FirstSet::anything(),
        }
    }
}

/// Lower-cases grammar literals the way documents are normalised, so a grammar may say
/// `"Млн"` and still match.
fn fold_literals(expr: OptimizedExpr) -> OptimizedExpr {
    expr.map_top_down(|e| match e {
        OptimizedExpr::Str(s) => OptimizedExpr::Str(normalize_literal(&s)),
        OptimizedExpr::Insens(s) => OptimizedExpr::Insens(normalize_literal(&s)),
        other => other,
    })
}

fn builtin_first(name: &str) -> Option<FirstSet> {
    let r = |a, b| {
        Some(FirstSet {
            ranges: vec![(a, b)],
            ..FirstSet::default()
        })
    };
    match name {
        "ASCII_DIGIT" => r('0', '9'),
        "ASCII_NONZERO_DIGIT" => r('1', '9'),
        "SOI" | "PEEK" | "PEEK_ALL" | "POP" | "POP_ALL" | "DROP" => Some(FirstSet::empty_match()),
        n if is_builtin(n) => Some(FirstSet::anything()),
        _ => None,
    }
}

/// The set of characters a match can begin with: the prefilter that keeps the engine from
/// trying every rule at every position.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FirstSet {
    /// Single characters.
    pub chars: BTreeSet<char>,
    /// Inclusive character ranges.
    pub ranges: Vec<(char, char)>,
    /// Any character may start a match (unknown or too broad to tell).
    pub any: bool,
    /// The expression can match without consuming anything.
    pub nullable: bool,
}

impl FirstSet {
    fn anything() -> FirstSet {
        FirstSet {
            any: true,
            ..FirstSet::default()
        }
    }

    fn empty_match() -> FirstSet {
        FirstSet {
            nullable: true,
            ..FirstSet::default()
        }
    }

    fn of_chars(cs: impl IntoIterator<Item = char>) -> FirstSet {
        FirstSet {
            chars: cs.into_iter().collect(),
            ..FirstSet::default()
        }
    }

    fn union(mut self, other: FirstSet) -> FirstSet {
        self.chars.extend(other.chars);
        self.ranges.extend(other.ranges);
        self.any |= other.any;
        self.nullable |= other.nullable;
        self
    }

    /// Whether a match may start with `c`.
    pub fn contains(&self, c: char) -> bool {
        self.any || self.chars.contains(&c) || self.ranges.iter().any(|&(a, b)| a <= c && c <= b)
    }
}

impl Grammar {
    /// The optimised expression of a grammar rule.
    pub fn expr(&self, name: &str) -> Option<&OptimizedExpr> {
        self.rules.get(name).map(|r| &r.expr)
    }
}

/// What every match of a rule must contain, as clauses that must all hold: a sentence
/// lacking one of them cannot hold a match (nor what the match looks ahead at), so the rule
/// is not tried there. A Russian percentage range needs a percent sign or word *and* a dash
/// or `до` *and* a dash or `от`; checking all three, not only the rarest, keeps it out of the
/// many sentences that have a percentage but no range.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Anchors {
    /// At most [`MAX_CLAUSES`], the most selective first, and one more from the literals
    /// across joins of sequences; never empty.
    pub clauses: Vec<AnyOf>,
}

/// Whether a word can begin after `c` (see [`AnyOf::initial`]): it is neither a letter, a
/// digit, nor a character that glues what follows into a token (the matcher's `glues`; the
/// prefilter's tests check that the two agree).
pub(crate) fn breaks_words(c: char) -> bool {
    !crate::text::class::is_alphanumeric(c)
        && !matches!(c, '%' | '/' | '=' | '&' | '_' | '#' | '@' | '\\')
}

/// Whether a literal begins with a letter or a digit: whether its places that begin a word
/// can be told from the others (see [`AnyOf::initial`]).
fn opens_word(literal: &str) -> bool {
    literal
        .chars()
        .next()
        .is_some_and(crate::text::class::is_alphanumeric)
}

/// A set of literals (see [`Grammar::forms`]), shared by the rules that use it.
type Forms = std::sync::Arc<BTreeSet<String>>;

/// How many clauses [`Anchors`] keeps: each costs a bit per sentence, and after the rarest
/// few the rest add little.
pub const MAX_CLAUSES: usize = 3;

/// One clause of [`Anchors`]: a match contains one of these literals, or a digit.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct AnyOf {
    /// Literals (normalised), any one of which a match contains.
    pub literals: BTreeSet<String>,
    /// A match may instead contain an ASCII digit.
    pub digit: bool,
    /// The literals that begin with a letter or a digit count only where they begin a
    /// word: at the match's start, or right after a character that breaks words (see
    /// [`breaks_words`]); every match contains one of them there, or another literal. Only
    /// such places of them need be looked for: most places of short ones (`ес`, `кр`, `от`)
    /// are inside longer words. Only set in grammars whose sequences match side by side.
    pub initial: bool,
}

impl AnyOf {
    fn literal(s: &str) -> Vec<AnyOf> {
        if s.is_empty() {
            return Vec::new();
        }
        vec![AnyOf {
            literals: [s.to_string()].into(),
            digit: false,
            initial: false,
        }]
    }

    fn digit() -> Vec<AnyOf> {
        vec![AnyOf {
            literals: BTreeSet::new(),
            digit: true,
            initial: false,
        }]
    }

    /// Whether a sentence satisfying `self` satisfies `other` (a literal of `self` where it
    /// begins a word is one of `other` anywhere, not the other way round).
    pub fn implies(&self, other: &AnyOf) -> bool {
        (!self.digit || other.digit)
            && (self.initial || !other.initial)
            && self.literals.is_subset(&other.literals)
    }

    fn union(&self, other: &AnyOf) -> AnyOf {
        let mut u = self.clone();
        u.literals.extend(other.literals.iter().cloned());
        u.digit |= other.digit;
        u.initial &= other.initial;
        u
    }

    /// A rough count of the sentences the clause lets through, in thousandths: a digit is
    /// in most sentences, a word of five letters in few. The sum over
    /// the literals, so a long list of names can still lose to one rare word.
    fn weakness(&self) -> usize {
        let literals: usize = self.literals.iter().map(|l| literal_weakness(l)).sum();
        usize::from(self.digit) * 1000 + literals
    }
}

/// [`AnyOf::weakness`] of a clause that holds in nearly every sentence (a space, a comma,
/// the letter `и` anywhere in a word): it is dropped, since checking it costs a pattern
/// hit at every word and saves nothing.
const UBIQUITOUS: usize = 10_000;

/// [`AnyOf::weakness`] of one literal, from its length: rough, but what it decides is only
/// how often a rule is tried, never what it matches.
fn literal_weakness(literal: &str) -> usize {
    let mut chars = literal.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) if c.is_whitespace() || c.is_alphanumeric() || c == ',' || c == '.' => {
            UBIQUITOUS
        }
        (Some(_), None) => 500,
        _ => match literal.chars().count() {
            2 => 300,
            3 => 60,
            4 => 15,
            _ => 5,
        },
    }
}

/// The clauses of a sequence, or of the alternatives of a choice, cut to the
/// [`MAX_CLAUSES`] most selective, without clauses that always hold or that another one
/// implies (`a or b` when `a` is a clause too).
fn prune(mut clauses: Vec<AnyOf>) -> Vec<AnyOf> {
    clauses.retain(|c| c.weakness() < UBIQUITOUS);
    clauses.sort_by(|a, b| a.weakness().cmp(&b.weakness()).then_with(|| a.cmp(b)));
    let mut kept: Vec<AnyOf> = Vec::new();
    for c in clauses {
        if kept.len() == MAX_CLAUSES {
            break;
        }
        if !kept.iter().any(|k| k.implies(&c)) {
            kept.push(c);
        }
    }
    kept
}

impl Grammar {
    /// The anchors of `rule`, or `None` when a match need not contain any known literal
    /// (other than ones in nearly every sentence).
    pub fn anchors(&self, rule: &str) -> Option<Anchors> {
        let mut memo = self.memo.lock().unwrap_or_else(PoisonError::into_inner);
        self.anchors_with(rule, &mut memo, true)
    }

    /// [`Grammar::anchors`] with the memo given; `remember`: fill it (off only in the test
    /// that checks memoised results against ones computed afresh).
    fn anchors_with(&self, rule: &str, memo: &mut Memo, remember: bool) -> Option<Anchors> {
        let mut clauses = self.anchors_of_rule(rule, false, &mut Cx::new(memo, remember));
        if super::edges::contiguous(self) {
            let initial = self.word_initial(rule, memo, remember);
            let set = |c: &mut AnyOf| {
                let mut words = c.literals.iter().filter(|l| opens_word(l)).peekable();
                c.initial =
                    words.peek().is_some() && words.all(|l| initial.get(l.as_str()) == Some(&true));
            };
            clauses.iter_mut().for_each(set);
            // Literals across the joins of sequences (`" и "`, see `super::edges`) add one
            // clause, the most selective that the others do not imply, and never displace
            // one: they are often common words (`" туралы "`), which the weakness estimate
            // from length overrates, and a clause of them would take the place of rarer
            // keywords.
            let fused = self.anchors_of_rule(rule, true, &mut Cx::new(memo, remember));
            if let Some(extra) = fused
                .into_iter()
                .find(|c| !clauses.iter().any(|k| k.implies(c)))
            {
                let mut extra = extra;
                set(&mut extra);
                clauses.push(extra);
            }
        }
        (!clauses.is_empty()).then_some(Anchors { clauses })
    }

    /// The clauses of rule `name`; `fuse`: sequences match side by side (see
    /// [`super::edges`]), so literals across their joins count too.
    fn anchors_of_rule<'g>(&'g self, name: &str, fuse: bool, cx: &mut Cx<'g, '_>) -> Vec<AnyOf> {
        match name {
            "ASCII_DIGIT" | "ASCII_NONZERO_DIGIT" => return AnyOf::digit(),
            "NEWLINE" => return Vec::new(),
            _ => {}
        }
        let table: fn(&mut Memo) -> &mut HashMap<String, Vec<AnyOf>> = if fuse {
            |m| &mut m.fused
        } else {
            |m| &mut m.anchors
        };
        self.by_rule(name, cx, table, Vec::new, |e, cx| {
            self.anchors_of(e, fuse, cx)
        })
        .unwrap_or_default()
    }

    /// The clauses every match of `e` satisfies (none: nothing is known).
    fn anchors_of<'g>(
        &'g self,
        e: &'g OptimizedExpr,
        fuse: bool,
        cx: &mut Cx<'g, '_>,
    ) -> Vec<AnyOf> {
        use OptimizedExpr as E;
        match e {
            E::Str(s) => prune(AnyOf::literal(s)),
            E::Insens(s) => prune(AnyOf::literal(&s.to_lowercase())),
            E::Range(a, b) if a.as_str() >= "0" && b.as_str() <= "9" => AnyOf::digit(),
            E::Ident(name) => self.anchors_of_rule(name, fuse, cx),
            E::PosPred(x) | E::Push(x) | E::RestoreOnErr(x) => self.anchors_of(x, fuse, cx),
            // Both parts match: every clause of either holds, and side by side, the literal
            // across their join (`" и "` in `ws ~ "и" ~ ws`).
            E::Seq(a, b) => {
                let mut clauses = self.anchors_of(a, fuse, cx);
                clauses.extend(self.anchors_of(b, fuse, cx));
                if fuse {
                    // The ends of each side on their own, not within the rules expanded
                    // around them.
                    let mut ends = Cx::new(cx.memo, cx.remember);
                    let left = super::edges::edges_of(self, a, &mut ends);
                    let right = super::edges::edges_of(self, b, &mut ends);
                    if let Some(joined) = super::edges::join(&left, &right) {
                        clauses.extend(AnyOf::literal(&joined));
                    }
                }
                prune(clauses)
            }
            // One alternative matches: for a clause `x` of the one and `y` of the other,
            // `x or y` holds.
            E::Choice(a, b) => {
                let mut x = self.anchors_of(a, fuse, cx);
                if x.is_empty() {
                    return x;
                }
                let mut y = self.anchors_of(b, fuse, cx);
                if let ([one], [other]) = (&mut x[..], &mut y[..]) {
                    // The common case, lexicons of many forms: grow one set in place.
                    one.literals.append(&mut other.literals);
                    one.digit |= other.digit;
                    return x;
                }
                prune(
                    x.iter()
                        .flat_map(|x| y.iter().map(move |y| x.union(y)))
                        .collect(),
                )
            }
            _ => Vec::new(),
        }
    }
}

/// What [`Grammar::space_runs`] knows of an expression: the most runs of spaces (maximal
/// stretches of `' '`) a match of it can contain, and whether it matches spaces only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Runs {
    /// The most runs; `None`: no bound (a repetition of something that holds a space).
    most: Option<u32>,
    /// Every character it can match is a space: side by side with another such
    /// expression, or repeated, it makes one run, not several (`ws = { " "+ }`).
    spaces_only: bool,
}

impl Runs {
    /// No bound.
    const UNBOUNDED: Runs = Runs {
        most: None,
        spaces_only: false,
    };

    /// At most `n` runs, of characters that are not all spaces.
    fn mixed(n: u32) -> Runs {
        Runs {
            most: Some(n),
            spaces_only: false,
        }
    }

    /// One after the other: the runs of both (two runs that touch are counted twice, which
    /// only overestimates), one when both are spaces only.
    fn then(self, other: Runs) -> Runs {
        if self.spaces_only && other.spaces_only {
            return Runs {
                most: self.most.zip(other.most).map(|(a, b)| a.max(b).min(1)),
                spaces_only: true,
            };
        }
        Runs::mixed(0).with(self.most.zip(other.most).map(|(a, b)| a.saturating_add(b)))
    }

    /// One or the other: the larger bound; spaces only when both are.
    fn or(self, other: Runs) -> Runs {
        Runs {
            most: self.most.zip(other.most).map(|(a, b)| a.max(b)),
            spaces_only: self.spaces_only && other.spaces_only,
        }
    }

    /// Repeated any number of times: one run when it matches spaces only, none when it
    /// holds no space, else no bound.
    fn repeated(self) -> Runs {
        match self.most {
            Some(0) => self,
            _ if self.spaces_only => Runs {
                most: Some(1),
                spaces_only: true,
            },
            _ => Runs::UNBOUNDED,
        }
    }

    fn with(mut self, most: Option<u32>) -> Runs {
        self.most = most;
        self
    }
}

/// The runs of spaces in a literal (see [`Runs`]).
fn literal_runs(s: &str) -> Runs {
    let runs = s
        .char_indices()
        .filter(|&(i, c)| c == ' ' && !s[..i].ends_with(' '))
        .count();
    Runs {
        most: Some(u32::try_from(runs).unwrap_or(u32::MAX)),
        spaces_only: s.chars().all(|c| c == ' '),
    }
}

/// [`Runs`] of a rule pest provides: none in a letter or digit class and in the rules that
/// match no character; one in any other single character (`ANY`, a Unicode property such as
/// `WHITE_SPACE`); no bound for the stack rules, which match what was pushed.
fn builtin_runs(name: &str) -> Runs {
    match name {
        "PEEK" | "PEEK_ALL" | "POP" | "POP_ALL" | "PUSH" => Runs::UNBOUNDED,
        "SOI" | "EOI" | "DROP" | "NEWLINE" => Runs::mixed(0),
        // Not `ASCII` itself, which holds the space.
        n if n.starts_with("ASCII_")
            || n.ends_with("LETTER")
            || n.ends_with("NUMBER")
            || n == "ALPHABETIC" =>
        {
            Runs::mixed(0)
        }
        _ => Runs::mixed(1),
    }
}

impl Grammar {
    /// The most runs of spaces (maximal stretches of `' '` in the normalised text) a match
    /// of `rule` can contain, counting what its lookaheads read as if it were matched too;
    /// `None` when nothing bounds them. A match contains a literal of each of its anchors'
    /// clauses, within what it matches or looks ahead at, so it begins at most this many
    /// runs before the first place in its sentence where a clause's literal begins: the
    /// prefilter tries a rule that can begin anywhere only from there (see
    /// `extract::prefilter::Eligible::anywhere`).
    ///
    /// Runs, not words: a word with hyphens or signs (`a-b&c`) is one stretch between
    /// spaces however many word starts it has, and `" "*` before a comma is one run however
    /// many spaces it takes (the normaliser keeps runs of spaces as they are). A literal
    /// counts the runs in it (`"кен орны"`: one), a class or `ANY` one if it can match a
    /// space, a repetition nothing when it holds no space, one when it holds spaces only
    /// (`ws = { " "+ }`), and otherwise has no bound; an optional item counts as if present,
    /// a choice as its larger branch, a negative lookahead as nothing (no clause comes from
    /// it). Implicit whitespace: between the items of non-atomic rules pest matches
    /// `WHITESPACE` and `COMMENT`, any number of them; a grammar that defines either gets no
    /// bound at all (the default rules define neither, so nothing is implicit there).
    pub fn space_runs(&self, rule: &str) -> Option<u32> {
        if self.rules.contains_key("WHITESPACE") || self.rules.contains_key("COMMENT") {
            return None;
        }
        let mut memo = self.memo.lock().unwrap_or_else(PoisonError::into_inner);
        self.runs_of_rule(rule, &mut Cx::new(&mut memo, true)).most
    }

    fn runs_of_rule<'g>(&'g self, name: &str, cx: &mut Cx<'g, '_>) -> Runs {
        if is_builtin(name) {
            return builtin_runs(name);
        }
        // A rule met again inside itself may repeat without bound.
        self.by_rule(
            name,
            cx,
            |m| &mut m.runs,
            || Runs::UNBOUNDED,
            |e, cx| self.runs_of(e, cx),
        )
        .unwrap_or(Runs::UNBOUNDED)
    }

    fn runs_of<'g>(&'g self, e: &'g OptimizedExpr, cx: &mut Cx<'g, '_>) -> Runs {
        use OptimizedExpr as E;
        match e {
            E::Str(s) | E::Insens(s) => literal_runs(s),
            E::Range(a, b) => {
                let space = a.as_str() <= " " && " " <= b.as_str();
                Runs {
                    most: Some(u32::from(space)),
                    spaces_only: space && a == b,
                }
            }
            E::Ident(name) => self.runs_of_rule(name, cx),
            E::NegPred(_) => Runs::mixed(0),
            E::PosPred(x) | E::Opt(x) | E::Push(x) | E::RestoreOnErr(x) => self.runs_of(x, cx),
            E::Seq(a, b) => self.runs_of(a, cx).then(self.runs_of(b, cx)),
            E::Choice(a, b) => self.runs_of(a, cx).or(self.runs_of(b, cx)),
            // (`x+` is `x ~ x*` here.)
            E::Rep(x) => self.runs_of(x, cx).repeated(),
            // `PEEK[..]` matches what was pushed; `Skip` runs up to a literal; others (the
            // `grammar-extras` ones) are not known.
            #[allow(unreachable_patterns)]
            _ => Runs::UNBOUNDED,
        }
    }
}

/// Where a match of a rule can begin: at one of some literals, at a digit, or anywhere.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Starts {
    /// Literals (normalised) a match can begin with.
    pub literals: BTreeSet<String>,
    /// A match can begin with an ASCII digit.
    pub digit: bool,
    /// A match can begin with something else (a letter class, `ANY`…): try every position.
    pub any: bool,
    nullable: bool,
}

impl Starts {
    fn union(mut self, o: Starts) -> Starts {
        self.literals.extend(o.literals);
        self.digit |= o.digit;
        self.any |= o.any;
        self.nullable |= o.nullable;
        self
    }

    fn any() -> Starts {
        Starts {
            any: true,
            ..Starts::default()
        }
    }

    fn empty() -> Starts {
        Starts {
            nullable: true,
            ..Starts::default()
        }
    }

    fn chars(cs: impl IntoIterator<Item = char>) -> Starts {
        Starts {
            literals: cs.into_iter().map(String::from).collect(),
            ..Starts::default()
        }
    }
}

impl Grammar {
    /// Where a match of `rule` can begin (see [`Starts`]).
    pub fn starts(&self, rule: &str) -> Starts {
        let mut memo = self.memo.lock().unwrap_or_else(PoisonError::into_inner);
        self.starts_with(rule, &mut memo, true)
    }

    /// [`Grammar::starts`] with the memo given (see [`Grammar::anchors_with`]).
    fn starts_with(&self, rule: &str, memo: &mut Memo, remember: bool) -> Starts {
        let mut s = self.starts_of_rule(rule, &mut Cx::new(memo, remember));
        if s.nullable {
            s.any = true;
        }
        s
    }

    fn starts_of_rule<'g>(&'g self, name: &str, cx: &mut Cx<'g, '_>) -> Starts {
        match name {
            "ASCII_DIGIT" | "ASCII_NONZERO_DIGIT" => {
                return Starts {
                    digit: true,
                    ..Starts::default()
                };
            }
            "SOI" | "EOI" => return Starts::empty(),
            // Latin letters are few enough to list: a rule opening with a Latin name is
            // then tried at Latin letters only, not at every word.
            "ASCII_ALPHA_LOWER" => return Starts::chars('a'..='z'),
            "ASCII_ALPHA_UPPER" => return Starts::chars('A'..='Z'),
            "ASCII_ALPHA" => return Starts::chars(('a'..='z').chain('A'..='Z')),
            "ASCII_ALPHANUMERIC" => {
                let mut s = Starts::chars(('a'..='z').chain('A'..='Z'));
                s.digit = true;
                return s;
            }
            _ => {}
        }
        self.by_rule(
            name,
            cx,
            |m| &mut m.starts,
            Starts::any,
            |e, cx| self.starts_of(e, cx),
        )
        .unwrap_or_else(Starts::any)
    }

    fn starts_of<'g>(&'g self, e: &'g OptimizedExpr, cx: &mut Cx<'g, '_>) -> Starts {
        use OptimizedExpr as E;
        match e {
            E::Str(s) if s.is_empty() => Starts::empty(),
            E::Str(s) => Starts {
                literals: [s.clone()].into(),
                ..Starts::default()
            },
            E::Insens(s) => Starts {
                literals: [s.to_lowercase()].into(),
                ..Starts::default()
            },
            E::Range(a, b) if a.as_str() >= "0" && b.as_str() <= "9" => Starts {
                digit: true,
                ..Starts::default()
            },
            // A short range (a Latin or Cyrillic letter range) is its characters.
            E::Range(a, b) => match (a.chars().next(), b.chars().next()) {
                (Some(a), Some(b)) if (b as u32).saturating_sub(a as u32) < 64 => {
                    Starts::chars(a..=b)
                }
                _ => Starts::any(),
            },
            E::Ident(name) => self.starts_of_rule(name, cx),
            // A lookahead consumes nothing: what follows may start the match too.
            E::PosPred(x) => {
                let mut s = self.starts_of(x, cx);
                s.nullable = true;
                s
            }
            E::NegPred(_) => Starts::empty(),
            E::Seq(a, b) => {
                let sa = self.starts_of(a, cx);
                if sa.nullable {
                    let sb = self.starts_of(b, cx);
                    let nullable = sb.nullable;
                    let mut u = sa.union(sb);
                    u.nullable = nullable;
                    u
                } else {
                    sa
                }
            }
            E::Choice(a, b) => self.starts_of(a, cx).union(self.starts_of(b, cx)),
            E::Opt(x) | E::Rep(x) => {
                let mut s = self.starts_of(x, cx);
                s.nullable = true;
                s
            }
            E::Push(x) | E::RestoreOnErr(x) => self.starts_of(x, cx),
            _ => Starts::any(),
        }
    }
}

/// The state of [`Grammar::word_ends`]: the rules being walked by each of its analyses (a
/// rule met again inside itself gets the answer that lets most through), and the literals
/// found so far.
#[derive(Default)]
struct WordEndWalk<'g> {
    /// Rules being expanded by [`Grammar::ends_of`].
    visiting: HashSet<(&'g str, bool)>,
    /// Rules being expanded by [`Grammar::blocks_letter`] and [`Grammar::covers_letter`].
    checking: HashSet<&'g str>,
    /// Start literals met where what follows them in the match cannot be a letter.
    tight: BTreeSet<String>,
    /// Start literals met where a letter may follow them in the match.
    loose: BTreeSet<String>,
}

impl Grammar {
    /// The start literals of `rule` (see [`Grammar::starts`]) that every match opening
    /// with them has no letter (`LETTER`, [`crate::text::class::is_alphabetic`]) right
    /// after, in the same match: `num_word ~ wb` with `wb = { !(LETTER | ASCII_DIGIT) }`,
    /// `"от" ~ ws`. A match cannot begin at such a literal inside a longer word ("сто" in
    /// "стоило"), and the prefilter does not try the rule there. A literal met anywhere
    /// where a letter may follow it (`"тонн" ~ LETTER*`), or that the analysis cannot tell
    /// about, is not listed. Empty for a grammar with implicit `WHITESPACE` or `COMMENT`,
    /// which may stand between any two items.
    pub fn word_ends(&self, rule: &str) -> BTreeSet<String> {
        if self.rules.contains_key("WHITESPACE") || self.rules.contains_key("COMMENT") {
            return BTreeSet::new();
        }
        let mut memo = self.memo.lock().unwrap_or_else(PoisonError::into_inner);
        let mut cx = Cx::new(&mut memo, true);
        let mut walk = WordEndWalk::default();
        self.ends_of_rule(rule, false, &mut walk, &mut cx);
        let WordEndWalk { tight, loose, .. } = walk;
        tight.difference(&loose).cloned().collect()
    }

    /// [`Grammar::ends_of`] for rule `name`, called where what follows it in the match
    /// cannot begin with a letter if `follow`.
    fn ends_of_rule<'g>(
        &'g self,
        name: &str,
        follow: bool,
        walk: &mut WordEndWalk<'g>,
        cx: &mut Cx<'g, '_>,
    ) {
        let Some((key, rule)) = self.rules.get_key_value(name) else {
            // A builtin: its start literals (Latin letters) are loose.
            let starts = self.starts_of_rule(name, cx);
            walk.loose.extend(starts.literals);
            return;
        };
        if !walk.visiting.insert((key.as_str(), follow)) {
            // Met again inside itself: all its start literals count as loose.
            let starts = self.starts_of_rule(name, cx);
            walk.loose.extend(starts.literals);
            return;
        }
        self.ends_of(&rule.expr, follow, walk, cx);
        walk.visiting.remove(&(key.as_str(), follow));
    }

    /// Sorts the start literals of `e` (as [`Grammar::starts_of`] finds them) into
    /// `walk.tight` and `walk.loose`, `e` standing where what follows it in the match cannot
    /// begin with a letter if `follow`.
    fn ends_of<'g>(
        &'g self,
        e: &'g OptimizedExpr,
        follow: bool,
        walk: &mut WordEndWalk<'g>,
        cx: &mut Cx<'g, '_>,
    ) {
        use OptimizedExpr as E;
        let put = |literal: String, walk: &mut WordEndWalk<'g>| {
            if follow {
                walk.tight.insert(literal);
            } else {
                walk.loose.insert(literal);
            }
        };
        match e {
            E::Str(s) if !s.is_empty() => put(s.clone(), walk),
            E::Insens(s) if !s.is_empty() => put(s.to_lowercase(), walk),
            E::Range(..) => {
                for literal in self.starts_of(e, cx).literals {
                    put(literal, walk);
                }
            }
            E::Ident(name) => self.ends_of_rule(name, follow, walk, cx),
            // What a lookahead holds is followed, in it, by nothing.
            E::PosPred(x) => self.ends_of(x, false, walk, cx),
            E::Seq(a, b) => {
                let after_a = self.blocks_letter(b, follow, walk);
                self.ends_of(a, after_a, walk, cx);
                if self.starts_of(a, cx).nullable {
                    self.ends_of(b, follow, walk, cx);
                }
            }
            E::Choice(a, b) => {
                self.ends_of(a, follow, walk, cx);
                self.ends_of(b, follow, walk, cx);
            }
            E::Opt(x) => self.ends_of(x, follow, walk, cx),
            // A repetition is followed by another, or by what follows it.
            E::Rep(x) => {
                let again = follow && self.blocks_letter(x, true, walk);
                self.ends_of(x, again, walk, cx);
            }
            E::Push(x) | E::RestoreOnErr(x) => self.ends_of(x, follow, walk, cx),
            // Anything else has no start literals, or ones the analysis does not know:
            // those of a whole rule count as loose.
            _ => {
                for literal in self.starts_of(e, cx).literals {
                    walk.loose.insert(literal);
                }
            }
        }
    }

    /// Whether no match of `e` where it stands begins with a letter (or, matching nothing,
    /// is followed by one), given that what follows it cannot begin with a letter if
    /// `follow`. `false` when unsure.
    fn blocks_letter<'g>(
        &'g self,
        e: &'g OptimizedExpr,
        follow: bool,
        walk: &mut WordEndWalk<'g>,
    ) -> bool {
        use OptimizedExpr as E;
        let not_letter = |c: char| !crate::text::class::is_alphabetic(c);
        match e {
            E::Str(s) => s.chars().next().map_or(follow, not_letter),
            // Only ASCII signs: no letter matches them in any case.
            E::Insens(s) => s
                .chars()
                .next()
                .map_or(follow, |c| c.is_ascii() && not_letter(c)),
            E::Range(a, b) => match (a.chars().next(), b.chars().next()) {
                (Some(a), Some(b)) if a.is_ascii() && b.is_ascii() => (a..=b).all(not_letter),
                _ => false,
            },
            E::Ident(name) => match name.as_str() {
                "ASCII_DIGIT" | "ASCII_NONZERO_DIGIT" | "EOI" => true,
                "SOI" => follow,
                _ => match self.rules.get_key_value(name.as_str()) {
                    Some((key, rule)) if walk.checking.insert(key.as_str()) => {
                        let blocks = self.blocks_letter(&rule.expr, follow, walk);
                        walk.checking.remove(key.as_str());
                        blocks
                    }
                    _ => false,
                },
            },
            E::NegPred(x) => follow || self.covers_letter(x, walk),
            E::PosPred(x) => follow || self.blocks_letter(x, false, walk),
            E::Seq(a, b) => {
                let after_a = self.blocks_letter(b, follow, walk);
                self.blocks_letter(a, after_a, walk)
            }
            E::Choice(a, b) => {
                self.blocks_letter(a, follow, walk) && self.blocks_letter(b, follow, walk)
            }
            // Matching nothing leaves what follows; a match of `x` is followed by more of
            // them or by that.
            E::Opt(x) | E::Rep(x) => follow && self.blocks_letter(x, true, walk),
            E::Push(x) | E::RestoreOnErr(x) => self.blocks_letter(x, follow, walk),
            _ => false,
        }
    }

    /// Whether `e` matches wherever a letter stands (`LETTER`, or a choice or rule with
    /// it): `!e` then fails there. `false` when unsure.
    fn covers_letter<'g>(&'g self, e: &'g OptimizedExpr, walk: &mut WordEndWalk<'g>) -> bool {
        use OptimizedExpr as E;
        match e {
            E::Ident(name) => match name.as_str() {
                // The matcher's `LETTER` and `ALPHABETIC` (see `peg::compile`).
                "LETTER" | "ALPHABETIC" => true,
                _ => match self.rules.get_key_value(name.as_str()) {
                    Some((key, rule)) if walk.checking.insert(key.as_str()) => {
                        let covers = self.covers_letter(&rule.expr, walk);
                        walk.checking.remove(key.as_str());
                        covers
                    }
                    _ => false,
                },
            },
            E::Choice(a, b) => self.covers_letter(a, walk) || self.covers_letter(b, walk),
            E::Push(x) | E::RestoreOnErr(x) => self.covers_letter(x, walk),
            _ => false,
        }
    }
}

/// The analyses of single rules (first characters, starts, anchors, ends), kept once done.
/// Each is a walk through the rules an expression calls; without the memo, every rule
/// calling a lexicon walked its hundreds of forms again, and a sequence's ends were taken
/// afresh at every item, which made loading the default rules a third slower.
#[derive(Default)]
pub(crate) struct Memo {
    first: HashMap<String, FirstSet>,
    starts: HashMap<String, Starts>,
    anchors: HashMap<String, Vec<AnyOf>>,
    fused: HashMap<String, Vec<AnyOf>>,
    pub(crate) edges: HashMap<String, super::edges::Edges>,
    /// [`Grammar::word_after`] of rules, by name, where a word does not begin and where
    /// one does.
    ends: HashMap<String, [Option<bool>; 2]>,
    /// [`Grammar::forms`] of rules, by name.
    forms: HashMap<String, Option<Forms>>,
    /// [`Grammar::space_runs`] of rules, by name.
    runs: HashMap<String, Runs>,
}

/// One walk of an analysis: the rules being expanded (a rule met again inside itself is cut
/// short) and the memo.
pub(crate) struct Cx<'g, 'm> {
    visiting: HashSet<&'g str>,
    memo: &'m mut Memo,
    remember: bool,
}

impl<'g, 'm> Cx<'g, 'm> {
    fn new(memo: &'m mut Memo, remember: bool) -> Cx<'g, 'm> {
        Cx {
            visiting: HashSet::new(),
            memo,
            remember,
        }
    }
}

impl Grammar {
    /// The analysis `of` of rule `name`'s expression, or `cut` when the rule is being
    /// expanded already; `None` when there is no such rule. Memoised in `table` unless the
    /// rule is cyclic: an acyclic rule reaches none of the rules expanded around it (they
    /// all reach it), so its result is the same in every walk.
    pub(crate) fn by_rule<'g, 'm, T: Clone>(
        &'g self,
        name: &str,
        cx: &mut Cx<'g, 'm>,
        table: fn(&mut Memo) -> &mut HashMap<String, T>,
        cut: impl FnOnce() -> T,
        of: impl FnOnce(&'g OptimizedExpr, &mut Cx<'g, 'm>) -> T,
    ) -> Option<T> {
        let (key, rule) = self.rules.get_key_value(name)?;
        if let Some(hit) = table(cx.memo).get(name) {
            return Some(hit.clone());
        }
        if !cx.visiting.insert(key) {
            return Some(cut());
        }
        let result = of(&rule.expr, cx);
        cx.visiting.remove(key.as_str());
        if cx.remember && !self.cyclic.contains(name) {
            table(cx.memo).insert(key.clone(), result.clone());
        }
        Some(result)
    }
}

/// The rules that reach themselves through the rules their expressions call. One walk from
/// each rule is quadratic at worst, but plainly right, and on the default rules (lexicon
/// entries included) it costs what Tarjan's linear algorithm did, 0.02 % of loading them.
fn cyclic_rules(rules: &HashMap<String, OptimizedRule>) -> HashSet<String> {
    let names: Vec<&str> = rules.keys().map(String::as_str).collect();
    let index: HashMap<&str, usize> = names.iter().enumerate().map(|(i, n)| (*n, i)).collect();
    let calls: Vec<Vec<usize>> = names
        .iter()
        .map(|n| {
            let mut called = Vec::new();
            if let Some(r) = rules.get(*n) {
                super::push_calls(&r.expr, &mut called);
            }
            called
                .iter()
                .filter_map(|c| index.get(c.as_str()).copied())
                .collect()
        })
        .collect();
    // `seen[v]`: the last walk that met `v`, so one buffer serves every walk.
    let mut seen = vec![usize::MAX; names.len()];
    let mut todo: Vec<usize> = Vec::new();
    let mut reaches_itself = |start: usize| {
        todo.clear();
        todo.extend(&calls[start]);
        while let Some(v) = todo.pop() {
            if v == start {
                return true;
            }
            if std::mem::replace(&mut seen[v], start) != start {
                todo.extend(&calls[v]);
            }
        }
        false
    };
    (0..names.len())
        .filter(|&v| reaches_itself(v))
        .map(|v| names[v].to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grammar(text: &str) -> Grammar {
        let file = SourceFile::new("test.pest", text, FileKind::Grammar, 0);
        Grammar::build(&[file], &Lexicons::default()).expect("grammar")
    }

    /// Lexicons with a prefix conflict (so lookaheads), quotes, a backslash and a
    /// one-form entry.
    fn lexicons() -> Lexicons {
        let mut l = Lexicons::default();
        let entries: [(&str, &str, &[&str]); 5] = [
            ("unit", "t", &["т", "тонн", "тонна"]),
            ("unit", "kg", &["кг"]),
            ("unit", "tn", &["тн"]),
            ("mark", "q", &["\"", "a\\b"]),
            ("mark", "dash", &["-"]),
        ];
        for (lexicon, id, forms) in entries {
            let def = crate::rules::schema::EntryDef {
                forms: forms.iter().map(|f| f.to_string()).collect(),
                attrs: Default::default(),
            };
            l.add(lexicon, id, &def, Location::file_start("lex.toml"))
                .expect("entry");
        }
        l
    }

    fn build_both(text: &str, lexicons: &Lexicons) -> [Result<Grammar, Vec<String>>; 2] {
        let file = SourceFile::new("test.pest", text, FileKind::Grammar, 0);
        [true, false].map(|stubs| {
            Grammar::build_with(std::slice::from_ref(&file), lexicons, stubs).map_err(|e| {
                e.iter()
                    .map(|e| format!("{}: {}", e.location, e.message))
                    .collect()
            })
        })
    }

    /// Validating against stand-ins for the lexicon rules gives the grammar and the
    /// errors that validating the lexicon rules themselves gives.
    #[test]
    fn lexicon_stand_ins_validate_as_the_lexicon_rules() {
        let l = lexicons();
        assert!(l.validation_stubs().is_some());
        let ok = "r = { unit ~ \" \"* ~ mark | unit__kg }\ns = { (unit ~ \",\")* ~ r }\n";
        let [fast, slow] = build_both(ok, &l);
        let (fast, slow) = (fast.expect("valid"), slow.expect("valid"));
        assert_eq!(fast.rules, slow.rules);
        assert_eq!(
            fast.program().rule_names().collect::<Vec<_>>(),
            slow.program().rule_names().collect::<Vec<_>>()
        );
        for bad in [
            "r = { unit? | mark }\n",
            "r = { (unit | \"\")* }\n",
            "r = { r ~ unit }\n",
            "r = { unit ~ nope }\n",
            "r = { unit ~ \n",
            "r = { mark* ~ (!unit)* }\nWHITESPACE = { \"\" }\n",
        ] {
            let [fast, slow] = build_both(bad, &l);
            let (fast, slow) = (fast.expect_err(bad), slow.expect_err(bad));
            assert_eq!(fast, slow, "{bad}");
            assert!(fast.iter().all(|e| e.starts_with("test.pest:")), "{fast:?}");
        }
    }

    /// The same on the default rules: the same grammar either way.
    #[test]
    fn default_rules_build_the_same_with_lexicon_stand_ins() {
        let sources = crate::rules::RuleSources {
            defaults: true,
            dirs: vec![],
        };
        let files = crate::rules::RuleSet::read(&sources).expect("default files");
        let set = crate::rules::RuleSet::from_files(files.clone()).expect("default rules");
        let [fast, slow] = [true, false]
            .map(|stubs| Grammar::build_with(&files, &set.lexicons, stubs).expect("grammar"));
        assert_eq!(fast.rules, slow.rules);
        assert_eq!(
            fast.program().rule_names().collect::<Vec<_>>(),
            slow.program().rule_names().collect::<Vec<_>>()
        );
    }

    /// Every analysis of every rule of `g`, in `order`, memoised and afresh, must agree.
    fn memo_agrees(g: &Grammar, order: &[&str]) {
        let mut memo = Memo::default();
        for &name in order {
            let mut fresh = Memo::default();
            assert_eq!(
                g.first_set_with(name, &mut memo, true),
                g.first_set_with(name, &mut fresh, false),
                "first set of {name}"
            );
            assert_eq!(
                g.starts_with(name, &mut memo, true),
                g.starts_with(name, &mut fresh, false),
                "starts of {name}"
            );
            assert_eq!(
                g.anchors_with(name, &mut memo, true),
                g.anchors_with(name, &mut fresh, false),
                "anchors of {name}"
            );
        }
    }

    /// Memoised analyses are those computed afresh, on the default rules (in both orders,
    /// so a rule is met both first and after the rules it calls).
    #[test]
    fn memoised_analyses_of_the_default_rules_are_exact() {
        let set = crate::rules::RuleSet::load_defaults().expect("default rules");
        let g = &set.grammar;
        let mut names: Vec<&str> = g.rule_names().collect();
        names.sort_unstable();
        assert!(names.len() > 100);
        memo_agrees(g, &names);
        names.reverse();
        memo_agrees(g, &names);
    }

    /// Cyclic rules are found, and not memoised: `b`'s analyses differ when met inside `a`
    /// (where `a` is cut short) from its own, so a memo of them would be wrong for one.
    #[test]
    fn recursive_rules_are_not_memoised() {
        let g = grammar(
            "a = { \"xyz\" ~ b | \"qqq\" }\nb = { a ~ \"zwz\" | \"kkk\" }\nc = { b ~ \"rst\" }\nd = { \"dd\" ~ d? }\n",
        );
        let mut cyclic: Vec<&str> = g.cyclic.iter().map(String::as_str).collect();
        cyclic.sort_unstable();
        assert_eq!(cyclic, ["a", "b", "d"]);
        for order in [
            ["a", "b", "c", "d"],
            ["c", "b", "a", "d"],
            ["b", "d", "a", "c"],
        ] {
            memo_agrees(&g, &order);
        }
    }

    /// The clauses of `rule`'s anchors as (literals, whether initial), sorted.
    fn initial_clauses(g: &Grammar, rule: &str) -> Vec<(Vec<String>, bool)> {
        let mut c: Vec<(Vec<String>, bool)> = g
            .anchors(rule)
            .expect("anchors")
            .clauses
            .into_iter()
            .map(|c| (c.literals.into_iter().collect(), c.initial))
            .collect();
        c.sort();
        c
    }

    /// A clause whose literals open a word wherever a match has them (at its start, after
    /// a space, as a rule called in such places only) is `initial`; one whose literal may
    /// follow a letter, or opens with a sign, is not.
    #[test]
    fn clauses_of_literals_at_word_starts_are_initial() {
        let g = grammar(
            r#"
            ws = _{ " "+ }
            place = { "ес" | "кр" }
            word = { ASCII_ALPHA+ }
            lead = { place ~ ws ~ ("от" | "из") }
            tail = { word ~ "да" ~ "-" ~ "до" }
            inner = { word ~ place }
            "#,
        );
        let clauses = |rule: &str| initial_clauses(&g, rule);
        let of = |l: &[&str], initial: bool| (l.iter().map(|s| s.to_string()).collect(), initial);
        assert_eq!(
            clauses("lead"),
            [of(&["ес", "кр"], true), of(&["из", "от"], true)]
        );
        // After a letter: no; after a sign that breaks words: yes; a sign itself: no.
        let tail = clauses("tail");
        for clause in [of(&["-"], false), of(&["да"], false), of(&["до"], true)] {
            assert!(tail.contains(&clause), "{clause:?} in {tail:?}");
        }
        // After a lexicon's form that a lookahead tells is a sign (`$`), though others of
        // its forms end in letters.
        let g = grammar(
            r#"
            usd = { "долл" | "$" }
            cur = { &"$" ~ usd | &"долл" ~ usd }
            sign = { &("$" | "€") ~ cur }
            money = { sign ~ ("двух" | "трех") }
            "#,
        );
        let money = g.anchors("money").expect("anchors").clauses;
        let words = money.iter().find(|c| c.literals.contains("двух"));
        assert!(words.is_some_and(|c| c.initial), "{money:?}");
        let g = grammar(
            r#"
            ws = _{ " "+ }
            place = { "ес" | "кр" }
            word = { ASCII_ALPHA+ }
            inner = { word ~ place }
            "#,
        );
        let clauses = |rule: &str| initial_clauses(&g, rule);
        // "ес" after a word's letters, in `inner`: not initial there, though it is in `lead`.
        assert_eq!(
            clauses("inner"),
            [(vec!["ес".to_string(), "кр".to_string()], false)]
        );
    }

    /// The most runs of spaces a match holds: literals count theirs, `" "+` (however
    /// written) is one run, a repetition of something that holds a space has no bound, an
    /// optional item counts, a choice takes its larger branch, a lookahead counts what it
    /// reads and a negative one nothing; a recursive rule has no bound, nor has any rule of
    /// a grammar with implicit whitespace.
    /// The start literals no letter follows in a match: followed by a word boundary, by
    /// an optional item and then one, by a sign; not by letters, by an optional letter, by
    /// nothing (the match may end there), nor by a choice one of whose branches lets a letter
    /// follow.
    #[test]
    fn word_ends_are_start_literals_no_letter_follows() {
        let g = grammar(
            r#"
            wb = _{ !(LETTER | ASCII_DIGIT) }
            ws = _{ " "+ }
            num = { "сто" | "два" }
            qual = { "около" ~ wb ~ ws }
            by_wb = { num ~ wb ~ ws ~ ASCII_DIGIT }
            by_letters = { "тонн" ~ LETTER* }
            by_option = { "до" ~ " "? ~ wb | "по" ~ "ка"? ~ wb }
            by_sign = { "от" ~ ("," | ws) ~ ASCII_DIGIT }
            by_choice = { "за" ~ (wb | "ы") ~ ws | "на" ~ ("," | ws) }
            by_nothing = { "из" ~ ("-" ~ "за")? }
            nested = { qual? ~ num ~ wb | "тонн" ~ wb }
            looked = { &("три" ~ wb) ~ "три" ~ LETTER* }
            repeated = { ("ее" ~ wb ~ ws)* ~ ASCII_DIGIT }
            "#,
        );
        let ends = |rule: &str| -> Vec<String> { g.word_ends(rule).into_iter().collect() };
        assert_eq!(ends("by_wb"), ["два", "сто"]);
        assert!(ends("by_letters").is_empty());
        assert_eq!(ends("by_option"), ["до"]);
        assert_eq!(ends("by_sign"), ["от"]);
        assert_eq!(ends("by_choice"), ["на"]);
        assert!(ends("by_nothing").is_empty());
        assert_eq!(ends("nested"), ["два", "около", "сто", "тонн"]);
        assert!(ends("looked").is_empty());
        assert_eq!(ends("repeated"), ["ее"]);
        // Implicit whitespace may stand between any two items.
        let g = grammar("wb = _{ !LETTER }\nr = { \"сто\" ~ wb }\nWHITESPACE = _{ \" \" }\n");
        assert!(g.word_ends("r").is_empty());
    }

    #[test]
    fn space_runs_bound_what_a_match_holds() {
        let g = grammar(
            r#"
            ws = _{ " "+ }
            word = @{ (LETTER | "-")+ }
            two = ${ word ~ ws ~ word }
            spaced = ${ word ~ " "* ~ "," ~ (ws ~ word)? ~ ws ~ "кен орны" }
            list = ${ word ~ (ws ~ word)* }
            glued = ${ word ~ ("-" ~ word)* }
            either = ${ word ~ ws ~ word ~ ws ~ word | word }
            ahead = ${ word ~ &(ws ~ word) }
            not = ${ word ~ !(ws ~ word ~ ws ~ word) }
            quoted = ${ "\"" ~ (!"\"" ~ ANY){1,3} ~ "\"" }
            letters = ${ ASCII_ALPHA ~ LETTER{2,4} ~ ASCII ? }
            rec = ${ word ~ (ws ~ rec)? }
            "#,
        );
        let runs = |rule: &str| g.space_runs(rule);
        assert_eq!(runs("ws"), Some(1));
        assert_eq!(runs("word"), Some(0));
        assert_eq!(runs("two"), Some(1));
        assert_eq!(runs("spaced"), Some(4));
        assert_eq!(runs("list"), None);
        assert_eq!(runs("glued"), Some(0));
        assert_eq!(runs("either"), Some(2));
        assert_eq!(runs("ahead"), Some(1));
        assert_eq!(runs("not"), Some(0));
        assert_eq!(runs("quoted"), Some(3));
        assert_eq!(runs("letters"), Some(1));
        assert_eq!(runs("rec"), None);
        let implicit = grammar(
            r#"
            WHITESPACE = _{ " " }
            word = @{ LETTER+ }
            two = { word ~ word }
            "#,
        );
        assert_eq!(implicit.space_runs("word"), None);
        assert_eq!(implicit.space_runs("two"), None);
    }

    /// The default adjective deposit rule ("Верхнего Кайрактинского месторождения") holds
    /// at most two runs of spaces: one inside its name, one before the trigger.
    #[test]
    fn an_adjective_deposit_name_holds_two_runs_of_spaces() {
        let set = crate::rules::RuleSet::load_defaults().expect("default rules");
        assert_eq!(set.grammar.space_runs("deposit_adj_ru"), Some(2));
        for rule in [
            "deposit_kk",
            "agr_coord_ru",
            "deposit_copula_ru",
            "agr_agreement_kk",
        ] {
            eprintln!("{rule}: {:?}", set.grammar.space_runs(rule));
        }
    }
}
