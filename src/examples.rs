//! Running the examples written in rule files: the machinery behind `nedra test` and the
//! `cargo test` check of the built-in rules.

use crate::error::Location;
use crate::extract::{Extractor, fields::same_value};
use crate::record::Record;
use crate::rules::Rule;

/// One example that did not give what it says.
#[derive(Debug, Clone)]
pub struct Failure {
    /// The rule.
    pub rule: String,
    /// Where the example is written.
    pub location: Location,
    /// The example text.
    pub text: String,
    /// Expected-vs-got, one line per field.
    pub problems: Vec<String>,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: rule `{}`, example {:?}:",
            self.location, self.rule, self.text
        )?;
        for p in &self.problems {
            write!(f, "\n    {p}")?;
        }
        Ok(())
    }
}

/// The result of running examples.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Examples that held.
    pub passed: usize,
    /// Examples that did not.
    pub failures: Vec<Failure>,
}

/// Runs the examples of every rule (or only those whose id is in `only`).
pub fn run(ex: &Extractor, only: Option<&[String]>) -> Report {
    let mut report = Report::default();
    for rule in &ex.rules().rules {
        if only.is_some_and(|ids| !ids.contains(&rule.id)) {
            continue;
        }
        for f in run_rule(ex, rule) {
            match f {
                Ok(()) => report.passed += 1,
                Err(f) => report.failures.push(f),
            }
        }
    }
    report
}

fn show(r: &Record) -> String {
    let text = r.span.as_ref().map_or("", |s| s.text.as_str());
    let fields: Vec<String> = r
        .fields
        .iter()
        .map(|(k, v)| format!("{k}={}", serde_json::to_string(v).unwrap_or_default()))
        .collect();
    format!(
        "{} {:?} by `{}` [{}]",
        r.kind,
        text,
        r.rule,
        fields.join(", ")
    )
}

fn hidden_finals(ex: &Extractor, trace: &crate::extract::Trace) -> Vec<Record> {
    trace
        .outcomes
        .iter()
        .filter(|o| o.lost_to.is_none())
        .filter_map(|o| o.result.as_ref().ok())
        .filter(|r| ex.rules().records.get(&r.kind).is_some_and(|rt| !rt.output))
        .cloned()
        .collect()
}

/// Runs one rule's examples; each item is one example's outcome.
pub fn run_rule(ex: &Extractor, rule: &Rule) -> Vec<Result<(), Failure>> {
    let mut out = Vec::new();
    for e in &rule.examples {
        let (mut records, trace) = ex.trace("example", &e.text, Some(rule.lang));
        // Helper record types (`output = false`) are not printed, but their rules have
        // examples too: look at every final record.
        records.extend(hidden_finals(ex, &trace));
        let mine: Vec<&Record> = records.iter().filter(|r| r.rule == rule.id).collect();
        let fail = |problems: Vec<String>| Failure {
            rule: rule.id.clone(),
            location: e.location.clone(),
            text: e.text.clone(),
            problems,
        };
        if mine.is_empty() {
            let mut problems = vec!["expected a record from this rule, got none".to_string()];
            problems.extend(
                records
                    .iter()
                    .filter(|r| r.span.is_some())
                    .map(|r| format!("got instead: {}", show(r))),
            );
            out.push(Err(fail(problems)));
            continue;
        }
        let diffs = |r: &Record| -> Vec<String> {
            e.expect
                .iter()
                .filter_map(|(k, want)| {
                    let got = if k == "text" {
                        r.span
                            .as_ref()
                            .map(|s| crate::record::FieldValue::Text(s.text.clone()))
                    } else {
                        r.field(k).cloned()
                    };
                    match got {
                        Some(g) if same_value(want, &g) => None,
                        Some(g) => Some(format!(
                            "{k}: expected {want}, got {}",
                            serde_json::to_string(&g).unwrap_or_default()
                        )),
                        None => Some(format!("{k}: expected {want}, got nothing")),
                    }
                })
                .collect()
        };
        match mine.iter().find(|r| diffs(r).is_empty()) {
            // The record must also fit its declared type, which load time cannot always
            // tell (an `enum` field filled from raw text).
            Some(r) => {
                let misfits = crate::rules::types::check_record(&ex.rules().records, r);
                if misfits.is_empty() {
                    out.push(Ok(()));
                } else {
                    out.push(Err(fail(misfits)));
                }
            }
            None => out.push(Err(fail(diffs(mine[0])))),
        }
    }
    for n in &rule.negatives {
        let (records, _) = ex.trace("example", &n.text, Some(rule.lang));
        let bad: Vec<String> = records
            .iter()
            .filter(|r| r.kind == rule.emits)
            // Every input has a document record: for that type, a negative means this rule
            // did not make it.
            .filter(|r| r.kind != crate::extract::DOCUMENT || r.rule == rule.id)
            .map(|r| format!("expected no {} record, got {}", rule.emits, show(r)))
            .collect();
        if bad.is_empty() {
            out.push(Ok(()));
        } else {
            out.push(Err(Failure {
                rule: rule.id.clone(),
                location: n.location.clone(),
                text: n.text.clone(),
                problems: bad,
            }));
        }
    }
    out
}
