//! Writing records: JSONL (default), JSON, YAML, or CSV — to standard output, or with an
//! output folder one file per record type (`amount.csv`, `deposit.jsonl`, …), optionally only
//! some record types.

use crate::record::{FieldValue, Record};
use crate::rules::RuleSet;
use std::collections::{BTreeMap, HashSet};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One JSON record per line.
    Jsonl,
    /// One JSON array.
    Json,
    /// A YAML sequence.
    Yaml,
    /// One CSV table per record type.
    Csv,
}

impl Format {
    fn extension(self) -> &'static str {
        match self {
            Format::Jsonl => "jsonl",
            Format::Json => "json",
            Format::Yaml => "yaml",
            Format::Csv => "csv",
        }
    }
}

/// Why output could not be written.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// Writing failed (a closed pipe shows up here too).
    #[error("{path}: {source}")]
    Io {
        /// What was being written.
        path: String,
        /// The error.
        source: io::Error,
    },
    /// CSV needs one table per record type.
    #[error("CSV writes one table per record type: give --out DIR, or --types with one type")]
    CsvNeedsFolder,
    /// YAML serialisation failed.
    #[error("YAML: {0}")]
    Yaml(String),
}

impl OutputError {
    /// Whether the reader went away (`nedra … | head`): not worth reporting.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, OutputError::Io { source, .. } if source.kind() == io::ErrorKind::BrokenPipe)
    }
}

struct Sink {
    path: String,
    /// Buffered here, around the boxed writer, so that the many small writes of a record's
    /// serialisation are copies into the buffer, not calls through the box.
    out: BufWriter<Box<dyn Write + Send>>,
    first: bool,
    csv: Option<csv::Writer<Box<dyn Write + Send>>>,
}

/// Where and how records go.
pub struct Output {
    format: Format,
    types: Option<HashSet<String>>,
    folder: Option<PathBuf>,
    columns: BTreeMap<String, Vec<String>>,
    sinks: BTreeMap<String, Sink>,
}

const STDOUT: &str = "<stdout>";

impl Output {
    /// Records in `format`, to `folder` (one file per type) or standard output, only the
    /// `types` given (all when `None`). CSV columns come from the rule set's record types.
    pub fn new(
        format: Format,
        folder: Option<&Path>,
        types: Option<HashSet<String>>,
        rules: &RuleSet,
    ) -> Result<Output, OutputError> {
        if format == Format::Csv && folder.is_none() && types.as_ref().is_none_or(|t| t.len() != 1)
        {
            return Err(OutputError::CsvNeedsFolder);
        }
        if let Some(f) = folder {
            std::fs::create_dir_all(f).map_err(|source| OutputError::Io {
                path: f.display().to_string(),
                source,
            })?;
        }
        let columns = rules
            .records
            .iter()
            .map(|(name, rt)| {
                (
                    name.clone(),
                    rt.fields.iter().map(|(f, _)| f.clone()).collect(),
                )
            })
            .collect();
        Ok(Output {
            format,
            types,
            folder: folder.map(Path::to_path_buf),
            columns,
            sinks: BTreeMap::new(),
        })
    }

    /// Writes the records of one document. Standard output is not flushed here: see
    /// [`Output::flush`].
    pub fn write(&mut self, records: &[Record]) -> Result<(), OutputError> {
        for r in records {
            if self.types.as_ref().is_some_and(|t| !t.contains(&r.kind)) {
                continue;
            }
            let format = self.format;
            let sink = sink(&mut self.sinks, self.folder.as_deref(), format, &r.kind)?;
            let io_err = |source: io::Error| OutputError::Io {
                path: sink.path.clone(),
                source,
            };
            match format {
                Format::Jsonl => {
                    serde_json::to_writer(&mut sink.out, r).map_err(|e| io_err(e.into()))?;
                    sink.out.write_all(b"\n").map_err(io_err)?;
                }
                Format::Json => {
                    sink.out
                        .write_all(if sink.first { b"[\n" } else { b",\n" })
                        .map_err(io_err)?;
                    serde_json::to_writer(&mut sink.out, r).map_err(|e| io_err(e.into()))?;
                }
                Format::Yaml => {
                    let text = serde_norway::to_string(&[r])
                        .map_err(|e| OutputError::Yaml(e.to_string()))?;
                    sink.out.write_all(text.as_bytes()).map_err(io_err)?;
                }
                Format::Csv => {
                    let columns = self.columns.get(&r.kind).map_or(&[][..], Vec::as_slice);
                    if let Some(w) = &mut sink.csv {
                        if sink.first {
                            w.write_record(header(columns))
                                .map_err(|e| io_err(e.into()))?;
                        }
                        w.write_record(row(r, columns))
                            .map_err(|e| io_err(e.into()))?;
                    }
                }
            }
            sink.first = false;
        }
        Ok(())
    }

