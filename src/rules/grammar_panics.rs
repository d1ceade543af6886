//! Pinning a `pest_meta` panic on the grammar rule that causes it.
//!
//! `pest_meta` panics instead of returning an error on a few malformed grammars (a string
//! escape that is no Unicode scalar value such as `"\u{D800}"`, a `PEEK` index out of
//! range, a choice with nothing before its first `|` in parentheses). The grammar module
//! contains the panic but can only say that the combined grammar panicked. This module
//! finds the culprit: each rule definition of each grammar file is given to `pest_meta`
//! alone, and the ones that panic are reported at their own file:line:column.

use crate::error::{LoadError, LoadErrorKind};
use crate::rules::source::{FileKind, SourceFile};
use pest_meta::parser::{self, Rule as MetaRule};
use std::panic::{AssertUnwindSafe, catch_unwind};

const PANICKED: &str = "(it panicked:";

/// The rule definitions of a grammar file that make `pest_meta` panic on their own.
fn panicking_rules(file: &SourceFile) -> Vec<LoadError> {
    let defs = catch_unwind(AssertUnwindSafe(|| {
        parser::parse(MetaRule::grammar_rules, &file.text).map(|pairs| {
            pairs
                .flatten()
                .filter(|p| p.as_rule() == MetaRule::grammar_rule)
                .map(|p| (p.as_span().start(), p.as_str().to_string()))
                .collect::<Vec<_>>()
        })
    }));
    let Ok(Ok(defs)) = defs else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (start, text) in defs {
        if let Err(p) = catch_unwind(AssertUnwindSafe(|| pest_meta::parse_and_optimize(&text))) {
            out.push(LoadError::new(
                file.location(start),
                LoadErrorKind::Grammar,
                format!(
                    "pest cannot read this rule (pest_meta panics: {}); look for an escape such as \"\\u{{D800}}\" that is no character, a PEEK index out of range, or a `|` with nothing before it",
                    crate::error::panic_message(&*p).trim()
                ),
            ));
        }
    }
    out
}

/// Replaces the vague "the combined grammar panicked" error among `errors` by one error
/// per rule that panics, when they can be found.
pub fn locate(errors: Vec<LoadError>, files: &[SourceFile]) -> Vec<LoadError> {
    if !errors.iter().any(|e| e.message.contains(PANICKED)) {
        return errors;
    }
    let found: Vec<LoadError> = files
        .iter()
        .filter(|f| f.kind == FileKind::Grammar)
        .flat_map(panicking_rules)
        .collect();
    if found.is_empty() {
        return errors;
    }
    errors
        .into_iter()
        .filter(|e| !e.message.contains(PANICKED))
        .chain(found)
        .collect()
}
