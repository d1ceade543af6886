//! Rule sets: every rule, lexicon, record type and grammar, loaded and checked together.
//!
//! Loading reports all problems at once, each at its file:line:column, and a rule set that
//! loads is safe to run: every entry rule exists in the grammar, every capture a field reads
//! is reachable from the entry, every lexicon exists, every field is declared by the record
//! type the rule emits.

mod edges;
pub mod grammar;
pub mod grammar_panics;
pub mod lexicon;
pub mod link;
pub mod meta;
pub mod parse;
pub mod schema;
pub mod source;
pub mod types;

use crate::error::{LoadError, LoadErrorKind, LoadErrors, Location};
use crate::record::FieldValue;
use crate::text::Lang;
use grammar::{FirstSet, Grammar};
use lexicon::Lexicons;
use link::{Link, Rewrite, Scanner};
use pest_meta::optimizer::OptimizedExpr;
use schema::{FieldSpec, RuleFile};
use source::{FileKind, SourceFile};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use toml::Spanned;

/// Where a field's value comes from; the checked form of [`schema::FieldSpec`].
#[derive(Debug, Clone, PartialEq)]
pub enum FieldSource {
    /// A constant.
    Const(FieldValue),
    /// A lexicon entry in the match: its id, or one of its attributes.
    Lexicon {
        /// Lexicon names; the first entry of any of them in the match counts.
        lexicons: Vec<String>,
        /// Attribute to read; the id when `None`.
        attr: Option<String>,
        /// Fall back to the id when the entry lacks `attr`.
        or_id: bool,
        /// Only look inside this capture.
        within: Option<String>,
    },
    /// The exact value of a number capture.
    Number {
        /// The capture.
        capture: String,
        /// A capture whose scale applies when this one has none.
        inherit_scale: Option<String>,
        /// A factor to multiply by.
        multiply: Option<Box<FieldSource>>,
    },
    /// The raw text of a capture, optionally cut to its capitalised words and rewritten.
    Text {
        /// The capture.
        capture: String,
        /// Which words to keep, by their case in the raw text.
        case: NameCase,
        /// Suffix rewrite to apply.
        rewrite: Option<RewriteSource>,
        /// A lexicon whose forms are not names (`бұл`, `крупное`).
        exclude: Vec<String>,
    },
    /// The text values of several sources joined by a space (`участок` + `№3`).
    Join(Vec<FieldSource>),
    /// An ISO 8601 date built from a capture.
    Date(String),
}

/// How a text field treats the case of the raw words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameCase {
    /// Keep the text as it is.
    Any,
    /// Keep the leading words that start with a capital (the first must be a letter).
    Capitalized,
    /// Every word must start with a capital, or the field has no value.
    AllCapitalized,
    /// The first word must not start with a capital (no name follows), or no record.
    Lowercase,
}

/// Which rewrite table a text field uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RewriteSource {
    /// A table by name.
    Table(String),
    /// The table named by an attribute of a lexicon entry in the match.
    FromLexicon {
        /// Lexicons to look in.
        lexicons: Vec<String>,
        /// The attribute.
        attr: String,
    },
}

/// One field of a rule: its name, source and default.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// Field name.
    pub name: String,
    /// Where the value comes from.
    pub source: FieldSource,
    /// Value when the source is absent.
    pub default: Option<FieldValue>,
}

/// A positive example: the text and the fields its record must have.
#[derive(Debug, Clone)]
pub struct Example {
    /// Text to extract from.
    pub text: String,
    /// Expected fields (`text` is the record's span text).
    pub expect: BTreeMap<String, toml::Value>,
    /// Where the example is written.
    pub location: Location,
}

/// A negative example: a text that must give no record of the rule's type.
#[derive(Debug, Clone)]
pub struct Negative {
    /// The text.
    pub text: String,
    /// Where it is written.
    pub location: Location,
}

