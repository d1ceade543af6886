//! `nedra test`: run the rules' examples, print each failure as expected-vs-got.

use super::common::{RuleArgs, load};
use nedra::Extractor;
use std::process::ExitCode;

/// Runs `test`: exit 0 when every example holds, 1 on any failure or when the rules do
/// not load.
pub fn run(rules: &RuleArgs, only: &[String]) -> ExitCode {
    let Some(set) = load(rules) else {
        return ExitCode::from(1);
    };
    if let Some(id) = only.iter().find(|id| set.rule(id).is_none()) {
        let known = set.rules.iter().map(|r| r.id.as_str());
        eprintln!(
            "nedra: no rule with id `{id}`{}",
            nedra::suggest::did_you_mean(id, known)
        );
        return ExitCode::from(1);
    }
    let ex = Extractor::new(set);
    let only = (!only.is_empty()).then_some(only);
    let report = nedra::examples::run(&ex, only);
    for f in &report.failures {
        println!("FAIL {f}");
    }
    println!("{} passed, {} failed", report.passed, report.failures.len());
    if report.failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
