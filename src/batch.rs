//! Many documents, in parallel, streaming: documents are read lazily, at most a bounded
//! number are in flight, and results are handed on as soon as they are done — in input order
//! unless asked otherwise — so memory stays flat however large the corpus.
//!
//! Three kinds of thread: the caller's reads documents and gives them to the workers; the
//! workers extract; one more thread hands results on to the sink. Reading can block (a pipe
//! whose writer waits for the records of the article it just wrote), so results must not
//! wait for the next document to be read.
//!
//! When input comes faster than extraction, results are handed on in batches: the hand-on
//! thread waits until half the window is done, and the reading thread for as much room.
//! The other half keeps the workers busy while the batch is handed on and the room filled
//! again. Waking a sleeping thread on another core costs an interprocessor interrupt, which
//! perf put at 2–6 % of a worker's time when it was paid at every document. Waiting for all
//! but one document per worker, with 8 per worker, left a worker one document to go on with
//! while the others were handed on and read: it ran dry, slept and was woken about every
//! second document (2,900 context switches for 5,877 documents). `extract --jobs 1` over
//! 20 MB took 0.70 s that way and 0.60 s with half of 32 (medians of seven, loading
//! included).
//!
//! Each wake-up is a system call, so a thread is woken once per wait and after the lock is
//! released, and the room the hand-on thread makes is reserved for the reading thread
//! before it runs (otherwise the hand-on thread, back first, would find few documents to
//! come and wait for them one at a time). With one worker over 20 MB that took the futex
//! calls from 4,236 to 1,492: about two per thread per half window.
//!
//! A result is freed by the worker that made it, not by the hand-on thread that hands it
//! on (see [`ResultSink::take`]): the sink reads it, and the worker frees what is left when
//! it starts its next document, so its records' memory goes back to its own free lists.

use crate::error::DocError;
use crate::extract::{Extractor, failed_document};
use crate::input::Document;
use crate::record::Record;
use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};
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
    /// `jobs` workers (0: all cores), results in input order, a window of
    /// [`WINDOW_PER_WORKER`] documents per worker.
    pub fn new(jobs: usize) -> BatchOptions {
        let jobs = if jobs == 0 {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        } else {
            jobs
        };
        BatchOptions {
            jobs,
            ordered: true,
            window: jobs * WINDOW_PER_WORKER,
        }
    }
}

/// Documents in flight per worker by default. Half of them are the workers' slack while
/// the other half is handed on (see the module's doc); a document's text and records are
/// all a slot holds, so 32 short articles per worker cost little memory.
pub const WINDOW_PER_WORKER: usize = 32;

/// What one document gave.
#[derive(Debug, Clone, Default)]
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

/// What the hand-on thread gives results to (a closure `FnMut(DocResult) -> bool` is one).
pub trait ResultSink {
    /// Takes the next result; `false` to stop (e.g. the output pipe closed), after which no
    /// more documents are read.
    ///
    /// The sink may read the result or take what it wants of it (`std::mem::take`); what it
    /// leaves is freed by the worker thread that made it, when it starts its next document.
    /// A block freed on the thread that allocated it goes straight back to that thread's
    /// free list and is used again while it is in that core's cache; a block freed on
    /// another thread is queued for the owner to collect later, a cache miss on each side.
    /// A document's records are a few thousand small blocks, and the workers paid several
    /// per cent of their time for freeing them on the hand-on thread.
    fn take(&mut self, result: &mut DocResult) -> bool;

    /// Called when every result done so far is handed on and the hand-on thread is about
    /// to wait for more: the moment to flush buffered output, so that a reader waiting for
    /// them gets the records now, while results that come one after another share a flush.
    /// Not called again before another result is handed on. `false` to stop.
    fn idle(&mut self) -> bool {
        true
    }
}

/// The closure owns each result, so it frees them where it drops them.
impl<F: FnMut(DocResult) -> bool> ResultSink for F {
    fn take(&mut self, result: &mut DocResult) -> bool {
        self(std::mem::take(result))
    }
}

