//! Many documents, in parallel, streaming: documents are read lazily, at most a bounded
//! number are in flight, and results are handed on as soon as they are done — in input order
//! unless asked otherwise — so memory stays flat however large the corpus.

use crate::error::DocError;
use crate::extract::{Extractor, failed_document};
use crate::input::Document;
use crate::record::Record;
use std::collections::BTreeMap;
use std::sync::mpsc;

/// How to run a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchOptions {
    /// Worker threads (at least 1).
    pub jobs: usize,
    /// Hand results on in input order (otherwise as they finish).
    pub ordered: bool,
    /// Most documents read but not yet handed on (bounds memory).
    pub window: usize,
}

impl BatchOptions {
    /// `jobs` workers (0: all cores), results in input order, a window of 8 per worker.
    pub fn new(jobs: usize) -> BatchOptions {
        let jobs = if jobs == 0 {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        } else {
            jobs
        };
        BatchOptions {
            jobs,
            ordered: true,
            window: jobs * 8,
        }
    }
}

/// What one document gave.
#[derive(Debug, Clone)]
pub struct DocResult {
    /// Position in the input (0-based).
    pub index: usize,
    /// The document's id.
    pub id: String,
    /// Its records, the `document` record first.
    pub records: Vec<Record>,
    /// Why it failed, if it did.
    pub error: Option<DocError>,
    /// Its size in bytes.
    pub bytes: usize,
}

fn process(ex: &Extractor, index: usize, doc: Document) -> DocResult {
    match doc.content {
        Ok(bytes) => {
            let (records, error) = ex.extract_bytes(&doc.id, &bytes);
            DocResult {
                index,
                id: doc.id,
                records,
                error,
                bytes: bytes.len(),
            }
        }
        Err(e) => DocResult {
            index,
            records: vec![failed_document(&doc.id, &e)],
            id: doc.id,
            error: Some(e),
            bytes: 0,
        },
    }
}

/// Why a batch stopped early.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    /// The thread pool could not be built.
    #[error("cannot start worker threads: {0}")]
    Pool(String),
}

/// Runs `ex` over `docs`, handing every result to `sink`; `sink` returns `false` to stop
/// (e.g. the output pipe closed), after which no more documents are read.
pub fn run<I, F>(ex: &Extractor, docs: I, opts: BatchOptions, mut sink: F) -> Result<(), BatchError>
where
    I: IntoIterator<Item = Document>,
    F: FnMut(DocResult) -> bool,
{
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.jobs.max(1))
        .thread_name(|i| format!("nedra-worker-{i}"))
        .build()
        .map_err(|e| BatchError::Pool(e.to_string()))?;
    let window = opts.window.max(1);
    let mut docs = docs.into_iter();
    // The scope's body runs on this thread (reading and handing on); only extraction runs
    // on the pool, so one worker is enough and nothing waits on itself.
    pool.in_place_scope(|scope| {
        let (tx, rx) = mpsc::channel::<DocResult>();
        let (mut read, mut next_out, mut in_flight) = (0usize, 0usize, 0usize);
        let mut pending: BTreeMap<usize, DocResult> = BTreeMap::new();
        let mut open = true;
        loop {
            while open && in_flight + pending.len() < window {
                match docs.next() {
                    Some(doc) => {
                        let tx = tx.clone();
                        let index = read;
                        scope.spawn(move |_| {
                            let _ = tx.send(process(ex, index, doc));
                        });
                        read += 1;
                        in_flight += 1;
                    }
                    None => open = false,
                }
            }
            if in_flight == 0 {
                break;
            }
            let Ok(result) = rx.recv() else { break };
            in_flight -= 1;
            if opts.ordered {
                pending.insert(result.index, result);
                while let Some(r) = pending.remove(&next_out) {
                    next_out += 1;
                    if !sink(r) {
                        open = false;
                        pending.clear();
                    }
                }
            } else if !sink(result) {
                open = false;
            }
        }
    });
    Ok(())
}
