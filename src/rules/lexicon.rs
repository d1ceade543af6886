//! Lexicons: surface forms → canonical ids, compiled into pest rules at load time.
//!
//! A lexicon `unit` with an entry `t` becomes two grammar rules: `unit__t`, an atomic rule
//! matching any of the entry's forms, and `unit`, a choice over the entries. The match tree
//! then names the entry, and field specs read its id and attributes. Forms are normalised
//! like documents (lower case, plain quotes) and tried longest first, so `тонн` wins over `т`.

use crate::error::{LoadError, LoadErrorKind, Location};
use crate::rules::schema::EntryDef;
use crate::text::normalize::normalize_literal;
use pest_meta::ast::RuleType;
use pest_meta::optimizer::{OptimizedExpr, OptimizedRule};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// One lexicon entry after merging every file that contributes to it.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The lexicon it belongs to.
    pub lexicon: String,
    /// Its canonical id (`USD`, `t`, `more_than`).
    pub id: String,
    /// Normalised surface forms, longest first.
    pub forms: Vec<String>,
    /// Attributes from the TOML (`kind = "mass"`, `scale = 1000`).
    pub attrs: BTreeMap<String, toml::Value>,
    /// Where it was (last) defined.
    pub location: Location,
}

impl Entry {
    /// The grammar rule name of this entry.
    pub fn rule_name(&self) -> String {
        format!("{}__{}", self.lexicon, self.id)
    }

    /// An attribute as text (strings as they are, numbers printed).
    pub fn attr_text(&self, name: &str) -> Option<String> {
        match self.attrs.get(name)? {
            toml::Value::String(s) => Some(s.clone()),
            toml::Value::Integer(i) => Some(i.to_string()),
            toml::Value::Float(f) => Some(f.to_string()),
            toml::Value::Boolean(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// Whether a boolean attribute is set (`stem = true`); absent or not a boolean is false.
    pub fn flag(&self, name: &str) -> bool {
        self.attrs.get(name).and_then(toml::Value::as_bool) == Some(true)
    }
}

/// All lexicons of a rule set.
#[derive(Debug, Clone, Default)]
pub struct Lexicons {
    lexicons: BTreeMap<String, BTreeMap<String, Entry>>,
    /// Grammar rule id -> the entry it is the rule of (see [`Lexicons::index_rules`]).
    by_id: Vec<Option<Entry>>,
    /// Each lexicon as a stop list (see [`Lexicons::stops`]), built on first use and
    /// dropped when an entry is added.
    stop_lists: std::sync::OnceLock<BTreeMap<String, StopList>>,
}

/// A lexicon read as a stop list of names (a text field's `exclude`): its forms in a hash
/// set, and the few forms of `stem` and `suffix` entries apart. Asking the lexicon's
/// entries one by one, with two attribute lookups each, took 2 % of all extraction time.
#[derive(Debug, Clone, Default)]
struct StopList {
    /// Every form: a name equal to one is stopped.
    forms: std::collections::HashSet<String, foldhash::fast::FixedState>,
    /// Forms of `stem = true` entries: a name starting with one is stopped.
    stems: Vec<String>,
    /// Forms of `suffix = true` entries: a name whose first word ends with one (and is
    /// longer) is stopped.
    suffixes: Vec<String>,
}

impl StopList {
    fn of(entries: &BTreeMap<String, Entry>) -> StopList {
        let mut list = StopList::default();
        for e in entries.values() {
            list.forms.extend(e.forms.iter().cloned());
            if e.flag("stem") {
                list.stems.extend(e.forms.iter().cloned());
            }
            if e.flag("suffix") {
                list.suffixes.extend(e.forms.iter().cloned());
            }
        }
        list
    }

    fn stops(&self, name: &str) -> bool {
        let first_word = name.split(' ').next().unwrap_or_default();
        self.forms.contains(name)
            || self.stems.iter().any(|f| name.starts_with(f.as_str()))
            || self
                .suffixes
                .iter()
                .any(|f| first_word.ends_with(f.as_str()) && first_word.len() > f.len())
    }
}

fn is_identifier(s: &str, allow_digit_start: bool) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some(c)
            if c.is_ascii_alphabetic() || c == '_' || (allow_digit_start && c.is_ascii_digit()) => {
        }
        _ => return false,
    }
    chars.all(|c| c.is_ascii_alphanumeric() || c == '_') && !s.contains("__")
}

impl Lexicons {
    /// Adds (or merges into) entry `id` of `lexicon`: forms are united, attributes of the
    /// later file win.
    pub fn add(
        &mut self,
        lexicon: &str,
        id: &str,
        def: &EntryDef,
        location: Location,
    ) -> Result<(), LoadError> {
        if !is_identifier(lexicon, false) {
            return Err(LoadError::new(
                location,
                LoadErrorKind::Lexicon,
                format!(
                    "lexicon name `{lexicon}` must be letters, digits and single underscores, starting with a letter"
                ),
            ));
        }
        if !is_identifier(id, true) {
            return Err(LoadError::new(
                location,
                LoadErrorKind::Lexicon,
                format!(
                    "entry id `{id}` of lexicon `{lexicon}` must be ASCII letters, digits and single underscores"
                ),
            ));
        }
        let mut forms = Vec::with_capacity(def.forms.len());
        for form in &def.forms {
            let norm = normalize_literal(form);
            if norm.is_empty() {
                return Err(LoadError::new(
                    location,
                    LoadErrorKind::Lexicon,
                    format!("entry `{lexicon}.{id}` has an empty form"),
                ));
            }
            forms.push(norm);
        }
        if forms.is_empty() {
            return Err(LoadError::new(
                location,
                LoadErrorKind::Lexicon,
                format!("entry `{lexicon}.{id}` has no forms"),
            ));
        }
        self.stop_lists = std::sync::OnceLock::new();
        let entries = self.lexicons.entry(lexicon.to_string()).or_default();
        let entry = entries.entry(id.to_string()).or_insert_with(|| Entry {
            lexicon: lexicon.to_string(),
            id: id.to_string(),
            forms: Vec::new(),
            attrs: BTreeMap::new(),
            location: location.clone(),
        });
        entry.forms.extend(forms);
        entry
            .forms
            .sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        entry.forms.dedup();
        entry.attrs.extend(def.attrs.clone());
        entry.location = location;
        Ok(())
    }

