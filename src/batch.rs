//! Many documents, in parallel, streaming: documents are read lazily, at most a bounded
//! number are in flight, and results are handed on as soon as they are done — in input order
//! unless asked otherwise — so memory stays flat however large the corpus.
//!
//! Three kinds of thread: the caller's reads documents and gives them to the workers; the
//! workers extract; one more thread hands results on to the sink. Reading can block (a pipe
//! whose writer waits for the records of the article it just wrote), so results must not
//! wait for the next document to be read.
//!
//! When input comes faster than extraction, results are handed on in small batches: the
//! hand-on thread waits for as many results as leave each worker a document to go on with,
//! and the reading thread for as much room in the window. Waking a sleeping thread on another
//! core costs an interprocessor interrupt, which perf put at 2–6 % of a worker's time when
//! it was paid at every document.

use crate::error::DocError;
use crate::extract::{Extractor, failed_document};
use crate::input::Document;
use crate::record::Record;
use std::collections::BTreeMap;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

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
    /// The thread pool or the hand-on thread could not be started.
    #[error("cannot start worker threads: {0}")]
    Pool(String),
}

/// Runs `ex` over `docs`, handing every result to `sink` (on a thread of its own); `sink`
/// returns `false` to stop (e.g. the output pipe closed), after which no more documents are
/// read.
pub fn run<I, F>(ex: &Extractor, docs: I, opts: BatchOptions, sink: F) -> Result<(), BatchError>
where
    I: IntoIterator<Item = Document>,
    F: FnMut(DocResult) -> bool + Send,
{
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.jobs.max(1))
        .thread_name(|i| format!("nedra-worker-{i}"))
        .build()
        .map_err(|e| BatchError::Pool(e.to_string()))?;
    let window = opts.window.max(1);
    let hub = Hub::default();
    let mut docs = docs.into_iter();
    std::thread::scope(|threads| {
        let hub = &hub;
        std::thread::Builder::new()
            .name("nedra-output".into())
            .spawn_scoped(threads, move || hand_on(hub, opts, sink))
            .map_err(|e| BatchError::Pool(e.to_string()))?;
        // The scope's body runs on this thread (reading); only extraction runs on the pool,
        // so one worker is enough and nothing waits on itself.
        pool.in_place_scope(|scope| {
            while let Some(index) = hub.reserve(window) {
                let Some(doc) = docs.next() else {
                    hub.end_input(true);
                    return;
                };
                scope.spawn(move |_| hub.push(process(ex, index, doc)));
            }
            hub.end_input(false);
        });
        Ok(())
    })
}

/// The hand-on thread: takes results as they come, puts them in order when asked to, and
/// gives them to `sink` until every document read is handed on or `sink` says stop.
fn hand_on<F: FnMut(DocResult) -> bool>(hub: &Hub, opts: BatchOptions, mut sink: F) {
    // However this thread ends (a panicking sink too), the reading thread must not wait for
    // room that will never come.
    let _stop = StopOnDrop(hub);
    let mut pending: BTreeMap<usize, DocResult> = BTreeMap::new();
    let mut next_out = 0;
    let mut ready = Vec::new();
    while hub.take(opts.jobs, &mut ready) {
        let mut handed = 0;
        for result in ready.drain(..) {
            if !opts.ordered {
                handed += 1;
                if !sink(result) {
                    return;
                }
                continue;
            }
            pending.insert(result.index, result);
            while let Some(r) = pending.remove(&next_out) {
                next_out += 1;
                handed += 1;
                if !sink(r) {
                    return;
                }
            }
        }
        hub.handed_on(handed);
    }
}

struct StopOnDrop<'h>(&'h Hub);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.stop();
    }
}

/// What the reading thread, the workers and the hand-on thread share.
#[derive(Default)]
struct Hub {
    state: Mutex<HubState>,
    /// The hand-on thread waits here for results.
    results: Condvar,
    /// The reading thread waits here for room in the window.
    room: Condvar,
}

#[derive(Default)]
struct HubState {
    /// Done, not yet taken by the hand-on thread.
    ready: Vec<DocResult>,
    /// Documents given to the workers.
    read: usize,
    /// Results taken by the hand-on thread.
    taken: usize,
    /// Results handed on (or dropped after a stop): their room in the window is free.
    handed_on: usize,
    /// How many ready results the hand-on thread waits for; 0 while it does not wait.
    want: usize,
    /// The reading thread waits for room.
    reader_waits: bool,
    input_ended: bool,
    stopped: bool,
}

impl Hub {
    /// No code that can panic runs under the lock, so a poisoned lock still holds sound
    /// state.
    fn lock(&self) -> MutexGuard<'_, HubState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits for room for one more document in a window of `window`; its index, or `None`
    /// after a stop.
    fn reserve(&self, window: usize) -> Option<usize> {
        let mut state = self.lock();
        while !state.stopped && state.read - state.handed_on >= window {
            state.reader_waits = true;
            state = self
                .room
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
        state.reader_waits = false;
        if state.stopped {
            return None;
        }
        state.read += 1;
        Some(state.read - 1)
    }

    /// No more documents; `unreserve` gives back the index of the last `reserve`, which
    /// found no document.
    fn end_input(&self, unreserve: bool) {
        let mut state = self.lock();
        if unreserve {
            state.read -= 1;
        }
        state.input_ended = true;
        self.results.notify_one();
    }

    /// A worker's result.
    fn push(&self, result: DocResult) {
        let mut state = self.lock();
        state.ready.push(result);
        if state.want != 0 && state.ready.len() >= state.want {
            self.results.notify_one();
        }
    }

    /// Waits for results and moves them to `out`: as many as leave each of `jobs` workers a
    /// document to go on with, at least one, never more than are still to come. `false`
    /// when every document read is handed on and no more will be read. What is wanted is
    /// worked out again at every wake-up, and the end of input always wakes this thread, so
    /// an index given back by `end_input` is never waited for.
    fn take(&self, jobs: usize, out: &mut Vec<DocResult>) -> bool {
        let mut state = self.lock();
        loop {
            let to_come = state.read - state.taken;
            if to_come == 0 && state.input_ended {
                return false;
            }
            let want = to_come.saturating_sub(jobs).max(1);
            if state.ready.len() >= want {
                break;
            }
            state.want = want;
            state = self
                .results
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
        state.want = 0;
        state.taken += state.ready.len();
        out.append(&mut state.ready);
        true
    }

    /// `n` results were handed on: their room is free.
    fn handed_on(&self, n: usize) {
        let mut state = self.lock();
        state.handed_on += n;
        if state.reader_waits {
            self.room.notify_one();
        }
    }

    /// The sink wants no more (or the hand-on thread ended): the reading thread stops.
    fn stop(&self) {
        let mut state = self.lock();
        state.stopped = true;
        self.room.notify_one();
    }
}
