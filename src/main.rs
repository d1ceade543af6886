//! The `nedra` command line: extract records, check rule folders, run rule examples.

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};
use nedra::input::Inputs;
use nedra::{Extractor, Record, RuleSet, RuleSources};
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// Rule-based extraction of amounts, percentages, deposits and agreements from Russian and
/// Kazakh news.
#[derive(Parser)]
#[command(name = "nedra", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct RuleArgs {
    /// A rule folder (`.toml` rules and lexicons, `.pest` grammars); repeatable. Its rules
    /// are added to the defaults, or replace those with the same id.
    #[arg(long = "rules", value_name = "DIR")]
    rules: Vec<PathBuf>,
    /// Use only the rule folders given with --rules.
    #[arg(long)]
    no_default_rules: bool,
}

impl RuleArgs {
    fn load(&self) -> Result<RuleSet, nedra::LoadErrors> {
        RuleSet::load(&RuleSources {
            defaults: !self.no_default_rules,
            dirs: self.rules.clone(),
        })
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    /// One JSON record per line.
    Jsonl,
    /// One JSON array.
    Json,
    /// A YAML sequence.
    Yaml,
}

#[derive(Subcommand)]
enum Command {
    /// Extract records from files, folders (recursively, *.txt), JSONL files ({"id","text"}
    /// per line) or `-` (standard input).
    Extract {
        /// Inputs.
        #[arg(required = true)]
        inputs: Vec<String>,
        #[command(flatten)]
        rules: RuleArgs,
        /// Output format.
        #[arg(long, value_enum, default_value = "jsonl")]
        format: Format,
    },
    /// Load the rule folders and report every problem with file:line:column.
    Check {
        #[command(flatten)]
        rules: RuleArgs,
    },
    /// Run every rule's examples; print each failure as expected-vs-got.
    Test {
        #[command(flatten)]
        rules: RuleArgs,
        /// Only the rules with these ids.
        #[arg(long = "rule", value_name = "ID")]
        only: Vec<String>,
    },
}

fn load_or_report(args: &RuleArgs) -> Option<RuleSet> {
    match args.load() {
        Ok(r) => Some(r),
        Err(errors) => {
            for e in &errors.0 {
                eprintln!("error: {e}");
            }
            eprintln!(
                "nedra: {} problem(s) in the rules; nothing extracted",
                errors.0.len()
            );
            None
        }
    }
}

fn write_records(
    out: &mut dyn Write,
    format: Format,
    records: &[Record],
    first: &mut bool,
) -> Result<()> {
    for r in records {
        match format {
            Format::Jsonl => {
                serde_json::to_writer(&mut *out, r)?;
                out.write_all(b"\n")?;
            }
            Format::Json => {
                out.write_all(if *first { b"[\n" } else { b",\n" })?;
                serde_json::to_writer(&mut *out, r)?;
            }
            Format::Yaml => {
                let doc = serde_norway::to_string(&[r])?;
                out.write_all(doc.as_bytes())?;
            }
        }
        *first = false;
    }
    Ok(())
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || c.downcast_ref::<serde_json::Error>()
                .and_then(|j| j.io_error_kind())
                .is_some_and(|k| k == std::io::ErrorKind::BrokenPipe)
    })
}

fn extract(inputs: &[String], rules: &RuleArgs, format: Format) -> Result<ExitCode> {
    let Some(set) = load_or_report(rules) else {
        return Ok(ExitCode::from(2));
    };
    let ex = Extractor::new(set);
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let mut failed = 0usize;
    let mut first = true;
    for doc in Inputs::new(inputs) {
        let records = match &doc.content {
            Ok(bytes) => {
                let (records, err) = ex.extract_bytes(&doc.id, bytes);
                if let Some(e) = err {
                    eprintln!("nedra: {}: {e}", doc.id);
                    failed += 1;
                }
                records
            }
            Err(e) => {
                eprintln!("nedra: {}: {e}", doc.id);
                failed += 1;
                vec![nedra::extract::failed_document(&doc.id, e)]
            }
        };
        if let Err(e) = write_records(&mut out, format, &records, &mut first) {
            if is_broken_pipe(&e) {
                return Ok(ExitCode::SUCCESS); // the reader (e.g. `head`) has had enough
            }
            return Err(e.context("writing records"));
        }
    }
    if matches!(format, Format::Json) {
        out.write_all(if first { b"[]\n" } else { b"\n]\n" })?;
    }
    match out.flush() {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(ExitCode::SUCCESS),
        other => other.context("writing records")?,
    }
    Ok(if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn main() -> Result<ExitCode> {
    let cli = Cli::parse();
    match cli.command {
        Command::Extract {
            inputs,
            rules,
            format,
        } => extract(&inputs, &rules, format),
        Command::Check { rules } => Ok(match load_or_report(&rules) {
            Some(set) => {
                let n = set.rules.len();
                println!("ok: {n} rules, {} record types", set.records.len());
                ExitCode::SUCCESS
            }
            None => ExitCode::from(1),
        }),
        Command::Test { rules, only } => {
            let Some(set) = load_or_report(&rules) else {
                return Ok(ExitCode::from(1));
            };
            let ex = Extractor::new(set);
            let only = (!only.is_empty()).then_some(only.as_slice());
            let report = nedra::examples::run(&ex, only);
            for f in &report.failures {
                println!("FAIL {f}");
            }
            println!("{} passed, {} failed", report.passed, report.failures.len());
            Ok(if report.failures.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
    }
}