/// A checked rule, ready to run.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Unique id.
    pub id: String,
    /// Grammar entry rule.
    pub entry: String,
    /// Record type it emits.
    pub emits: String,
    /// Language of the sentences it runs on.
    pub lang: Lang,
    /// Overlap priority (higher wins between equally long matches).
    pub priority: i32,
    /// Capture giving the record span, or the whole match.
    pub span: Option<String>,
    /// Fields in declaration order.
    pub fields: Vec<Field>,
    /// Positive examples.
    pub examples: Vec<Example>,
    /// Negative examples.
    pub negatives: Vec<Negative>,
    /// Where the rule is defined (its `id`).
    pub location: Location,
    /// Characters a match can start with.
    pub first: FirstSet,
    /// One record per occurrence of this capture.
    pub each: Option<String>,
    /// Fields filled from the rest of the sentence.
    pub links: Vec<Link>,
}

/// A declared record type.
#[derive(Debug, Clone)]
pub struct RecordType {
    /// (field name, declared type text), in declaration order: the order records print in.
    pub fields: Vec<(String, String)>,
    /// Where it is declared.
    pub location: Location,
    /// Fields whose equal values merge records of one document.
    pub merge_on: Vec<String>,
    /// At most one record of this type per sentence.
    pub one_per_sentence: bool,
    /// Printed (false for helper records that only feed links).
    pub output: bool,
    /// (record type, sentences back): records of that type fold into the nearest preceding
    /// record of this one.
    pub absorb: Option<(String, usize)>,
}

impl RecordType {
    /// Whether the type declares this field.
    pub fn has_field(&self, name: &str) -> bool {
        self.fields.iter().any(|(f, _)| f == name)
    }

    /// Position of a field in declaration order.
    pub fn position(&self, name: &str) -> usize {
        self.fields
            .iter()
            .position(|(f, _)| f == name)
            .unwrap_or(usize::MAX)
    }
}

/// A loaded, checked rule set.
#[derive(Debug)]
pub struct RuleSet {
    /// Rules, in load order (defaults first, replaced ones in place).
    pub rules: Vec<Rule>,
    /// The grammar all rules run in.
    pub grammar: Grammar,
    /// The lexicons compiled into it.
    pub lexicons: Lexicons,
    /// Record types by name.
    pub records: BTreeMap<String, RecordType>,
    /// Normalised abbreviations for the sentence splitter.
    pub abbreviations: HashSet<String>,
    /// Suffix rewrite tables by name.
    pub rewrites: BTreeMap<String, Rewrite>,
    /// The grammar rules whose match nodes extraction reads (see [`node_reads`]): matches
    /// made for records build no others.
    pub node_reads: crate::peg::NodeReads,
}

/// Grammar rules whose nodes the extraction code reads by name, whatever the rules say:
/// `int` and `frac` (a number's digits, `extract/numeral.rs`), and a date's parts
/// (`extract/fields.rs`, `date`).
const READ_BY_CODE: &[&str] = &["int", "frac", "year", "month", "day", "hour", "minute"];

/// The grammar rules whose nodes a match tree's readers may use, for `program`: every rule
/// whose name appears as a string anywhere in a rule or record type (entry, span, `each`,
/// captures of fields and links, examples: a name read anywhere keeps its nodes), the rules
/// the lexicons define (entries are found by id, `Lexicons::entry_of_id`), and
/// [`READ_BY_CODE`]. Deliberately wide: a rule kept that nobody reads only costs its node,
/// one left out that somebody reads would change a record.
fn node_reads(
    program: &crate::peg::Program,
    rules: &[Rule],
    records: &BTreeMap<String, RecordType>,
    lexicons: &Lexicons,
) -> crate::peg::NodeReads {
    let mut read: HashSet<String> = READ_BY_CODE.iter().map(|s| s.to_string()).collect();
    read.extend(lexicons.rule_names().map(|(name, _)| name));
    // Every quoted string of the rules' and record types' debug text: what they name.
    // All the names are looked for in one pass (a search of the text for each grammar
    // rule's name cost loading a third more instructions).
    let text = format!("{rules:?}{records:?}");
    let names: Vec<&str> = program.rule_names().collect();
    let quoted = names.iter().map(|name| format!("{name:?}"));
    let mut named = vec![false; names.len()];
    match aho_corasick::AhoCorasick::new(quoted) {
        Ok(ac) => {
            for m in ac.find_overlapping_iter(&text) {
                named[m.pattern().as_usize()] = true;
            }
        }
        // Too many names for an automaton: keep every rule's nodes.
        Err(_) => named.fill(true),
    }
    let named: HashSet<&str> = names
        .iter()
        .zip(&named)
        .filter(|(_, n)| **n)
        .map(|(name, _)| *name)
        .collect();
    program.node_reads(|name| read.contains(name) || named.contains(name))
}