    /// The entry whose grammar rule is `rule`, if `rule` is a lexicon entry rule.
    pub fn entry_of_rule(&self, rule: &str) -> Option<&Entry> {
        // Entry rules are named `lexicon__id`, and neither part may hold `__`. (Not on a hot
        // path: field builders ask by rule id, see `entry_of_id`.)
        let (lexicon, id) = rule.split_once("__")?;
        self.lexicons.get(lexicon)?.get(id)
    }

    /// Numbers the entries by the ids of their rules in the compiled grammar, for
    /// [`Lexicons::entry_of_id`]: `rule_names` are the grammar's rule names by id.
    pub(crate) fn index_rules<'a>(&mut self, rule_names: impl Iterator<Item = &'a str>) {
        self.by_id = rule_names
            .map(|name| self.entry_of_rule(name).cloned())
            .collect();
    }

    /// The entry whose grammar rule has id `id` in the rule set's compiled grammar, if it
    /// is a lexicon entry rule. Field builders ask this for every node of every match
    /// they read: an index, where a name is a scan of it and a hash.
    pub fn entry_of_id(&self, id: crate::peg::RuleId) -> Option<&Entry> {
        self.by_id.get(id as usize)?.as_ref()
    }

    /// Whether the normalised `name` is stopped by lexicon `lexicon` read as a stop list:
    /// it is one of its forms, starts with a form of a `stem = true` entry, or its first
    /// word ends with (and is longer than) a form of a `suffix = true` entry. A lexicon
    /// that does not exist stops nothing.
    pub fn stops(&self, lexicon: &str, name: &str) -> bool {
        let lists = self.stop_lists.get_or_init(|| {
            self.lexicons
                .iter()
                .map(|(n, entries)| (n.clone(), StopList::of(entries)))
                .collect()
        });
        lists.get(lexicon).is_some_and(|l| l.stops(name))
    }