/// Runs `ex` over `docs`, handing every result to `sink` (on a thread of its own); `sink`
/// returns `false` to stop (e.g. the output pipe closed), after which no more documents are
/// read. See [`run_with`] for a sink that is told when to flush.
pub fn run<I, F>(ex: &Extractor, docs: I, opts: BatchOptions, sink: F) -> Result<(), BatchError>
where
    I: IntoIterator<Item = Document>,
    F: FnMut(DocResult) -> bool + Send,
{
    run_with(ex, docs, opts, sink)
}

/// [`run`] with any [`ResultSink`].
pub fn run_with<I, S>(
    ex: &Extractor,
    docs: I,
    opts: BatchOptions,
    sink: S,
) -> Result<(), BatchError>
where
    I: IntoIterator<Item = Document>,
    S: ResultSink + Send,
{
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.jobs.max(1))
        .thread_name(|i| format!("nedra-worker-{i}"))
        .build()
        .map_err(|e| BatchError::Pool(e.to_string()))?;
    let window = opts.window.max(1);
    let hub = Hub::new(opts.jobs.max(1));
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
            while let Some(indices) = hub.reserve(window, reserve_at_once(window)) {
                for index in indices.clone() {
                    let doc = if hub.is_stopped() { None } else { docs.next() };
                    let Some(doc) = doc else {
                        hub.end_input(indices.end - index);
                        return;
                    };
                    scope.spawn(move |_| {
                        let worker = rayon::current_thread_index().unwrap_or(0);
                        hub.free_spent(worker);
                        hub.push(worker, process(ex, index, doc));
                    });
                }
            }
            hub.end_input(0);
        });
        Ok(())
    })
}

/// Results the hand-on thread does not wait for in a window of `window`: the workers'
/// slack (see the module's doc).
fn slack(window: usize) -> usize {
    window / 2
}

/// Places the reading thread reserves at once: fewer turns of the lock, and none of the
/// races in which the hand-on thread, finding only a few documents read while the room it
/// made is being filled, waits for one result at a time. At most the slack (at least one),
/// so that what the hand-on thread waits for never needs a document not yet read: see
/// [`Hub::take`].
fn reserve_at_once(window: usize) -> usize {
    slack(window).max(1)
}

/// The hand-on thread: takes results as they come, puts them in order when asked to, and
/// gives them to `sink` until every document read is handed on or `sink` says stop.
fn hand_on<S: ResultSink>(hub: &Hub, opts: BatchOptions, mut sink: S) {
    // However this thread ends (a panicking sink too), the reading thread must not wait for
    // room that will never come.
    let _stop = StopOnDrop(hub);
    // Results waiting for those before them, with the worker that made each.
    let mut pending: BTreeMap<usize, (usize, DocResult)> = BTreeMap::new();
    let mut next_out = 0;
    let mut ready = Vec::new();
    // Per worker: results handed on in this round, to be freed by it (see `ResultSink::take`).
    let mut spent: Vec<Vec<DocResult>> = Vec::new();
    // Results handed on since the sink was last told it is idle.
    let mut unflushed = false;
    // Results the hand-on thread does not wait for: the workers' slack.
    let slack = slack(opts.window.max(1));
    while hub.take(slack, &mut ready, || {
        !std::mem::take(&mut unflushed) || sink.idle()
    }) {
        let mut handed = 0;
        for (worker, result) in ready.drain(..) {
            if !opts.ordered {
                handed += 1;
                if !give(&mut sink, &mut spent, worker, result) {
                    return;
                }
                continue;
            }
            pending.insert(result.index, (worker, result));
            while let Some((worker, r)) = pending.remove(&next_out) {
                next_out += 1;
                handed += 1;
                if !give(&mut sink, &mut spent, worker, r) {
                    return;
                }
            }
        }
        unflushed |= handed > 0;
        hub.give_back(&mut spent);
        hub.handed_on(handed);
    }
}

