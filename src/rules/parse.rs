//! Reading a rule file's TOML so that one mistake does not hide the next.
//!
//! `toml::from_str` stops at the first problem of a file. Rule authors want them all, so a
//! file is read in two steps: the TOML syntax with error recovery (every syntax error, at
//! most one per line, since recovery tends to cascade), then the rule-file format. When the
//! format step fails, the item holding the error — one `[[rule]]`, one lexicon entry, one
//! record type, one rewrite table, or an unknown top-level key — is reported and left out,
//! and the rest is read again, until it reads. A file with syntax errors reports only those:
//! what recovery makes of the broken part would give misleading follow-up errors.

use crate::error::{LoadError, LoadErrorKind, Location};
use crate::rules::schema::RuleFile;
use crate::rules::source::SourceFile;
use serde::Deserialize;
use std::ops::Range;
use toml::Spanned;
use toml::de::{DeArray, DeTable, DeValue, ValueDeserializer};

/// One step of a path into the TOML tree.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Key(String),
    Index(usize),
}

/// How deep the items of each top-level key lie: `rule[i]`, `lexicon.NAME.ID`,
/// `record.NAME`, `rewrite.NAME`; any other key is an item itself.
fn item_depth(top: &str) -> usize {
    match top {
        "rule" => 2,
        "lexicon" => 3,
        "record" | "rewrite" => 2,
        _ => 1,
    }
}

fn location(file: &SourceFile, span: Option<Range<usize>>) -> Location {
    span.map_or_else(
        || Location::file_start(&file.name),
        |s| file.location(s.start),
    )
}

/// Parses one `.toml` rule file: the file when it reads (possibly with items left out), and
/// every problem found, in file order.
pub fn rule_file(file: &SourceFile) -> (Option<RuleFile>, Vec<LoadError>) {
    let (table, syntax) = DeTable::parse_recoverable(&file.text);
    if !syntax.is_empty() {
        let mut errors: Vec<LoadError> = Vec::new();
        for e in syntax {
            let loc = location(file, e.span());
            if errors.iter().any(|prev| prev.location.line == loc.line) {
                continue;
            }
            errors.push(LoadError::new(
                loc,
                LoadErrorKind::Toml,
                e.message().trim().to_string(),
            ));
        }
        errors.sort_by(|a, b| a.location.cmp(&b.location));
        return (None, errors);
    }
    let span = table.span();
    let mut root = table.into_inner();
    let mut errors = Vec::new();
    // Every round either reads the file or removes one item, so this ends.
    loop {
        let value = Spanned::new(span.clone(), DeValue::Table(root.clone()));
        match RuleFile::deserialize(ValueDeserializer::from(value)) {
            Ok(rf) => {
                errors.sort_by(|a: &LoadError, b: &LoadError| a.location.cmp(&b.location));
                return (Some(rf), errors);
            }
            Err(e) => {
                let at = e.span();
                errors.push(LoadError::new(
                    location(file, at.clone()),
                    LoadErrorKind::Toml,
                    with_suggestion(e.message().trim()),
                ));
                let path = at.and_then(|s| path_to(&root, s.start));
                let removed = path.is_some_and(|p| {
                    let depth = match p.first() {
                        Some(Step::Key(k)) => item_depth(k),
                        _ => 1,
                    };
                    remove(&mut root, &p[..p.len().min(depth)])
                });
                if !removed {
                    errors.sort_by(|a, b| a.location.cmp(&b.location));
                    return (None, errors);
                }
            }
        }
    }
}

/// serde's "unknown field `priorty`, expected one of `id`, …" with "(did you mean
/// `priority`?)" added when one of the expected names is close.
fn with_suggestion(message: &str) -> String {
    let Some(rest) = message.strip_prefix("unknown field `") else {
        return message.to_string();
    };
    let Some((name, expected)) = rest.split_once('`') else {
        return message.to_string();
    };
    let known: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    format!("{message}{}", crate::suggest::did_you_mean(name, known))
}

/// A node of the tree with the spans that stand for it.
struct Node {
    path: Vec<Step>,
    spans: Vec<Range<usize>>,
}