    /// Passes on what is buffered for standard output. A pipe that writes one article and
    /// waits for its records must get them before nedra waits for the next article, so
    /// this is called whenever the writing thread is about to wait; between documents that
    /// are already done it would only cost a system call each. Files are flushed when they
    /// are closed.
    pub fn flush(&mut self) -> Result<(), OutputError> {
        if let Some(sink) = self.sinks.get_mut(STDOUT) {
            if let Some(w) = &mut sink.csv {
                w.flush().map_err(|source| OutputError::Io {
                    path: sink.path.clone(),
                    source,
                })?;
            }
            sink.out.flush().map_err(|source| OutputError::Io {
                path: sink.path.clone(),
                source,
            })?;
        }
        Ok(())
    }

    /// Closes every output (ends JSON arrays, flushes files).
    pub fn finish(mut self) -> Result<(), OutputError> {
        if self.format == Format::Json && self.sinks.is_empty() && self.folder.is_none() {
            let mut out = io::stdout();
            out.write_all(b"[]\n").map_err(|source| OutputError::Io {
                path: STDOUT.into(),
                source,
            })?;
        }
        for (_, mut sink) in std::mem::take(&mut self.sinks) {
            let path = sink.path.clone();
            let io_err = |source: io::Error| OutputError::Io {
                path: path.clone(),
                source,
            };
            if self.format == Format::Json {
                sink.out
                    .write_all(if sink.first { b"[]\n" } else { b"\n]\n" })
                    .map_err(io_err)?;
            }
            if let Some(w) = &mut sink.csv {
                w.flush().map_err(io_err)?;
            }
            sink.out.flush().map_err(io_err)?;
        }
        Ok(())
    }
}

/// The sink of records of type `kind`: standard output, or with a `folder` the type's
/// file there, opened on first use. A name is allocated only then.
fn sink<'s>(
    sinks: &'s mut BTreeMap<String, Sink>,
    folder: Option<&Path>,
    format: Format,
    kind: &str,
) -> Result<&'s mut Sink, OutputError> {
    let key = if folder.is_some() { kind } else { STDOUT };
    if !sinks.contains_key(key) {
        let (path, out): (String, Box<dyn Write + Send>) = match folder {
            Some(dir) => {
                let p = dir.join(format!("{kind}.{}", format.extension()));
                let f = std::fs::File::create(&p).map_err(|source| OutputError::Io {
                    path: p.display().to_string(),
                    source,
                })?;
                (p.display().to_string(), Box::new(f))
            }
            None => (STDOUT.to_string(), Box::new(io::stdout())),
        };
        let sink = if format == Format::Csv {
            Sink {
                path,
                out: BufWriter::new(Box::new(io::sink())),
                first: true,
                csv: Some(csv::Writer::from_writer(out)),
            }
        } else {
            Sink {
                path,
                out: BufWriter::new(out),
                first: true,
                csv: None,
            }
        };
        sinks.insert(key.to_string(), sink);
    }
    sinks.get_mut(key).ok_or(OutputError::CsvNeedsFolder)
}

fn header(columns: &[String]) -> Vec<String> {
    let mut h: Vec<String> = ["doc", "rule", "lang", "start", "end", "text"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    h.extend(columns.iter().cloned());
    h
}

/// A value as a spreadsheet cell: decimals plain, lists joined by "; ", nested records as JSON.
fn cell(v: &FieldValue) -> String {
    match v {
        FieldValue::Text(t) => t.clone(),
        FieldValue::Decimal(d) => d.normalize().to_string(),
        FieldValue::Null => String::new(),
        FieldValue::List(items) => items.iter().map(cell).collect::<Vec<_>>().join("; "),
        FieldValue::Map(_) => serde_json::to_string(v).unwrap_or_default(),
    }
}

fn row(r: &Record, columns: &[String]) -> Vec<String> {
    let (start, end, text) = match &r.span {
        Some(s) => (s.start.to_string(), s.end.to_string(), s.text.clone()),
        None => (String::new(), String::new(), String::new()),
    };
    let mut out = vec![
        r.doc.clone(),
        r.rule.clone(),
        r.lang.map(|l| l.code().to_string()).unwrap_or_default(),
        start,
        end,
        text,
    ];
    out.extend(
        columns
            .iter()
            .map(|c| r.field(c).map(cell).unwrap_or_default()),
    );
    out
}
