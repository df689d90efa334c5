//! The best-effort recorder: the engine hands it records without ever awaiting a store.
//!
//! [`HistoryRecorder::new`] returns two halves. The [`HistoryRecorder`] (cheap to clone) puts
//! records on a bounded in-memory queue and returns at once; the [`HistoryPump`] is a future
//! the host runs on its own runtime (`tokio::spawn(pump.run())`, or `futures::join!` next to
//! the work in a CLI) that drains the queue into batched [`HistoryStore::write`] calls.
//!
//! Invariants:
//! - Recording never blocks, never awaits and never fails: a full queue drops the record
//!   (a `tracing` warning, counted in [`RecorderStats::dropped`]); a failed write is logged and
//!   counted in [`RecorderStats::lost`], never retried, never propagated. A store that hangs
//!   stalls only the pump.
//! - Records reach the store in the order they were queued; one write carries up to
//!   [`RecorderConfig::max_batch`] records (several runs' records, the newest state of each run).
//! - The pump ends once the recorder is closed ([`HistoryRecorder::close`], or every clone
//!   dropped) and everything queued before has been written (or failed): awaiting it flushes.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::Poll;

use futures::task::AtomicWaker;
use tracing::{debug, warn};

use crate::model::Millis;

use super::model::{AuditEntry, Item, Run, RunItems};
use super::store::{HistoryBatch, HistoryStore};

/// How many items travel in one queued record: the queue bound counts records, so a run of
/// 100,000 items takes 100 slots, not 100,000.
pub const ITEM_CHUNK: usize = 1_000;

/// The recorder's bounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecorderConfig {
    /// Records the queue holds before it drops new ones (an item record is up to
    /// [`ITEM_CHUNK`] items).
    pub capacity: usize,
    /// Records (runs, items, audit entries) per store write, at most.
    pub max_batch: usize,
}

impl Default for RecorderConfig {
    fn default() -> Self {
        RecorderConfig {
            capacity: 1_024,
            max_batch: 10_000,
        }
    }
}

/// What the recorder did so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RecorderStats {
    /// Records waiting in the queue.
    pub queued: usize,
    /// Records dropped because the queue was full or the recorder closed.
    pub dropped: u64,
    /// Records the store accepted.
    pub written: u64,
    /// Records of writes the store refused.
    pub lost: u64,
}

#[derive(Debug)]
enum Record {
    Run(Box<Run>),
    Items(RunItems),
    Audit(Box<AuditEntry>),
}

impl Record {
    fn len(&self) -> usize {
        match self {
            Record::Items(group) => group.items.len(),
            Record::Run(_) | Record::Audit(_) => 1,
        }
    }
}

#[derive(Debug)]
struct Shared {
    queue: Mutex<VecDeque<Record>>,
    waker: AtomicWaker,
    closed: AtomicBool,
    capacity: usize,
    dropped: AtomicU64,
    written: AtomicU64,
    lost: AtomicU64,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, VecDeque<Record>> {
        // Pushes and drains move whole records, so a poisoned queue is still consistent.
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        self.waker.wake();
    }
}

/// Closes the queue when the last recorder clone goes away, so the pump ends.
#[derive(Debug)]
struct CloseOnDrop(Arc<Shared>);

impl Drop for CloseOnDrop {
    fn drop(&mut self) {
        self.0.close();
    }
}

/// The engine's side of the history: queues records and returns. Cheap to clone.
#[derive(Clone, Debug)]
pub struct HistoryRecorder {
    shared: Arc<Shared>,
    _close: Arc<CloseOnDrop>,
}

/// The store's side: a future that writes queued records in batches until the recorder closes.
#[must_use = "the pump writes nothing unless it is run (spawned or awaited)"]
pub struct HistoryPump {
    shared: Arc<Shared>,
    store: Arc<dyn HistoryStore>,
    max_batch: usize,
}

impl std::fmt::Debug for HistoryPump {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HistoryPump")
            .field("max_batch", &self.max_batch)
            .finish_non_exhaustive()
    }
}

static NEXT_ID: AtomicU64 = AtomicU64::new(0);

/// A unique id: `prefix-<time>-<process>-<counter>`, unique across processes sharing a store
/// and ordered by time within a process.
pub(crate) fn new_id(prefix: &str, at: Millis) -> String {
    let n = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    format!(
        "{prefix}-{:011x}-{:x}-{n:08x}",
        at.max(0),
        std::process::id()
    )
}

impl HistoryRecorder {
    /// A recorder writing into `store`, and the pump the host must run for anything to be
    /// written.
    pub fn new(store: Arc<dyn HistoryStore>, config: RecorderConfig) -> (Self, HistoryPump) {
        let shared = Arc::new(Shared {
            queue: Mutex::new(VecDeque::new()),
            waker: AtomicWaker::new(),
            closed: AtomicBool::new(false),
            capacity: config.capacity.max(1),
            dropped: AtomicU64::new(0),
            written: AtomicU64::new(0),
            lost: AtomicU64::new(0),
        });
        let recorder = HistoryRecorder {
            shared: shared.clone(),
            _close: Arc::new(CloseOnDrop(shared.clone())),
        };
        let pump = HistoryPump {
            shared,
            store,
            max_batch: config.max_batch.max(1),
        };
        (recorder, pump)
    }