/// Which rule folders to load.
#[derive(Debug, Clone, Default)]
pub struct RuleSources {
    /// Load the rules embedded in the binary first.
    pub defaults: bool,
    /// Then these folders, in order; later ones replace same-id rules.
    pub dirs: Vec<std::path::PathBuf>,
}

fn toml_location(file: &SourceFile, span: std::ops::Range<usize>) -> Location {
    file.location(span.start)
}

fn spanned_location<T>(file: &SourceFile, s: &Spanned<T>) -> Location {
    toml_location(file, s.span())
}

impl RuleSet {
    /// Loads the defaults and/or folders named by `sources`.
    pub fn load(sources: &RuleSources) -> Result<RuleSet, LoadErrors> {
        RuleSet::from_files(RuleSet::read(sources)?)
    }

    /// Reads the files `sources` names without loading them, for tools that keep the texts
    /// (to show a problem in its source line) and then call [`RuleSet::from_files`].
    pub fn read(sources: &RuleSources) -> Result<Vec<SourceFile>, LoadErrors> {
        let mut files = if sources.defaults {
            source::defaults()
        } else {
            Vec::new()
        };
        let mut errors = Vec::new();
        for (i, dir) in sources.dirs.iter().enumerate() {
            match source::from_dir(dir, i + 1) {
                Ok(f) => files.extend(f),
                Err(e) => errors.extend(e),
            }
        }
        if !errors.is_empty() {
            return Err(LoadErrors(errors));
        }
        Ok(files)
    }

    /// Loads the built-in default rules alone; a convenience for tools and tests.
    pub fn load_defaults() -> Result<RuleSet, LoadErrors> {
        RuleSet::load(&RuleSources {
            defaults: true,
            dirs: vec![],
        })
    }

    /// Loads the defaults plus one folder; a convenience for tools and tests.
    pub fn load_with_dir(dir: &Path) -> Result<RuleSet, LoadErrors> {
        RuleSet::load(&RuleSources {
            defaults: true,
            dirs: vec![dir.to_path_buf()],
        })
    }