/// Gives `result`, made by worker `worker`, to `sink`, and keeps what the sink leaves of it
/// in `spent` for that worker to free; `false` when the sink says stop.
fn give<S: ResultSink>(
    sink: &mut S,
    spent: &mut Vec<Vec<DocResult>>,
    worker: usize,
    mut result: DocResult,
) -> bool {
    let go_on = sink.take(&mut result);
    if spent.len() <= worker {
        spent.resize_with(worker + 1, Vec::new);
    }
    spent[worker].push(result);
    go_on
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
    /// Per worker: results handed on, for it to free (see [`ResultSink::take`]). A lock of
    /// their own: a worker frees them as it starts a document and the hand-on thread adds
    /// to them once a round, neither while the other threads take turns at `state`.
    spent: Vec<Mutex<Vec<DocResult>>>,
    /// The hand-on thread waits here for results.
    results: Condvar,
    /// The reading thread waits here for room in the window.
    room: Condvar,
    /// The sink wants no more, or the hand-on thread ended: set under the lock (so a
    /// thread that checks it there before waiting cannot miss the wake-up), read without it
    /// by the reading thread before each document.
    stopped: AtomicBool,
}

#[derive(Default)]
struct HubState {
    /// Done, not yet taken by the hand-on thread, with the worker that made each.
    ready: Vec<(usize, DocResult)>,
    /// Places reserved by the reading thread: documents given to the workers, and those
    /// it is reading.
    read: usize,
    /// Results taken by the hand-on thread.
    taken: usize,
    /// Results handed on (or dropped after a stop): their room in the window is free.
    handed_on: usize,
    /// How many ready results the hand-on thread waits for; 0 while it does not wait, and
    /// once it has been woken.
    want: usize,
    /// The reading thread waits for room and has not been woken yet: the window, and the
    /// most places it asked for.
    reader_waits: Option<(usize, usize)>,
    /// Places reserved for the reading thread while it waited, not yet given to it.
    granted: Option<Range<usize>>,
    input_ended: bool,
}

impl HubState {
    /// Reserves up to `at_most` places of the room left in a window of `window`; `None`
    /// when there is none.
    fn grant(&mut self, window: usize, at_most: usize) -> Option<Range<usize>> {
        let room = window.saturating_sub(self.read - self.handed_on);
        if room == 0 {
            return None;
        }
        let start = self.read;
        self.read += room.min(at_most);
        Some(start..self.read)
    }
}

impl Hub {
    /// A hub for `workers` worker threads.
    fn new(workers: usize) -> Hub {
        Hub {
            spent: (0..workers).map(|_| Mutex::default()).collect(),
            ..Hub::default()
        }
    }

    /// No code that can panic runs under the lock, so a poisoned lock still holds sound
    /// state.
    fn lock(&self) -> MutexGuard<'_, HubState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Frees, on worker `worker`'s thread, the results it made that were handed on.
    fn free_spent(&self, worker: usize) {
        let Some(spent) = self.spent.get(worker) else {
            return;
        };
        // Dropped after the lock is released.
        let _freed = std::mem::take(&mut *spent.lock().unwrap_or_else(PoisonError::into_inner));
    }

    /// Hands the results in `spent` (per worker) back to the workers that made them, to be
    /// freed there; those of a worker the hub does not know are freed here.
    fn give_back(&self, spent: &mut [Vec<DocResult>]) {
        for (worker, results) in spent.iter_mut().enumerate() {
            if results.is_empty() {
                continue;
            }
            match self.spent.get(worker) {
                Some(pile) => pile
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .append(results),
                None => results.clear(),
            }
        }
    }