fn collect(value: &DeValue<'_>, path: &mut Vec<Step>, out: &mut Vec<Node>) {
    match value {
        DeValue::Table(t) => {
            for (k, v) in t.iter() {
                path.push(Step::Key(k.get_ref().to_string()));
                out.push(Node {
                    path: path.clone(),
                    spans: vec![k.span(), v.span()],
                });
                collect(v.get_ref(), path, out);
                path.pop();
            }
        }
        DeValue::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                path.push(Step::Index(i));
                out.push(Node {
                    path: path.clone(),
                    spans: vec![v.span()],
                });
                collect(v.get_ref(), path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

/// The path of the node an error at byte `at` belongs to: the innermost node whose span
/// holds it, or else the last node that starts before it (a table's header span does not
/// cover its body).
fn path_to(root: &DeTable<'_>, at: usize) -> Option<Vec<Step>> {
    let mut nodes = Vec::new();
    collect(&DeValue::Table(root.clone()), &mut Vec::new(), &mut nodes);
    let holding = nodes
        .iter()
        .filter_map(|n| {
            n.spans
                .iter()
                .filter(|s| s.start <= at && (at < s.end || s.start == s.end && at == s.start))
                .map(|s| s.end - s.start)
                .min()
                .map(|len| (len, n))
        })
        .min_by_key(|(len, n)| (*len, std::cmp::Reverse(n.path.len())));
    if let Some((_, n)) = holding {
        return Some(n.path.clone());
    }
    nodes
        .iter()
        .filter_map(|n| {
            n.spans
                .iter()
                .map(|s| s.start)
                .filter(|&s| s <= at)
                .max()
                .map(|s| (s, n))
        })
        .max_by_key(|(s, n)| (*s, n.path.len()))
        .map(|(_, n)| n.path.clone())
}

/// Removes the node at `path`; false when there is none.
fn remove(root: &mut DeTable<'_>, path: &[Step]) -> bool {
    let Some((first, rest)) = path.split_first() else {
        return false;
    };
    let Step::Key(k) = first else { return false };
    if rest.is_empty() {
        let key = root.keys().find(|key| key.get_ref() == k).cloned();
        return key.is_some_and(|key| root.remove(&key).is_some());
    }
    match root
        .iter_mut()
        .find(|(key, _)| key.get_ref().as_ref() == k.as_str())
    {
        Some((_, v)) => remove_in(v.get_mut(), rest),
        None => false,
    }
}

fn remove_in(value: &mut DeValue<'_>, path: &[Step]) -> bool {
    match (value, path) {
        (DeValue::Table(t), _) => remove(t, path),
        (DeValue::Array(a), [Step::Index(i), rest @ ..]) => {
            if *i >= a.len() {
                return false;
            }
            if rest.is_empty() {
                let mut kept = DeArray::new();
                for (j, item) in a.iter().enumerate() {
                    if j != *i {
                        kept.push(item.clone());
                    }
                }
                *a = kept;
                true
            } else {
                remove_in(a.as_mut()[*i].get_mut(), rest)
            }
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::source::FileKind;

    fn file(text: &str) -> SourceFile {
        SourceFile::new("t.toml", text, FileKind::Rules, 1)
    }

    fn locations(errors: &[LoadError]) -> Vec<(usize, usize)> {
        errors
            .iter()
            .map(|e| (e.location.line, e.location.col))
            .collect()
    }

    #[test]
    fn reports_every_bad_rule_and_keeps_the_good_ones() {
        let f = file(
            "[[rule]]\nid = \"a\"\nentry = \"x\"\nemits = \"amount\"\npriorty = 1\n\
             [[rule]]\nid = 5\nentry = \"x\"\nemits = \"amount\"\n\
             [[rule]]\nid = \"c\"\nentry = \"x\"\nemits = \"amount\"\n\
             [lexicon.unit]\nt = { forms = \"т\" }\nkg = { forms = [\"кг\"] }\n\
             bogus = 1\n",
        );
        let (rf, errors) = rule_file(&f);
        let rf = rf.expect("the rest reads");
        // `bogus = 1` is an entry of `[lexicon.unit]` too: its value is no entry.
        assert_eq!(locations(&errors), vec![(5, 1), (7, 6), (15, 15), (17, 9)]);
        assert_eq!(rf.rule.len(), 1);
        assert_eq!(rf.rule[0].id.get_ref(), "c");
        assert_eq!(rf.lexicon["unit"].len(), 1);
    }

    #[test]
    fn an_unknown_top_level_key_is_left_out() {
        let f = file("lang = \"ru\"\nrules = []\nabbreviations = [\"г\"]\n");
        let (rf, errors) = rule_file(&f);
        assert_eq!(locations(&errors), vec![(2, 1)]);
        assert!(errors[0].message.contains("rules"), "{errors:?}");
        assert_eq!(rf.map(|r| r.abbreviations), Some(vec!["г".to_string()]));
    }

    #[test]
    fn syntax_errors_are_reported_once_per_line() {
        let f = file("[[rule]]\nid = \"x.y\"\nentry = \"unclosed\nemits = \"amount\"\n");
        let (rf, errors) = rule_file(&f);
        assert!(rf.is_none());
        assert_eq!(locations(&errors), vec![(3, 18)]);
    }

    #[test]
    fn a_missing_field_names_its_rule() {
        let f = file(
            "[[rule]]\nid = \"a\"\nentry = \"x\"\n[[rule]]\nid = \"b\"\nentry = \"x\"\nemits = \"amount\"\n",
        );
        let (rf, errors) = rule_file(&f);
        assert_eq!(rf.map(|r| r.rule.len()), Some(1));
        assert_eq!(errors.len(), 1);
        assert!(errors[0].message.contains("emits"), "{errors:?}");
        assert_eq!(errors[0].location.line, 1);
    }
}