    /// Builds a rule set from files already in memory.
    pub fn from_files(files: Vec<SourceFile>) -> Result<RuleSet, LoadErrors> {
        let mut errors = Vec::new();
        let mut parsed: Vec<(usize, RuleFile)> = Vec::new();
        for (i, f) in files
            .iter()
            .enumerate()
            .filter(|(_, f)| f.kind == FileKind::Rules)
        {
            // Every problem of the file, not only the first; the items that read are kept.
            let (rf, problems) = parse::rule_file(f);
            errors.extend(problems);
            parsed.extend(rf.map(|rf| (i, rf)));
        }
        let mut lexicons = Lexicons::default();
        let mut records: BTreeMap<String, RecordType> = BTreeMap::new();
        let mut abbreviations = HashSet::new();
        let mut rewrites = BTreeMap::new();
        for (i, rf) in &parsed {
            let f = &files[*i];
            for (lex, entries) in &rf.lexicon {
                for (id, def) in entries {
                    if let Err(e) = lexicons.add(lex, id, def.get_ref(), spanned_location(f, def)) {
                        errors.push(e);
                    }
                }
            }
            for (name, def) in &rf.record {
                let mut fields = Vec::new();
                for (field, ty) in &def.get_ref().fields {
                    match ty.as_str() {
                        Some(t) => fields.push((field.clone(), t.to_string())),
                        None => errors.push(LoadError::new(
                            spanned_location(f, def),
                            LoadErrorKind::Toml,
                            format!("field `{field}` of record type `{name}` needs a type written as a string"),
                        )),
                    }
                }
                let d = def.get_ref();
                // A later declaration of the same type extends it: its fields are added (or
                // retyped) and its options win, so a folder can add a field to `amount`.
                let rt = records.entry(name.clone()).or_insert_with(|| RecordType {
                    fields: Vec::new(),
                    location: spanned_location(f, def),
                    merge_on: Vec::new(),
                    one_per_sentence: false,
                    output: true,
                    absorb: None,
                });
                if let Some(a) = &d.absorb {
                    rt.absorb = Some((a.kind.clone(), a.within_sentences));
                }
                for (field, ty) in fields {
                    match rt.fields.iter_mut().find(|(n, _)| *n == field) {
                        Some(slot) => slot.1 = ty,
                        None => rt.fields.push((field, ty)),
                    }
                }
                if !d.merge_on.is_empty() {
                    rt.merge_on = d.merge_on.clone();
                }
                rt.one_per_sentence |= d.one_per_sentence;
                rt.output = d.output;
                for m in &d.merge_on {
                    if !rt.has_field(m) {
                        errors.push(LoadError::new(
                            spanned_location(f, def),
                            LoadErrorKind::Reference,
                            format!(
                                "`merge_on` names `{m}`, which record type `{name}` does not have"
                            ),
                        ));
                    }
                }
            }
            for (name, def) in &rf.rewrite {
                let d = def.get_ref();
                let mut suffixes: Vec<(String, String)> = d
                    .suffixes
                    .iter()
                    .map(|(a, b)| (crate::text::normalize::normalize_literal(a), b.clone()))
                    .collect();
                suffixes.sort_by_key(|s| std::cmp::Reverse(s.0.chars().count()));
                rewrites.insert(
                    name.clone(),
                    Rewrite {
                        suffixes,
                        min_stem: d.min_stem,
                        last_word_only: d.last_word_only,
                    },
                );
            }
            abbreviations.extend(
                rf.abbreviations
                    .iter()
                    .map(|a| crate::text::normalize::normalize_literal(a)),
            );
        }
        errors.extend(types::check_declarations(&records, &files));
        let grammar = match Grammar::build(&files, &lexicons) {
            Ok(g) => {
                lexicons.index_rules(g.program().rule_names());
                Some(g)
            }
            Err(e) => {
                errors.extend(grammar_panics::locate(e, &files));
                None
            }
        };
        let mut rules: Vec<Rule> = Vec::new();
        let mut by_id: HashMap<String, (usize, usize)> = HashMap::new(); // id -> (index, layer)
        for (i, rf) in parsed {
            let f = &files[i];
            let file_lang = match &rf.lang {
                None => None,
                Some(l) => match Lang::parse(l.get_ref()) {
                    Some(lang) => Some(lang),
                    None => {
                        errors.push(LoadError::new(
                            spanned_location(f, l),
                            LoadErrorKind::Toml,
                            format!("unknown language `{}`: use `ru` or `kk`", l.get_ref()),
                        ));
                        None
                    }
                },
            };
            for def in rf.rule {
                // Without a grammar (it has errors) rules are still checked for everything
                // else, so one load reports every problem.
                let cx = CompileContext {
                    grammar: grammar.as_ref(),
                    lexicons: &lexicons,
                    records: &records,
                    rewrites: &rewrites,
                };
                match compile_rule(f, def, file_lang, &cx) {
                    Ok(rule) => match by_id.get(&rule.id) {
                        Some(&(idx, layer)) if layer == f.layer => errors.push(LoadError::new(
                            rule.location.clone(),
                            LoadErrorKind::Toml,
                            format!(
                                "rule id `{}` is already used at {}",
                                rule.id, rules[idx].location
                            ),
                        )),
                        Some(&(idx, _)) => {
                            by_id.insert(rule.id.clone(), (idx, f.layer));
                            rules[idx] = rule;
                        }
                        None => {
                            by_id.insert(rule.id.clone(), (rules.len(), f.layer));
                            rules.push(rule);
                        }
                    },
                    Err(e) => errors.extend(e),
                }
            }
        }
        match grammar {
            Some(grammar) if errors.is_empty() => Ok(RuleSet {
                node_reads: node_reads(grammar.program(), &rules, &records, &lexicons),
                rules,
                grammar,
                lexicons,
                records,
                abbreviations,
                rewrites,
            }),
            _ => {
                errors.sort_by(|a, b| a.location.cmp(&b.location));
                errors.dedup();
                Err(LoadErrors(errors))
            }
        }
    }

    /// The rule with this id.
    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }
}

/// Grammar rules reachable from `entry` (the captures a field may name).
fn reachable(grammar: &Grammar, entry: &str) -> HashSet<String> {
    let mut seen = HashSet::new();
    let mut stack = vec![entry.to_string()];
    while let Some(name) = stack.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        if let Some(expr) = grammar_expr(grammar, &name) {
            push_calls(expr, &mut stack);
        }
    }
    seen
}

