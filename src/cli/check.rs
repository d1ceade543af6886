//! `nedra check`: load everything, report every error and warning in its source line.

use super::common::{RuleArgs, color, quietly, report};
use nedra::RuleSet;
use std::collections::HashSet;
use std::process::ExitCode;

/// Runs `check`: exit 0 when the rules load (warnings allowed unless `strict`), 1 otherwise.
///
/// Warnings are shown for the folders given with `--rules`; for the built-in rules only
/// when no folder is given.
pub fn run(args: &RuleArgs, strict: bool) -> ExitCode {
    let files = match RuleSet::read(&args.sources()) {
        Ok(files) => files,
        Err(errors) => {
            report(&errors, &[]);
            return ExitCode::from(1);
        }
    };
    let set = match quietly(|| RuleSet::from_files(files.clone())) {
        Ok(set) => set,
        Err(errors) => {
            report(&errors, &files);
            return ExitCode::from(1);
        }
    };
    let mine: HashSet<&str> = files
        .iter()
        .filter(|f| args.rules.is_empty() || f.layer > 0)
        .map(|f| f.name.as_str())
        .collect();
    let warnings: Vec<_> = nedra::lint::warnings(&set, &files)
        .into_iter()
        .filter(|w| mine.contains(w.location.file.as_str()))
        .collect();
    let color = color();
    for w in &warnings {
        eprintln!("{}", nedra::diagnostics::render(w, &files, color));
    }
    println!(
        "ok: {} rules, {} record types",
        set.rules.len(),
        set.records.len()
    );
    if !warnings.is_empty() {
        eprintln!("nedra: {} warning(s)", warnings.len());
    }
    if strict && !warnings.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
