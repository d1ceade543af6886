//! Warnings for rule authors: problems that do not stop a rule set from loading but that
//! a reviewer would ask about — a rule without a positive or a negative example, a lexicon
//! entry that nothing can ever match or read, a rule replaced by a later one with its id.

use crate::error::{LoadError, LoadErrorKind, Location};
use crate::rules::RuleSet;
use crate::rules::parse;
use crate::rules::source::{FileKind, SourceFile};
use pest_meta::optimizer::OptimizedExpr;
use std::collections::{BTreeMap, HashSet};

/// Every warning for a loaded rule set; `files` are the files it was loaded from.
pub fn warnings(set: &RuleSet, files: &[SourceFile]) -> Vec<LoadError> {
    let mut out = untested(set);
    out.extend(shadowed(files));
    out.extend(unused_entries(set, files));
    out.sort_by(|a, b| a.location.cmp(&b.location));
    out
}

fn untested(set: &RuleSet) -> Vec<LoadError> {
    let mut out = Vec::new();
    for r in &set.rules {
        if r.examples.is_empty() {
            out.push(LoadError::new(
                r.location.clone(),
                LoadErrorKind::Untested,
                format!(
                    "rule `{}` has no positive example: add a [[rule.example]] with the text and the fields it must give",
                    r.id
                ),
            ));
        }
        if r.negatives.is_empty() {
            out.push(LoadError::new(
                r.location.clone(),
                LoadErrorKind::Untested,
                format!(
                    "rule `{}` has no negative example: add `negative = [\"…\"]` with a text it must not match",
                    r.id
                ),
            ));
        }
    }
    out
}

fn shadowed(files: &[SourceFile]) -> Vec<LoadError> {
    // id -> (layer, where), the definition that currently wins.
    let mut seen: BTreeMap<String, (usize, Location)> = BTreeMap::new();
    let mut out = Vec::new();
    for f in files.iter().filter(|f| f.kind == FileKind::Rules) {
        let (Some(rf), _) = parse::rule_file(f) else {
            continue;
        };
        for def in &rf.rule {
            let id = def.id.get_ref().clone();
            let here = f.location(def.id.span().start);
            if let Some((layer, there)) = seen.get(&id)
                && *layer < f.layer
            {
                out.push(LoadError::new(
                    here.clone(),
                    LoadErrorKind::Shadowed,
                    format!(
                        "rule `{id}` replaces the rule with the same id at {there}, which no longer runs"
                    ),
                ));
            }
            seen.insert(id, (f.layer, here));
        }
    }
    out
}

/// Every string written anywhere inside the `[[rule]]` tables of the rule files: a lexicon
/// named there is read by a field, a link, a stop list or a rewrite.
fn names_in_rules(files: &[SourceFile]) -> HashSet<String> {
    fn strings(v: &toml::Value, out: &mut HashSet<String>) {
        match v {
            toml::Value::String(s) => {
                out.insert(s.clone());
            }
            toml::Value::Array(a) => a.iter().for_each(|i| strings(i, out)),
            toml::Value::Table(t) => t.values().for_each(|i| strings(i, out)),
            _ => {}
        }
    }
    let mut out = HashSet::new();
    for f in files.iter().filter(|f| f.kind == FileKind::Rules) {
        if let Ok(t) = toml::from_str::<toml::Table>(&f.text)
            && let Some(rules) = t.get("rule")
        {
            strings(rules, &mut out);
        }
    }
    out
}

/// Grammar rules reachable from any rule's entry.
fn reachable(set: &RuleSet) -> HashSet<String> {
    let mut seen = HashSet::new();
    let mut stack: Vec<String> = set.rules.iter().map(|r| r.entry.clone()).collect();
    while let Some(name) = stack.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        if let Some(expr) = set.grammar.expr(&name) {
            for e in expr.iter_top_down() {
                if let OptimizedExpr::Ident(n) = e {
                    stack.push(n.clone());
                }
            }
        }
    }
    seen
}

fn unused_entries(set: &RuleSet, files: &[SourceFile]) -> Vec<LoadError> {
    let reached = reachable(set);
    let named = names_in_rules(files);
    let mut out = Vec::new();
    for lexicon in set.lexicons.names() {
        if reached.contains(lexicon) || named.contains(lexicon) {
            continue;
        }
        let entries: Vec<_> = set.lexicons.entries(lexicon).collect();
        let unused: Vec<_> = entries
            .iter()
            .filter(|e| !reached.contains(&e.rule_name()))
            .collect();
        if unused.len() == entries.len() {
            if let Some(first) = entries.first() {
                out.push(LoadError::new(
                    first.location.clone(),
                    LoadErrorKind::Unused,
                    format!(
                        "no rule uses lexicon `{lexicon}` ({} entries): no grammar reachable from a rule's entry matches it, and no field or link names it",
                        entries.len()
                    ),
                ));
            }
            continue;
        }
        for e in unused {
            out.push(LoadError::new(
                e.location.clone(),
                LoadErrorKind::Unused,
                format!(
                    "entry `{}.{}` is never matched: rules reach only other entries of `{lexicon}` by name (`{}`)",
                    e.lexicon,
                    e.id,
                    e.rule_name()
                ),
            ));
        }
    }
    out
}