    /// Waits for room in a window of `window`, and reserves up to `at_most` places: their
    /// indices, or `None` after a stop. The reading thread reads as many documents, unless
    /// the input ends first (see [`Hub::end_input`]) or the batch stops (see
    /// [`Hub::is_stopped`]).
    fn reserve(&self, window: usize, at_most: usize) -> Option<Range<usize>> {
        let mut state = self.lock();
        loop {
            if self.is_stopped() {
                if let Some(granted) = state.granted.take() {
                    state.read -= granted.len();
                }
                return None;
            }
            if let Some(places) = state
                .granted
                .take()
                .or_else(|| state.grant(window, at_most))
            {
                return Some(places);
            }
            state.reader_waits = Some((window, at_most));
            state = self
                .room
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// No more documents; `unread` gives back the last places reserved, which found no
    /// document.
    fn end_input(&self, unread: usize) {
        let mut state = self.lock();
        state.read -= unread;
        state.input_ended = true;
        self.results.notify_one();
    }

    /// The result worker `worker` made.
    fn push(&self, worker: usize, result: DocResult) {
        let mut state = self.lock();
        state.ready.push((worker, result));
        if state.want != 0 && state.ready.len() >= state.want {
            // Once per wait: the results that come before the hand-on thread runs would
            // each make a system call to wake it again. It sets `want` anew if it waits
            // again.
            state.want = 0;
            // Unlocked first, or the woken thread would find the lock held and sleep on it
            // until this thread wakes it a second time.
            drop(state);
            self.results.notify_one();
        }
    }

    /// Waits for results and moves them to `out`: all but `slack` of those still to come, at
    /// least one. `false` when every document read is handed on and no more will be read,
    /// or when `before_wait`, called (without the lock) once before this thread first
    /// waits, says stop. What is wanted is worked out again at every wake-up, and the end
    /// of input always wakes this thread, so a place given back by `end_input` is never
    /// waited for.
    ///
    /// Those to come include places reserved for documents not yet read. The reading
    /// thread reserves at most `slack` at once (at least one: [`reserve_at_once`]), so
    /// while it waits for a document (a pipe whose writer waits for the records of the
    /// last article), all but `slack` of those to come are documents already read: their
    /// results come without it. With no slack (a window of one) it reserves only once
    /// everything before was handed on.
    fn take(
        &self,
        slack: usize,
        out: &mut Vec<(usize, DocResult)>,
        mut before_wait: impl FnMut() -> bool,
    ) -> bool {
        let mut state = self.lock();
        let mut told = false;
        loop {
            let to_come = state.read - state.taken;
            if to_come == 0 && state.input_ended {
                return false;
            }
            let want = to_come.saturating_sub(slack).max(1);
            if state.ready.len() >= want {
                break;
            }
            if !told {
                // Results may come while it runs: everything is looked at again after.
                told = true;
                drop(state);
                if !before_wait() {
                    return false;
                }
                state = self.lock();
                continue;
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

    /// `n` results were handed on: their room is free. When the reading thread waits for
    /// room, the places are reserved for it here, before it runs: otherwise this thread,
    /// back in [`Hub::take`] first, would find few documents to come and wait for one
    /// result at a time.
    fn handed_on(&self, n: usize) {
        let mut state = self.lock();
        state.handed_on += n;
        if let Some((window, at_most)) = state.reader_waits
            && let Some(places) = state.grant(window, at_most)
        {
            state.granted = Some(places);
            // As in `push`: once per wait, after unlocking.
            state.reader_waits = None;
            drop(state);
            self.room.notify_one();
        }
    }

    /// The sink wants no more (or the hand-on thread ended): the reading thread stops.
    fn stop(&self) {
        let _state = self.lock();
        self.stopped.store(true, Ordering::Relaxed);
        self.room.notify_one();
    }

    /// Whether the batch stopped: the reading thread reads no more documents, not even
    /// those it has reserved places for.
    fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RuleSet;

    use std::sync::{Arc, mpsc};
    use std::time::Duration;

    /// Logs what it is given, and says how many results it had when it was told idle.
    struct Log {
        events: Arc<Mutex<Vec<&'static str>>>,
        taken: usize,
        idle: mpsc::Sender<usize>,
    }

    impl ResultSink for Log {
        fn take(&mut self, _: &mut DocResult) -> bool {
            self.taken += 1;
            self.events.lock().expect("log").push("take");
            true
        }

        fn idle(&mut self) -> bool {
            self.events.lock().expect("log").push("idle");
            let _ = self.idle.send(self.taken);
            true
        }
    }

    /// A reader that sends the next document only once it has the records of the one
    /// before (a service calling nedra per article through a pipe) gets them: the sink is
    /// told idle (and flushes) before the hand-on thread waits for a document not yet read,
    /// and only when something was handed on since it was last told.
    #[test]
    fn the_sink_is_told_idle_before_waiting_for_a_document_not_yet_read() {
        let ex = Extractor::new(RuleSet::load_defaults().expect("default rules"));
        let events = Arc::new(Mutex::new(Vec::new()));
        let (idle_tx, idle_rx) = mpsc::channel();
        let missed = Arc::new(AtomicBool::new(false));
        let docs = {
            let missed = Arc::clone(&missed);
            (0..4).map(move |i| {
                // Document `i` is sent once the sink has handed on the `i` before it.
                if i > 0 {
                    loop {
                        match idle_rx.recv_timeout(Duration::from_secs(10)) {
                            Ok(handed) if handed >= i => break,
                            Ok(_) => {}
                            Err(_) => {
                                missed.store(true, Ordering::SeqCst);
                                break;
                            }
                        }
                    }
                }
                Document {
                    id: format!("d{i}"),
                    content: Ok("Экспорт угля составил 3 млн тонн.".as_bytes().to_vec()),
                }
            })
        };
        let log = Log {
            events: Arc::clone(&events),
            taken: 0,
            idle: idle_tx,
        };
        run_with(&ex, docs, BatchOptions::new(2), log).expect("run");
        assert!(
            !missed.load(Ordering::SeqCst),
            "a document waited for records"
        );
        let events = events.lock().expect("log");
        assert_eq!(events.iter().filter(|&&e| e == "take").count(), 4);
        assert!(
            events.windows(2).all(|w| w != ["idle", "idle"]),
            "{events:?}"
        );
    }

    fn result(index: usize) -> DocResult {
        DocResult {
            index,
            id: format!("d{index}"),
            records: Vec::new(),
            error: None,
            bytes: 0,
        }
    }

    /// The hand-on thread waits until all but `slack` of the documents read are done, so
    /// the workers keep `slack` to go on with while it hands on the rest.
    #[test]
    fn results_are_taken_once_all_but_the_slack_are_done() {
        let hub = Hub::default();
        assert_eq!(hub.reserve(8, 8), Some(0..8));
        for index in 0..3 {
            hub.push(0, result(index));
        }
        let mut out = Vec::new();
        // `before_wait` saying stop shows that it would wait.
        assert!(!hub.take(4, &mut out, || false));
        assert!(out.is_empty());
        hub.push(0, result(3));
        assert!(hub.take(4, &mut out, || false));
        assert_eq!(out.len(), 4);
    }

    /// A waiting thread is woken once, however many results (or how much room) come
    /// before it runs: each wake is a system call, and a result is pushed every few tens of
    /// microseconds.
    #[test]
    fn a_waiting_thread_is_woken_once() {
        let hub = Hub::default();
        assert_eq!(hub.reserve(4, 4), Some(0..4));
        // As the hand-on thread leaves it when it waits for two results.
        hub.lock().want = 2;
        hub.push(0, result(0));
        assert_eq!(hub.lock().want, 2, "one result is not enough");
        hub.push(0, result(1));
        assert_eq!(hub.lock().want, 0, "woken: no more wake-ups");
        hub.push(0, result(2));
        assert_eq!(hub.lock().want, 0);
        // As the reading thread leaves it when the window is full: the room made is
        // reserved for it at once, and it is woken once.
        hub.lock().reader_waits = Some((4, 2));
        hub.handed_on(0);
        assert!(hub.lock().reader_waits.is_some(), "no room was made");
        hub.handed_on(3);
        assert!(hub.lock().reader_waits.is_none(), "woken: no more wake-ups");
        assert_eq!(
            hub.lock().read,
            6,
            "counted as to come before the reader runs"
        );
        hub.handed_on(1);
        assert_eq!(hub.reserve(4, 2), Some(4..6), "what was reserved for it");
        assert_eq!(hub.reserve(4, 2), Some(6..8));
    }

    /// Places are reserved as many at once as there are, up to the number asked for, and
    /// those the input did not fill are given back.
    #[test]
    fn places_are_reserved_at_once_and_given_back_unread() {
        let hub = Hub::default();
        assert_eq!(hub.reserve(8, 3), Some(0..3));
        assert_eq!(hub.reserve(8, 3), Some(3..6));
        assert_eq!(hub.reserve(8, 3), Some(6..8), "only two places are left");
        for index in 0..7 {
            hub.push(0, result(index));
        }
        hub.end_input(1);
        let mut out = Vec::new();
        assert!(hub.take(0, &mut out, || false));
        assert_eq!(out.len(), 7);
        // Nothing more can come: the eighth place was given back.
        assert!(!hub.take(0, &mut out, || true));
    }

    /// While the reading thread waits for a document it has reserved a place for (a pipe
    /// whose writer waits for the records of the article before), the hand-on thread does
    /// not wait for that document: it hands on what was read.
    #[test]
    fn the_hand_on_thread_never_waits_for_a_document_not_yet_read() {
        for window in 1..=64 {
            let hub = Hub::default();
            let places = hub.reserve(window, reserve_at_once(window)).expect("room");
            // Only the first was read, and it is done.
            hub.push(0, result(places.start));
            let mut out = Vec::new();
            // `before_wait` saying stop shows that it would wait.
            assert!(
                hub.take(slack(window), &mut out, || false),
                "window {window}: waits with {places:?} reserved"
            );
            assert_eq!(out.len(), 1);
        }
    }

    /// Blocks until the hand-on thread waits for results.
    fn until_waiting(hub: &Hub) {
        loop {
            if hub.lock().want != 0 {
                return;
            }
            std::thread::yield_now();
        }
    }

    /// A result that comes before the one it must follow is not handed on, and the sink is
    /// not told idle for it (nothing new was handed on); once both are, it is.
    #[test]
    fn idle_is_told_only_after_something_was_handed_on() {
        let hub = Hub::default();
        let events = Arc::new(Mutex::new(Vec::new()));
        let (idle, _idle_rx) = mpsc::channel();
        let log = Log {
            events: Arc::clone(&events),
            taken: 0,
            idle,
        };
        let mut opts = BatchOptions::new(1);
        opts.ordered = true;
        assert_eq!(hub.reserve(8, 2), Some(0..2));
        hub.push(0, result(1));
        std::thread::scope(|threads| {
            let hub = &hub;
            threads.spawn(move || hand_on(hub, opts, log));
            until_waiting(hub);
            hub.push(0, result(0));
            // Both handed on, then told idle: the hand-on thread waits for more.
            while events.lock().expect("log").last() != Some(&"idle") {
                std::thread::yield_now();
            }
            hub.end_input(0);
        });
        assert_eq!(*events.lock().expect("log"), ["take", "take", "idle"]);
    }

    /// What a sink leaves of a result goes back to the worker that made it, and that worker
    /// frees it when it starts its next document (`free_spent`); what a sink takes is its
    /// own.
    #[test]
    fn results_handed_on_go_back_to_the_worker_that_made_them() {
        let hub = Hub::new(2);
        assert_eq!(hub.reserve(8, 3), Some(0..3));
        hub.push(1, result(0));
        hub.push(0, result(1));
        hub.push(1, result(2));
        hub.end_input(0);
        let mut kept = Vec::new();
        // Keeps the id of the second result and leaves the rest.
        let sink = |r: &mut DocResult| {
            if r.index == 1 {
                kept.push(std::mem::take(&mut r.id));
            }
            true
        };
        struct BorrowingSink<F>(F);
        impl<F: FnMut(&mut DocResult) -> bool> ResultSink for BorrowingSink<F> {
            fn take(&mut self, result: &mut DocResult) -> bool {
                (self.0)(result)
            }
        }
        hand_on(&hub, BatchOptions::new(1), BorrowingSink(sink));
        assert_eq!(kept, ["d1"]);
        let pile = |w: usize| -> Vec<(usize, String)> {
            let spent = hub.spent[w].lock().expect("spent");
            spent.iter().map(|r| (r.index, r.id.clone())).collect()
        };
        assert_eq!(pile(0), [(1, String::new())]);
        assert_eq!(pile(1), [(0, "d0".to_string()), (2, "d2".to_string())]);
        hub.free_spent(1);
        assert!(pile(1).is_empty());
        assert_eq!(pile(0).len(), 1, "another worker's are left alone");
        // A worker the hub does not know frees nothing and does not panic.
        hub.free_spent(7);
    }
}
