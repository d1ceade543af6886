//! `nedra eval`: precision, recall and F1 per record type against a gold file, with the
//! semantics (and the output) of `shared/eval/score_records.py`.

use super::common::{RuleArgs, load};
use anyhow::{Context, Result};
use nedra::Extractor;
use nedra::eval::{Gold, Predictions, score};
use std::path::Path;
use std::process::ExitCode;

/// What to score and how to print it.
pub struct EvalArgs<'a> {
    /// The gold JSONL file.
    pub gold: &'a Path,
    /// nedra's JSONL output to score; extract with the rules when absent.
    pub pred: Option<&'a Path>,
    /// Only gold documents of this language.
    pub lang: Option<&'a str>,
    /// Print JSON instead of the table.
    pub json: bool,
    /// Print this many disagreements to standard error.
    pub show_errors: usize,
}

/// Runs `eval`: exit 0, 1 when a file cannot be read or parsed, 2 when the rules do not
/// load.
pub fn run(args: &EvalArgs<'_>, rules: &RuleArgs) -> Result<ExitCode> {
    let read =
        |p: &Path| std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()));
    let gold = match read(args.gold)
        .map(|t| Gold::parse(&t).with_context(|| format!("{}", args.gold.display())))
    {
        Ok(Ok(g)) => g,
        Ok(Err(e)) | Err(e) => {
            eprintln!("nedra: {e:#}");
            return Ok(ExitCode::from(1));
        }
    };
    let gold = match args.lang {
        Some(l) => gold.only_lang(l),
        None => gold,
    };
    let pred = match args.pred {
        Some(p) => match read(p)
            .map(|t| Predictions::parse(&t).with_context(|| format!("{}", p.display())))
        {
            Ok(Ok(p)) => p,
            Ok(Err(e)) | Err(e) => {
                eprintln!("nedra: {e:#}");
                return Ok(ExitCode::from(1));
            }
        },
        None => {
            let Some(set) = load(rules) else {
                return Ok(ExitCode::from(2));
            };
            let ex = Extractor::new(set);
            let mut pred = Predictions::default();
            for d in &gold.docs {
                let id = d.id.as_str().map_or_else(|| d.key.clone(), str::to_string);
                let (records, err) = ex.extract_bytes(&id, d.text.as_bytes());
                if let Some(e) = err {
                    eprintln!("nedra: {id}: {e}");
                }
                for r in records {
                    if let Ok(serde_json::Value::Object(o)) = serde_json::to_value(&r) {
                        pred.add(&d.key, o);
                    }
                }
            }
            pred
        }
    };
    let report = score(&gold, &pred);
    if args.json {
        println!("{}", report.to_json());
    } else {
        print!("{}", report.table());
    }
    for e in report.errors.iter().take(args.show_errors) {
        eprintln!("{}", e.join(" | "));
    }
    Ok(ExitCode::SUCCESS)
}