    /// Whether a lexicon of this name exists.
    pub fn has_lexicon(&self, name: &str) -> bool {
        self.lexicons.contains_key(name)
    }

    /// Names of all lexicons.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.lexicons.keys().map(String::as_str)
    }

    /// Entries of a lexicon.
    pub fn entries(&self, lexicon: &str) -> impl Iterator<Item = &Entry> {
        self.lexicons
            .get(lexicon)
            .into_iter()
            .flat_map(|m| m.values())
    }

    /// Every grammar rule name the lexicons define (lexicon rules and entry rules).
    pub fn rule_names(&self) -> impl Iterator<Item = (String, &Location)> {
        self.lexicons.iter().flat_map(|(name, entries)| {
            let first = entries.values().next().map(|e| &e.location);
            first
                .map(|loc| (name.clone(), loc))
                .into_iter()
                .chain(entries.values().map(|e| (e.rule_name(), &e.location)))
        })
    }

    /// Every lexicon as (rule name, forms with their entry rule), for the matcher's automata.
    pub fn automata(&self) -> Vec<crate::peg::LexiconRule> {
        self.lexicons
            .iter()
            .map(|(name, entries)| crate::peg::LexiconRule {
                name: name.clone(),
                forms: entries
                    .values()
                    .flat_map(|e| e.forms.iter().map(move |f| (f.clone(), e.rule_name())))
                    .collect(),
            })
            .collect()
    }

    /// The rules generated for each lexicon, in grammar order (see [`Layout`]).
    fn layouts(&self) -> Vec<Layout<'_>> {
        self.lexicons
            .iter()
            .map(|(name, entries)| {
                let mut order: Vec<&Entry> = entries.values().collect();
                order.sort_by(|a, b| longest(b).cmp(&longest(a)).then_with(|| a.id.cmp(&b.id)));
                let alternatives = if prefix_conflict(&order) {
                    // An entry tried earlier could match a prefix of a longer form of a
                    // later entry: look ahead for each form, longest first, to keep
                    // longest-match.
                    let mut pairs: Vec<(&str, &Entry)> = order
                        .iter()
                        .flat_map(|e| e.forms.iter().map(move |f| (f.as_str(), *e)))
                        .collect();
                    pairs.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(b.0)));
                    pairs
                        .into_iter()
                        .map(|(f, e)| (Some(f), e.rule_name()))
                        .collect()
                } else {
                    order.iter().map(|e| (None, e.rule_name())).collect()
                };
                Layout {
                    name,
                    alternatives,
                    order,
                }
            })
            .collect()
    }

    /// The pest source of all lexicons.
    pub fn grammar(&self) -> String {
        let mut out = String::new();
        for layout in self.layouts() {
            let _ = write!(out, "{} = ${{ ", layout.name);
            let alts: Vec<String> = layout
                .alternatives
                .iter()
                .map(|(form, rule)| match form {
                    Some(f) => format!("&{} ~ {rule}", pest_string(f)),
                    None => rule.clone(),
                })
                .collect();
            out.push_str(&alts.join(" | "));
            out.push_str(" }\n");
            for e in &layout.order {
                let forms: Vec<String> = e.forms.iter().map(|f| pest_string(f)).collect();
                let _ = writeln!(out, "{} = @{{ {} }}", e.rule_name(), forms.join(" | "));
            }
        }
        out
    }

    /// The rules of [`Lexicons::grammar`] as pest would parse and optimise them, built
    /// directly: parsing and validating the lexicons' hundreds of forms was most of the
    /// time pest took over the default rules.
    pub fn optimized_rules(&self) -> Vec<OptimizedRule> {
        /// A choice of `items`, nested to the right as pest's optimiser leaves it.
        fn choice(items: Vec<OptimizedExpr>) -> OptimizedExpr {
            let mut items = items.into_iter().rev();
            let last = items
                .next()
                .unwrap_or_else(|| OptimizedExpr::Str(String::new()));
            items.fold(last, |acc, item| {
                OptimizedExpr::Choice(Box::new(item), Box::new(acc))
            })
        }
        let mut out = Vec::new();
        for layout in self.layouts() {
            let alts = layout
                .alternatives
                .into_iter()
                .map(|(form, rule)| match form {
                    Some(f) => OptimizedExpr::Seq(
                        Box::new(OptimizedExpr::PosPred(Box::new(OptimizedExpr::Str(
                            f.to_string(),
                        )))),
                        Box::new(OptimizedExpr::Ident(rule)),
                    ),
                    None => OptimizedExpr::Ident(rule),
                })
                .collect();
            out.push(OptimizedRule {
                name: layout.name.clone(),
                ty: RuleType::CompoundAtomic,
                expr: choice(alts),
            });
            for e in &layout.order {
                out.push(OptimizedRule {
                    name: e.rule_name(),
                    ty: RuleType::Atomic,
                    expr: choice(e.forms.iter().cloned().map(OptimizedExpr::Str).collect()),
                });
            }
        }
        out
    }

    /// Stand-ins for the lexicon rules, for pest to validate the rules people write
    /// against, when [`Lexicons::optimized_rules`] gives the rules themselves; `None` when
    /// a lexicon rule might not validate as its stand-in does. The rules pest's checks read
    /// through a call (whether one can fail, or match without consuming) are the same
    /// for every lexicon rule and its stand-in `"x"`: each matches a non-empty form and
    /// calls no rule people write. Lexicon rules have no errors of their own when their
    /// names are identifiers pest accepts and no keyword or builtin, and no form is empty;
    /// the loader ensures most of that, and this checks all of it.
    pub fn validation_stubs(&self) -> Option<String> {
        let mut out = String::new();
        for (name, entries) in &self.lexicons {
            if entries.is_empty()
                || entries
                    .values()
                    .any(|e| e.forms.iter().any(String::is_empty))
            {
                return None;
            }
            for rule in std::iter::once(name.clone()).chain(entries.values().map(Entry::rule_name))
            {
                if !pest_identifier(&rule) {
                    return None;
                }
                let _ = writeln!(out, "{rule} = {{ \"x\" }}");
            }
        }
        Some(out)
    }
}

