//! `nedra extract`: records from files, folders, JSONL and standard input.

use super::common::{RuleArgs, load};
use anyhow::{Context, Result};
use clap::ValueEnum;
use nedra::input::Inputs;
use nedra::{Extractor, Record};
use std::io::{BufWriter, Write};
use std::process::ExitCode;

/// Output format of `extract`.
#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    /// One JSON record per line.
    Jsonl,
    /// One JSON array.
    Json,
    /// A YAML sequence.
    Yaml,
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

/// Runs `extract`: exit 0, 1 when a document failed, 2 when the rules do not load.
pub fn run(inputs: &[String], rules: &RuleArgs, format: Format) -> Result<ExitCode> {
    let Some(set) = load(rules) else {
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
