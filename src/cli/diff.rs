//! `nedra diff`: run two rule sets over a corpus and print what changes.

use super::common::{RuleArgs, load_files, report};
use super::git;
use anyhow::Result;
use clap::Args;
use nedra::diff::{Summary, diff_doc};
use nedra::input::Inputs;
use nedra::rules::source::{self, SourceFile};
use nedra::{Extractor, LoadErrors};
use std::path::PathBuf;
use std::process::ExitCode;

/// The two sides of a diff.
#[derive(Args, Clone, Debug)]
pub struct Sides {
    /// A rule folder of the old side (repeatable), on top of the built-in and --rules ones.
    #[arg(long = "old", value_name = "DIR")]
    pub old: Vec<PathBuf>,
    /// A rule folder of the new side (repeatable), on top of the built-in and --rules ones.
    #[arg(long = "new", value_name = "DIR")]
    pub new: Vec<PathBuf>,
    /// The old side's built-in rules are `grammars/` and `rules/` of this git revision
    /// (of the repository holding the current folder) instead of those in the binary.
    #[arg(long, value_name = "REV")]
    pub old_rev: Option<String>,
    /// The new side's built-in rules are those of this git revision.
    #[arg(long, value_name = "REV")]
    pub new_rev: Option<String>,
    /// Exit with 1 when anything differs (as `git diff --exit-code`).
    #[arg(long)]
    pub exit_code: bool,
}

/// The files of one side: its base (a revision, the defaults, or nothing), then the shared
/// folders, then its own.
fn side(rev: Option<&str>, shared: &RuleArgs, own: &[PathBuf]) -> Result<Option<Vec<SourceFile>>> {
    let mut files = match rev {
        Some(rev) => git::rule_files(rev)?,
        None if !shared.no_default_rules => source::defaults(),
        None => Vec::new(),
    };
    let mut errors = Vec::new();
    for (i, dir) in shared.rules.iter().chain(own).enumerate() {
        match source::from_dir(dir, i + 1) {
            Ok(f) => files.extend(f),
            Err(e) => errors.extend(e),
        }
    }
    if !errors.is_empty() {
        report(&LoadErrors(errors), &[]);
        return Ok(None);
    }
    Ok(Some(files))
}

/// Runs `diff`: exit 0 (1 with `--exit-code` when anything differs, or when a document
/// could not be read), 2 when either rule set does not load.
pub fn run(corpus: &[String], shared: &RuleArgs, sides: &Sides) -> Result<ExitCode> {
    let mut ex = Vec::new();
    for (name, rev, own) in [
        ("old", sides.old_rev.as_deref(), &sides.old),
        ("new", sides.new_rev.as_deref(), &sides.new),
    ] {
        let files = match side(rev, shared, own) {
            Ok(files) => files,
            Err(e) => {
                eprintln!("nedra: the {name} rules: {e:#}");
                return Ok(ExitCode::from(2));
            }
        };
        let Some(set) = files.and_then(load_files) else {
            eprintln!("nedra: the {name} rules do not load");
            return Ok(ExitCode::from(2));
        };
        ex.push(Extractor::new(set));
    }
    let mut summary = Summary::default();
    let mut failed = 0;
    for doc in Inputs::new(corpus) {
        let bytes = match &doc.content {
            Ok(b) => b,
            Err(e) => {
                eprintln!("nedra: {}: {e}", doc.id);
                failed += 1;
                continue;
            }
        };
        let (old, _) = ex[0].extract_bytes(&doc.id, bytes);
        let (new, _) = ex[1].extract_bytes(&doc.id, bytes);
        let (d, same) = diff_doc(&doc.id, &old, &new);
        print!("{d}");
        summary.add(&d, &same);
    }
    if !summary.is_empty() {
        println!();
    }
    println!("{summary}");
    Ok(if failed > 0 || (sides.exit_code && !summary.is_empty()) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