/// The rules generated for one lexicon: its choice over the entries, then the rule of
/// each entry.
struct Layout<'a> {
    name: &'a String,
    /// The choice's alternatives: an entry rule, behind a lookahead for one of its forms
    /// where an earlier entry could match a prefix of a later one.
    alternatives: Vec<(Option<&'a str>, String)>,
    /// The entries in the choice's order (longest form first).
    order: Vec<&'a Entry>,
}

/// Whether pest reads `name` as a rule name of its own: an identifier that is not a
/// keyword, builtin or `PUSH…` (which pest's grammar refuses), nor one pest treats
/// specially.
fn pest_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name != "_"
        && !name.starts_with("PUSH")
        // Pest checks these two rules apart (whether they can fail).
        && name != "WHITESPACE"
        && name != "COMMENT"
        && !super::grammar::is_builtin(name)
}

fn longest(e: &Entry) -> usize {
    e.forms.first().map_or(0, String::len)
}

fn prefix_conflict(order: &[&Entry]) -> bool {
    order.iter().enumerate().any(|(i, earlier)| {
        order[i + 1..].iter().any(|later| {
            earlier.forms.iter().any(|f| {
                later
                    .forms
                    .iter()
                    .any(|g| g.len() > f.len() && g.starts_with(f.as_str()))
            })
        })
    })
}