    fn push(&self, record: Record) {
        let shared = &*self.shared;
        let refused = {
            let mut queue = shared.lock();
            if shared.closed.load(Ordering::SeqCst) {
                Some(("the recorder is closed", record.len()))
            } else if queue.len() >= shared.capacity {
                Some(("the queue is full", record.len()))
            } else {
                queue.push_back(record);
                None
            }
        };
        match refused {
            None => shared.waker.wake(),
            Some((why, records)) => {
                shared.dropped.fetch_add(records as u64, Ordering::Relaxed);
                warn!(records, why, "history record dropped");
            }
        }
    }

    /// Records the current state of a run (it replaces the previous one).
    pub fn run(&self, run: Run) {
        self.push(Record::Run(Box::new(run)));
    }

    /// Records items of a run (in chunks of [`ITEM_CHUNK`]).
    pub fn items(&self, run_id: &str, items: Vec<Item>) {
        if items.len() <= ITEM_CHUNK {
            if !items.is_empty() {
                self.push(Record::Items(RunItems {
                    run_id: run_id.to_owned(),
                    items,
                }));
            }
            return;
        }
        // Moving each item once (`split_off` would copy the tail again for every chunk).
        let mut rest = items.into_iter();
        loop {
            let chunk: Vec<Item> = rest.by_ref().take(ITEM_CHUNK).collect();
            if chunk.is_empty() {
                return;
            }
            self.push(Record::Items(RunItems {
                run_id: run_id.to_owned(),
                items: chunk,
            }));
        }
    }

    /// Appends an audit entry (a status change, a manual retry or discard of a dead job, ...).
    /// An entry without id gets a unique one. Returns at once; best effort like every record.
    pub fn audit(&self, mut entry: AuditEntry) {
        if entry.id.is_empty() {
            entry.id = new_id("a", entry.at);
        }
        self.push(Record::Audit(Box::new(entry)));
    }

    /// Stops taking records; the pump writes what is queued, then ends.
    pub fn close(&self) {
        self.shared.close();
    }

    /// Counters so far.
    pub fn stats(&self) -> RecorderStats {
        let shared = &*self.shared;
        RecorderStats {
            queued: shared.lock().len(),
            dropped: shared.dropped.load(Ordering::Relaxed),
            written: shared.written.load(Ordering::Relaxed),
            lost: shared.lost.load(Ordering::Relaxed),
        }
    }
}

impl HistoryPump {
    /// Writes queued records in batches until the recorder is closed and the queue is empty.
    /// Never fails: a failed write is logged and its records are counted as lost.
    pub async fn run(self) {
        while let Some(batch) = self.next_batch().await {
            let records = batch.len() as u64;
            match self.store.write(batch).await {
                Ok(()) => {
                    self.shared.written.fetch_add(records, Ordering::Relaxed);
                    debug!(records, "history batch written");
                }
                Err(err) => {
                    self.shared.lost.fetch_add(records, Ordering::Relaxed);
                    warn!(records, error = %err, "history store failed; records lost");
                }
            }
        }
        debug!("history pump finished");
    }

    /// The next batch, or `None` once closed and drained.
    async fn next_batch(&self) -> Option<HistoryBatch> {
        futures::future::poll_fn(|cx| {
            // Register before looking, so a push or close right after the look still wakes us.
            self.shared.waker.register(cx.waker());
            let mut queue = self.shared.lock();
            if queue.is_empty() {
                return if self.shared.closed.load(Ordering::SeqCst) {
                    Poll::Ready(None)
                } else {
                    Poll::Pending
                };
            }
            let mut batch = Batcher::default();
            while let Some(len) = queue.front().map(Record::len) {
                if batch.len > 0 && batch.len + len > self.max_batch {
                    break;
                }
                if let Some(record) = queue.pop_front() {
                    batch.add(record);
                }
            }
            Poll::Ready(Some(batch.finish()))
        })
        .await
    }
}

/// Merges records into one batch: a run's newest state replaces older ones, consecutive items
/// of one run share a group.
#[derive(Default)]
struct Batcher {
    batch: HistoryBatch,
    len: usize,
}

impl Batcher {
    fn add(&mut self, record: Record) {
        self.len += record.len();
        match record {
            Record::Run(run) => match self.batch.runs.iter_mut().find(|r| r.id == run.id) {
                Some(older) => *older = *run,
                None => self.batch.runs.push(*run),
            },
            Record::Items(group) => match self.batch.items.last_mut() {
                Some(last) if last.run_id == group.run_id => last.items.extend(group.items),
                _ => self.batch.items.push(group),
            },
            Record::Audit(entry) => self.batch.audit.push(*entry),
        }
    }

    fn finish(self) -> HistoryBatch {
        self.batch
    }
}