/// Pushes the names of the rules `expr` calls. (pest's `iter_top_down` clones every
/// subexpression it visits, which made this walk over the lexicons a tenth of load time.)
pub(crate) fn push_calls(expr: &OptimizedExpr, out: &mut Vec<String>) {
    match expr {
        OptimizedExpr::Ident(n) => out.push(n.clone()),
        OptimizedExpr::PosPred(e)
        | OptimizedExpr::NegPred(e)
        | OptimizedExpr::Opt(e)
        | OptimizedExpr::Rep(e)
        | OptimizedExpr::Push(e)
        | OptimizedExpr::RestoreOnErr(e) => push_calls(e, out),
        OptimizedExpr::Seq(a, b) | OptimizedExpr::Choice(a, b) => {
            push_calls(a, out);
            push_calls(b, out);
        }
        OptimizedExpr::Str(_)
        | OptimizedExpr::Insens(_)
        | OptimizedExpr::Range(..)
        | OptimizedExpr::PeekSlice(..)
        | OptimizedExpr::Skip(_) => {}
    }
}

fn grammar_expr<'g>(grammar: &'g Grammar, name: &str) -> Option<&'g OptimizedExpr> {
    grammar.expr(name)
}

/// What compiling a rule checks against.
struct CompileContext<'a> {
    grammar: Option<&'a Grammar>,
    lexicons: &'a Lexicons,
    records: &'a BTreeMap<String, RecordType>,
    rewrites: &'a BTreeMap<String, Rewrite>,
}