/// A pest string literal for `s`.
pub fn pest_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(forms: &[&str]) -> EntryDef {
        EntryDef {
            forms: forms.iter().map(|s| s.to_string()).collect(),
            attrs: BTreeMap::new(),
        }
    }

    #[test]
    fn forms_are_normalised_and_longest_first() {
        let mut l = Lexicons::default();
        l.add(
            "unit",
            "t",
            &def(&["т", "Тонн", "тонна"]),
            Location::file_start("x"),
        )
        .unwrap();
        let e = l.entry_of_rule("unit__t").unwrap();
        assert_eq!(e.forms, vec!["тонна", "тонн", "т"]);
        assert!(
            l.grammar()
                .contains("unit__t = @{ \"тонна\" | \"тонн\" | \"т\" }")
        );
    }

    /// A stop list stops its forms whole, names that begin with a `stem` form, and names
    /// whose first word ends with a `suffix` form and is longer; nothing else, and a
    /// lexicon added to after a first question is asked again.
    #[test]
    fn a_stop_list_stops_forms_stems_and_suffixes() {
        let flagged = |forms: &[&str], flag: &str| {
            let mut d = def(forms);
            d.attrs.insert(flag.to_string(), toml::Value::Boolean(true));
            d
        };
        let at = || Location::file_start("x");
        let mut l = Lexicons::default();
        l.add("stop", "whole", &def(&["новое"]), at()).unwrap();
        l.add("stop", "stem", &flagged(&["запас"], "stem"), at())
            .unwrap();
        l.add("stop", "ending", &flagged(&["ского"], "suffix"), at())
            .unwrap();
        assert!(l.stops("stop", "новое"));
        assert!(
            !l.stops("stop", "новое поле"),
            "a plain form stops only itself"
        );
        assert!(l.stops("stop", "запасы меди"));
        assert!(
            !l.stops("stop", "большие запасы"),
            "a stem stops where it begins"
        );
        assert!(l.stops("stop", "химкинского лесопарка"));
        assert!(
            !l.stops("stop", "ского лес"),
            "a suffix needs more word before it"
        );
        assert!(
            !l.stops("stop", "лесопарк химкинского"),
            "only the first word's ending"
        );
        assert!(
            !l.stops("other", "новое"),
            "an unknown lexicon stops nothing"
        );
        l.add("stop", "late", &def(&["старое"]), at()).unwrap();
        assert!(l.stops("stop", "старое"), "an entry added later counts");
    }

    /// A loaded rule set numbers its entries by rule id: every entry rule of the compiled
    /// grammar finds its entry by id as by name, and no other rule finds one.
    #[test]
    fn entries_are_found_by_rule_id_as_by_name() {
        let set = crate::rules::RuleSet::load_defaults().expect("default rules");
        let program = set.grammar.program();
        let mut entry_rules = 0;
        for (id, name) in program.rule_names().enumerate() {
            let by_id = set.lexicons.entry_of_id(id as crate::peg::RuleId);
            let by_name = set.lexicons.entry_of_rule(name);
            assert_eq!(
                by_id.map(Entry::rule_name),
                by_name.map(Entry::rule_name),
                "{name}"
            );
            entry_rules += usize::from(by_id.is_some());
        }
        assert!(entry_rules > 100, "only {entry_rules} entry rules");
    }

    #[test]
    fn prefix_conflicts_across_entries_use_lookahead() {
        let mut l = Lexicons::default();
        l.add("w", "a", &def(&["abcd", "a"]), Location::file_start("x"))
            .unwrap();
        l.add("w", "b", &def(&["ab"]), Location::file_start("x"))
            .unwrap();
        let g = l.grammar();
        assert!(
            g.contains("&\"abcd\" ~ w__a | &\"ab\" ~ w__b | &\"a\" ~ w__a"),
            "{g}"
        );
    }

    #[test]
    fn bad_ids_are_refused() {
        let mut l = Lexicons::default();
        assert!(
            l.add("unit", "k m", &def(&["x"]), Location::file_start("x"))
                .is_err()
        );
        assert!(
            l.add("1unit", "km", &def(&["x"]), Location::file_start("x"))
                .is_err()
        );
        assert!(
            l.add("unit", "km", &def(&[]), Location::file_start("x"))
                .is_err()
        );
    }
}
