//! `nedra extract`: records from files, folders, JSONL and standard input — in parallel,
//! streaming, in input order, with progress on a terminal.

use super::common::{RuleArgs, load};
use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use nedra::Extractor;
use nedra::batch::{self, BatchOptions, DocResult};
use nedra::extract::DOCUMENT;
use nedra::extract::ExtractLimits;
use nedra::input::Inputs;
use nedra::output::{self, Output};
use nedra::record::Record;
use std::collections::{BTreeMap, HashSet};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

/// Output format of `extract`.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Format {
    /// One JSON record per line.
    Jsonl,
    /// One JSON array.
    Json,
    /// A YAML sequence.
    Yaml,
    /// One CSV table per record type (needs --out DIR, or --types with one type).
    Csv,
}

/// Everything `extract` takes besides the inputs and rules.
#[derive(Args, Clone, Debug)]
pub struct ExtractArgs {
    /// Output format.
    #[arg(long, value_enum, default_value = "jsonl")]
    pub format: Format,
    /// Write one file per record type into this folder (amount.jsonl, deposit.csv, …).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Only these record types, comma-separated (e.g. amount,deposit).
    #[arg(long, value_delimiter = ',', value_name = "TYPES")]
    pub types: Vec<String>,
    /// Worker threads; 0 means one per core.
    #[arg(long, short = 'j', default_value_t = 0)]
    pub jobs: usize,
    /// Write each document's records as soon as it is done, not in input order.
    #[arg(long)]
    pub unordered: bool,
    /// No progress bar and no summary.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Print the one-line summary even when standard error is not a terminal.
    #[arg(long)]
    pub summary: bool,
    /// Largest document in bytes; a larger one is an error on that document.
    #[arg(long, default_value_t = ExtractLimits::default().max_bytes, value_name = "BYTES")]
    pub max_bytes: usize,
    /// Matching steps a document may take per byte (plus a fixed base); reaching it is an
    /// error on that document, so a pathological text cannot hang a worker.
    #[arg(long, default_value_t = ExtractLimits::default().steps_per_byte, value_name = "N")]
    pub max_steps_per_byte: u64,
    /// Matching steps every document may take whatever its size (added to the per-byte
    /// budget).
    #[arg(long, default_value_t = ExtractLimits::default().base_steps, value_name = "N")]
    pub max_steps: u64,
    /// Deepest nesting of grammar rule calls (recursive grammars on deeply nested text).
    #[arg(long, default_value_t = ExtractLimits::default().max_depth, value_name = "N")]
    pub max_depth: u32,
}

impl From<Format> for output::Format {
    fn from(f: Format) -> output::Format {
        match f {
            Format::Jsonl => output::Format::Jsonl,
            Format::Json => output::Format::Json,
            Format::Yaml => output::Format::Yaml,
            Format::Csv => output::Format::Csv,
        }
    }
}

fn progress(show: bool) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(4));
    bar.set_style(
        ProgressStyle::with_template("{spinner} {elapsed_precise} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar
}

/// The writing side of a run: the output, the progress shown, and the counts for the
/// summary.
struct Run {
    out: Output,
    bar: ProgressBar,
    started: Instant,
    docs: usize,
    failed: usize,
    bytes: usize,
    by_type: BTreeMap<String, usize>,
    /// Why writing stopped, if it did.
    write_error: Option<output::OutputError>,
}

impl Run {
    /// Counts the records of each type but `document`; a type's name is copied once.
    fn count(&mut self, records: &[Record]) {
        for rec in records.iter().filter(|rec| rec.kind != DOCUMENT) {
            match self.by_type.get_mut(&rec.kind) {
                Some(n) => *n += 1,
                None => {
                    self.by_type.insert(rec.kind.clone(), 1);
                }
            }
        }
    }

    /// The progress line, when it is shown.
    fn show_progress(&self) {
        if self.bar.is_hidden() {
            return;
        }
        let secs = self.started.elapsed().as_secs_f64().max(1e-9);
        let records: usize = self.by_type.values().sum();
        let (docs, failed, bytes) = (self.docs, self.failed, self.bytes);
        self.bar.set_message(format!(
            "{docs} documents, {:.1} MB, {records} records, {failed} errors, {:.2} MB/s",
            bytes as f64 / 1e6,
            bytes as f64 / 1e6 / secs
        ));
        self.bar.tick();
    }
}

impl batch::ResultSink for &mut Run {
    fn take(&mut self, r: &mut DocResult) -> bool {
        self.docs += 1;
        self.bytes += r.bytes;
        if let Some(e) = &r.error {
            self.failed += 1;
            self.bar.suspend(|| eprintln!("nedra: {}: {e}", r.id));
        }
        self.count(&r.records);
        if let Err(e) = self.out.write(&r.records) {
            self.write_error = Some(e);
            return false;
        }
        self.show_progress();
        true
    }

    fn idle(&mut self) -> bool {
        match self.out.flush() {
            Ok(()) => true,
            Err(e) => {
                self.write_error = Some(e);
                false
            }
        }
    }
}

/// Runs `extract`: exit 0, 1 when a document failed, 2 when the rules do not load.
pub fn run(inputs: &[String], rules: &RuleArgs, args: &ExtractArgs) -> Result<ExitCode> {
    let Some(set) = load(rules) else {
        return Ok(ExitCode::from(2));
    };
    let limits = ExtractLimits {
        max_bytes: args.max_bytes,
        steps_per_byte: args.max_steps_per_byte,
        base_steps: args.max_steps,
        max_depth: args.max_depth,
    };
    // Only the types asked for are matched, not merely filtered on the way out.
    let ex = match Extractor::new(set)
        .with_limits(limits)
        .with_types(&args.types)
    {
        Ok(ex) => ex,
        Err(e) => {
            eprintln!("nedra: --types: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let types: Option<HashSet<String>> =
        (!args.types.is_empty()).then(|| args.types.iter().cloned().collect());
    let out = Output::new(args.format.into(), args.out.as_deref(), types, ex.rules())
        .context("opening the output")?;
    let terminal = std::io::stderr().is_terminal();
    let bar = progress(terminal && !args.quiet);
    let mut opts = BatchOptions::new(args.jobs);
    opts.ordered = !args.unordered;
    let mut run = Run {
        out,
        bar,
        started: Instant::now(),
        docs: 0,
        failed: 0,
        bytes: 0,
        by_type: BTreeMap::new(),
        write_error: None,
    };
    batch::run_with(&ex, Inputs::new(inputs), opts, &mut run)?;
    let Run {
        out,
        bar,
        started,
        docs,
        failed,
        bytes,
        by_type,
        write_error,
    } = run;
    bar.finish_and_clear();
    if let Some(e) = write_error {
        if e.is_broken_pipe() {
            return Ok(ExitCode::SUCCESS); // the reader (e.g. `head`) has had enough
        }
        return Err(e).context("writing records");
    }
    match out.finish() {
        Err(e) if e.is_broken_pipe() => return Ok(ExitCode::SUCCESS),
        other => other.context("writing records")?,
    }
    if !args.quiet && (terminal || args.summary) {
        let secs = started.elapsed().as_secs_f64().max(1e-9);
        let counts: Vec<String> = by_type.iter().map(|(t, n)| format!("{n} {t}")).collect();
        eprintln!(
            "nedra: {docs} documents ({:.1} MB) in {secs:.1} s, {:.2} MB/s; records: {}; {failed} failed",
            bytes as f64 / 1e6,
            bytes as f64 / 1e6 / secs,
            if counts.is_empty() {
                "none".to_string()
            } else {
                counts.join(", ")
            }
        );
    }
    Ok(if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