fn compile_rule(
    f: &SourceFile,
    def: schema::RuleDef,
    file_lang: Option<Lang>,
    cx: &CompileContext<'_>,
) -> Result<Rule, Vec<LoadError>> {
    let CompileContext {
        grammar, records, ..
    } = *cx;
    let mut errors = Vec::new();
    let id_loc = spanned_location(f, &def.id);
    let lang = match &def.lang {
        Some(l) => Lang::parse(l.get_ref()).or_else(|| {
            errors.push(LoadError::new(
                spanned_location(f, l),
                LoadErrorKind::Toml,
                format!("unknown language `{}`: use `ru` or `kk`", l.get_ref()),
            ));
            None
        }),
        None => file_lang.or_else(|| {
            errors.push(LoadError::new(
                id_loc.clone(),
                LoadErrorKind::Toml,
                "rule has no `lang` and its file sets none",
            ));
            None
        }),
    };
    let entry = def.entry.get_ref().clone();
    let entry_ok = grammar.is_some_and(|g| g.has_rule(&entry));
    if let (false, Some(g)) = (entry_ok, grammar) {
        errors.push(LoadError::new(
            spanned_location(f, &def.entry),
            LoadErrorKind::Reference,
            format!(
                "no grammar rule `{entry}`{}",
                crate::suggest::did_you_mean(&entry, g.rule_names())
            ),
        ));
    }
    let captures = match grammar {
        Some(g) if entry_ok => reachable(g, &entry),
        _ => HashSet::new(),
    };
    let emits = def.emits.get_ref().clone();
    let record = records.get(&emits);
    if record.is_none() {
        errors.push(LoadError::new(
            spanned_location(f, &def.emits),
            LoadErrorKind::Reference,
            match crate::suggest::closest(&emits, records.keys().map(String::as_str)) {
                Some(k) => format!("no record type `{emits}` (did you mean `{k}`? or declare it under [record.{emits}])"),
                None => format!("no record type `{emits}` (declare it under [record.{emits}])"),
            },
        ));
    }
    let check_capture = |name: &str, loc: &Location, errors: &mut Vec<LoadError>| {
        if entry_ok && !captures.contains(name) {
            errors.push(LoadError::new(
                loc.clone(),
                LoadErrorKind::Reference,
                format!(
                    "capture `{name}` is not a grammar rule reachable from `{entry}`{}",
                    crate::suggest::did_you_mean(name, captures.iter().map(String::as_str))
                ),
            ));
        }
    };
    if let Some(span) = &def.span {
        check_capture(span.get_ref(), &spanned_location(f, span), &mut errors);
    }
    if let Some(each) = &def.each {
        check_capture(each.get_ref(), &spanned_location(f, each), &mut errors);
    }
    let mut links = Vec::new();
    for l in &def.link {
        let loc = spanned_location(f, l);
        match compile_link(l.get_ref(), &loc, &emits, cx) {
            Ok(link) => links.push(link),
            Err(e) => errors.extend(e),
        }
    }
    let mut fields = Vec::new();
    for (name, spec) in &def.fields {
        let loc = spanned_location(f, spec);
        if let Some(rt) = record
            && !rt.has_field(name)
        {
            errors.push(LoadError::new(
                loc.clone(),
                LoadErrorKind::Reference,
                format!(
                    "record type `{emits}` has no field `{name}`{}",
                    crate::suggest::did_you_mean(name, rt.fields.iter().map(|(n, _)| n.as_str()))
                ),
            ));
        }
        match compile_field(spec.get_ref(), &loc, cx, &mut |c| {
            check_capture(c, &loc, &mut errors)
        }) {
            Ok(source) => {
                let default = spec
                    .get_ref()
                    .default
                    .as_ref()
                    .and_then(FieldValue::from_toml);
                fields.push(Field {
                    name: name.clone(),
                    source,
                    default,
                });
            }
            Err(e) => errors.push(e),
        }
    }
    for e in &def.example {
        if let Some(expect) = &e.expect {
            for key in expect.get_ref().keys() {
                let known = key == "text" || record.is_none_or(|rt| rt.has_field(key));
                if !known {
                    errors.push(LoadError::new(
                        spanned_location(f, expect),
                        LoadErrorKind::Example,
                        format!("example expects field `{key}`, which record type `{emits}` does not have"),
                    ));
                }
            }
        }
        if e.text.get_ref().trim().is_empty() {
            errors.push(LoadError::new(
                spanned_location(f, &e.text),
                LoadErrorKind::Example,
                "example text is empty",
            ));
        }
    }
    if let Some(rt) = record {
        errors.extend(types::check_rule(
            f,
            &def,
            &fields,
            rt,
            cx.lexicons,
            records,
        ));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let examples = def
        .example
        .into_iter()
        .map(|e| Example {
            location: spanned_location(f, &e.text),
            text: e.text.into_inner(),
            expect: e.expect.map(Spanned::into_inner).unwrap_or_default(),
        })
        .collect();
    let negatives = def
        .negative
        .into_iter()
        .map(|n| Negative {
            location: spanned_location(f, &n),
            text: n.into_inner(),
        })
        .collect();
    let Some(grammar) = grammar else {
        return Err(errors); // the grammar's own errors are reported
    };
    Ok(Rule {
        id: def.id.into_inner(),
        first: grammar.first_set(&entry),
        entry,
        emits,
        lang: lang.unwrap_or(Lang::Ru),
        priority: def.priority,
        span: def.span.map(Spanned::into_inner),
        fields,
        examples,
        negatives,
        location: id_loc,
        each: def.each.map(Spanned::into_inner),
        links,
    })
}

fn compile_link(
    l: &schema::LinkDef,
    loc: &Location,
    emits: &str,
    cx: &CompileContext<'_>,
) -> Result<Link, Vec<LoadError>> {
    let mut errors = Vec::new();
    let err = |m: String| LoadError::new(loc.clone(), LoadErrorKind::Reference, m);
    if let Some(rt) = cx.records.get(emits)
        && !rt.has_field(&l.field)
    {
        errors.push(err(format!(
            "link fills `{}`, which record type `{emits}` does not have",
            l.field
        )));
    }
    let scanner = |names: &schema::OneOrMany, prefix: bool, errors: &mut Vec<LoadError>| {
        let names = names.to_vec();
        for n in &names {
            if !cx.lexicons.has_lexicon(n) {
                errors.push(err(format!("no lexicon `{n}`")));
            }
        }
        Scanner::new(cx.lexicons, &names, prefix)
    };
    let within_clause = l
        .within_clause
        .as_ref()
        .and_then(|n| scanner(n, false, &mut errors));
    let scan = l
        .scan
        .as_ref()
        .and_then(|n| scanner(n, l.prefix, &mut errors));
    let introduced_by = l
        .introduced_by
        .as_ref()
        .and_then(|n| scanner(n, true, &mut errors));
    if let Some(r) = &l.record {
        match cx.records.get(r) {
            None => errors.push(err(format!("no record type `{r}`"))),
            Some(rt) => {
                if let Some(fld) = &l.record_field
                    && !rt.has_field(fld)
                    && fld != "text"
                {
                    errors.push(err(format!("record type `{r}` has no field `{fld}`")));
                }
            }
        }
        if r == emits {
            errors.push(err(
                "a link may not take records of the type it makes".to_string()
            ));
        }
    }
    if l.scan.is_none() && l.record.is_none() {
        errors.push(LoadError::new(
            loc.clone(),
            LoadErrorKind::Toml,
            "a link needs `scan` or `record`",
        ));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Link {
        field: l.field.clone(),
        scan,
        attr: l.attr.clone(),
        record: l.record.clone(),
        record_field: l.record_field.clone(),
        introduced_by,
        window: l.window,
        all: l.all || l.join.is_some(),
        join: l.join.clone(),
        min: l.min,
        outside_span: l.outside_span,
        within_clause,
    })
}

fn compile_field(
    spec: &FieldSpec,
    loc: &Location,
    cx: &CompileContext<'_>,
    check_capture: &mut dyn FnMut(&str),
) -> Result<FieldSource, LoadError> {
    let lexicons = cx.lexicons;
    if let Some(parts) = &spec.join {
        let compiled = parts
            .iter()
            .map(|p| compile_field(p, loc, cx, check_capture))
            .collect::<Result<Vec<_>, _>>()?;
        return Ok(FieldSource::Join(compiled));
    }
    let sources = [
        spec.value.is_some(),
        spec.lexicon.is_some(),
        spec.number.is_some(),
        spec.text.is_some(),
        spec.date.is_some(),
    ];
    if sources.iter().filter(|s| **s).count() != 1 {
        return Err(LoadError::new(
            loc.clone(),
            LoadErrorKind::Toml,
            "a field needs exactly one of `value`, `lexicon`, `number`, `text`, `date`",
        ));
    }
    if let Some(v) = &spec.value {
        return FieldValue::from_toml(v)
            .map(FieldSource::Const)
            .ok_or_else(|| {
                LoadError::new(
                    loc.clone(),
                    LoadErrorKind::Toml,
                    "constant must be a string, number or list",
                )
            });
    }
    if let Some(w) = &spec.within {
        check_capture(w);
    }
    if let Some(lex) = &spec.lexicon {
        let names = lex.to_vec();
        if let Some(missing) = names.iter().find(|n| !lexicons.has_lexicon(n)) {
            return Err(LoadError::new(
                loc.clone(),
                LoadErrorKind::Reference,
                format!("no lexicon `{missing}`"),
            ));
        }
        return Ok(FieldSource::Lexicon {
            lexicons: names,
            attr: spec.attr.clone(),
            or_id: spec.or_id,
            within: spec.within.clone(),
        });
    }
    if let Some(capture) = &spec.number {
        check_capture(capture);
        if let Some(i) = &spec.inherit_scale {
            check_capture(i);
        }
        let multiply = match &spec.multiply {
            Some(m) => Some(Box::new(compile_field(m, loc, cx, check_capture)?)),
            None => None,
        };
        return Ok(FieldSource::Number {
            capture: capture.clone(),
            inherit_scale: spec.inherit_scale.clone(),
            multiply,
        });
    }
    if let Some(capture) = &spec.text {
        check_capture(capture);
        let case = match spec.case.as_deref() {
            None => NameCase::Any,
            Some("capitalized") => NameCase::Capitalized,
            Some("all_capitalized") => NameCase::AllCapitalized,
            Some("lowercase") => NameCase::Lowercase,
            Some(other) => {
                return Err(LoadError::new(
                    loc.clone(),
                    LoadErrorKind::Toml,
                    format!(
                        "unknown `case = \"{other}\"`: use `capitalized`, `all_capitalized` or `lowercase`"
                    ),
                ));
            }
        };
        let exclude = spec
            .exclude
            .as_ref()
            .map(schema::OneOrMany::to_vec)
            .unwrap_or_default();
        if let Some(x) = exclude.iter().find(|x| !lexicons.has_lexicon(x)) {
            return Err(LoadError::new(
                loc.clone(),
                LoadErrorKind::Reference,
                format!("no lexicon `{x}`"),
            ));
        }
        let rewrite = match &spec.rewrite {
            None => None,
            Some(schema::RewriteRef::Table(t)) => {
                if !cx.rewrites.contains_key(t) {
                    return Err(LoadError::new(
                        loc.clone(),
                        LoadErrorKind::Reference,
                        format!("no rewrite table `{t}`"),
                    ));
                }
                Some(RewriteSource::Table(t.clone()))
            }
            Some(schema::RewriteRef::FromLexicon { lexicon, attr }) => {
                let names = lexicon.to_vec();
                if let Some(missing) = names.iter().find(|n| !lexicons.has_lexicon(n)) {
                    return Err(LoadError::new(
                        loc.clone(),
                        LoadErrorKind::Reference,
                        format!("no lexicon `{missing}`"),
                    ));
                }
                for e in names.iter().flat_map(|n| lexicons.entries(n)) {
                    if let Some(t) = e.attr_text(attr)
                        && !cx.rewrites.contains_key(&t)
                    {
                        return Err(LoadError::new(
                            e.location.clone(),
                            LoadErrorKind::Reference,
                            format!(
                                "entry `{}.{}` names rewrite table `{t}`, which does not exist",
                                e.lexicon, e.id
                            ),
                        ));
                    }
                }
                Some(RewriteSource::FromLexicon {
                    lexicons: names,
                    attr: attr.clone(),
                })
            }
        };
        return Ok(FieldSource::Text {
            capture: capture.clone(),
            case,
            rewrite,
            exclude,
        });
    }
    let capture = spec.date.clone().unwrap_or_default();
    check_capture(&capture);
    Ok(FieldSource::Date(capture))
}

#[cfg(test)]
mod node_read_tests {
    use super::*;

    fn defaults() -> RuleSet {
        RuleSet::load_defaults().expect("default rules load")
    }

    /// Every grammar rule the extraction code (its tests aside) names in a string keeps its
    /// nodes: code that reads a rule's nodes by name must have it in [`READ_BY_CODE`] (or
    /// in the rules).
    #[test]
    fn rules_the_extraction_code_names_keep_their_nodes() {
        let set = defaults();
        let program = set.grammar.program();
        let code = [
            include_str!("../extract/demand.rs"),
            include_str!("../extract/fields.rs"),
            include_str!("../extract/links.rs"),
            include_str!("../extract/matcher.rs"),
            include_str!("../extract/mod.rs"),
            include_str!("../extract/numeral.rs"),
            include_str!("../extract/overlap.rs"),
            include_str!("../extract/selection.rs"),
            include_str!("../extract/settle.rs"),
            include_str!("../extract/tree.rs"),
        ]
        .map(|file| file.split("#[cfg(test)]").next().unwrap_or(file))
        .concat()
        // A lexicon attribute (`number`, `scale`) is read from an entry, not a rule's node.
        .replace(".get(\"", ".get(");
        let mut named = 0;
        for (id, name) in program.rule_names().enumerate() {
            let Ok(id) = crate::peg::RuleId::try_from(id) else {
                continue;
            };
            let makes_nodes = program.keeps_nodes_of(&program.node_reads(|_| true), id);
            if makes_nodes && code.contains(&format!("{name:?}")) {
                named += 1;
                assert!(program.keeps_nodes_of(&set.node_reads, id), "{name}");
            }
        }
        // int, frac and a date's parts at least.
        assert!(named >= 7, "{named}");
    }

    /// Rules nobody reads make no nodes in extraction; the rules' captures, the lexicons'
    /// rules and the entry rules do.
    #[test]
    fn only_rules_somebody_reads_keep_their_nodes() {
        let set = defaults();
        let program = set.grammar.program();
        let keeps = |name: &str| {
            let id = program.rule_id(name).expect(name);
            program.keeps_nodes_of(&set.node_reads, id)
        };
        for unread in ["number", "scaled", "numeric", "date_iso", "date_words"] {
            assert!(!keeps(unread), "{unread}");
        }
        let lexicon = set.lexicons.rule_names().map(|(n, _)| n);
        let read = [
            "int",
            "frac",
            "year",
            "amount_value",
            "dateline",
            "amount_ru",
        ];
        for name in read.into_iter().map(String::from).chain(lexicon) {
            assert!(keeps(&name), "{name}");
        }
    }
}
