//! Lexicons: surface forms → canonical ids, compiled into pest rules at load time.
//!
//! A lexicon `unit` with an entry `t` becomes two grammar rules: `unit__t`, an atomic rule
//! matching any of the entry's forms, and `unit`, a choice over the entries. The match tree
//! then names the entry, and field specs read its id and attributes. Forms are normalised
//! like documents (lower case, plain quotes) and tried longest first, so `тонн` wins over `т`.

use crate::error::{LoadError, LoadErrorKind, Location};
use crate::rules::schema::EntryDef;
use crate::text::normalize::normalize_literal;
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
}

/// All lexicons of a rule set.
#[derive(Debug, Clone, Default)]
pub struct Lexicons {
    lexicons: BTreeMap<String, BTreeMap<String, Entry>>,
    /// Grammar rule id -> the entry it is the rule of (see [`Lexicons::index_rules`]).
    by_id: Vec<Option<Entry>>,
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

    /// The pest source of all lexicons.
    pub fn grammar(&self) -> String {
        let mut out = String::new();
        for (name, entries) in &self.lexicons {
            let mut order: Vec<&Entry> = entries.values().collect();
            order.sort_by(|a, b| longest(b).cmp(&longest(a)).then_with(|| a.id.cmp(&b.id)));
            let _ = write!(out, "{name} = ${{ ");
            if prefix_conflict(&order) {
                // An entry tried earlier could match a prefix of a longer form of a later
                // entry: look ahead for each form, longest first, to keep longest-match.
                let mut pairs: Vec<(&str, &Entry)> = order
                    .iter()
                    .flat_map(|e| e.forms.iter().map(move |f| (f.as_str(), *e)))
                    .collect();
                pairs.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(b.0)));
                let alts: Vec<String> = pairs
                    .iter()
                    .map(|(f, e)| format!("&{} ~ {}", pest_string(f), e.rule_name()))
                    .collect();
                out.push_str(&alts.join(" | "));
            } else {
                let alts: Vec<String> = order.iter().map(|e| e.rule_name()).collect();
                out.push_str(&alts.join(" | "));
            }
            out.push_str(" }\n");
            for e in &order {
                let forms: Vec<String> = e.forms.iter().map(|f| pest_string(f)).collect();
                let _ = writeln!(out, "{} = @{{ {} }}", e.rule_name(), forms.join(" | "));
            }
        }
        out
    }
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

    /// A loaded rule set numbers its entries by rule id: every entry rule of the compiled
    /// grammar finds its entry by id as by name, and no other rule finds one.
    #[test]
    fn entries_are_found_by_rule_id_as_by_name() {
        let set = crate::rules::RuleSet::load(&crate::rules::RuleSources {
            defaults: true,
            dirs: vec![],
        })
        .expect("default rules");
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
