//! The queue worker: [`Worker`] (`run_once` / `next_wake` / `heartbeat`, host-implemented
//! providers) and its configuration ([`WorkerConfig`], whose backoff, breaker and limiter
//! records live beside their policies) and its [`TickReport`]. The host drives the worker: call
//! `run_once`, then sleep until `next_wake` (or a status change), as sync-cli's queue loop does.
//! A worker on a built-in store keeps its breaker and rate-limit state in the store's provider
//! gates, shared with every worker on that store (other processes on the same SQLite file or
//! PostgreSQL database too), so a 429 one of them sees pauses the provider for all.
//!
//! Invariant: every field a host leaves out (`None`) takes the core's default, read from
//! `sync_core::WorkerConfig::default()` and its parts, never restated here: the first call and
//! 5 retries after 1, 2, 4, 8 and 16 s, a breaker that opens after 5 distinct jobs fail in a
//! row for 30 s, no rate limit of its own, a 30 s lease, a heartbeat every third of it, idle
//! waits of at most a second. Durations above a day are refused.

use std::sync::Arc;

use crate::clock::{Clock, core_clock};
use crate::error::{TasksyncError, guard, guard_future};
use crate::event::{EventSink, core_sink};
use crate::provider::{Provider, core_provider};
use crate::retry::backoff::Backoff;
use crate::retry::breaker::BreakerConfig;
use crate::retry::limiter::RateLimiterConfig;
use crate::store::HubStore;

/// What happens to a task whose job died.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum DeadPolicy {
    /// Keep the new status; the task shows sync status `Failed`.
    KeepFlagged,
    /// Put the status back (unless it changed since).
    RevertStatus,
}

/// How a worker runs; every `None` takes the core's default.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct WorkerConfig {
    /// Lease owner id (unique per worker process).
    #[uniffi(default = None)]
    pub id: Option<String>,
    /// Lease length (ms, at most a day).
    #[uniffi(default = None)]
    pub lease_ms: Option<u64>,
    /// Jobs claimed per tick.
    #[uniffi(default = None)]
    pub batch: Option<u32>,
    /// Provider calls in flight.
    #[uniffi(default = None)]
    pub concurrency: Option<u32>,
    /// Dead-job policy.
    #[uniffi(default = None)]
    pub dead_policy: Option<DeadPolicy>,
    /// The retry schedule.
    #[uniffi(default = None)]
    pub backoff: Option<Backoff>,
    /// The per-provider breaker.
    #[uniffi(default = None)]
    pub breaker: Option<BreakerConfig>,
    /// A per-provider rate limit (`None`: unlimited until a 429 pauses the provider).
    #[uniffi(default = None)]
    pub limiter: Option<RateLimiterConfig>,
    /// How often the leases of the jobs in flight are extended (ms; 0: a third of the lease).
    #[uniffi(default = None)]
    pub heartbeat_ms: Option<u64>,
    /// The longest idle wait of the worker loop when no wake hint arrives (ms).
    #[uniffi(default = None)]
    pub poll_ms: Option<u64>,
}

impl From<WorkerConfig> for sync_core::WorkerConfig {
    fn from(c: WorkerConfig) -> Self {
        let d = sync_core::WorkerConfig::default();
        sync_core::WorkerConfig {
            id: c.id.unwrap_or(d.id),
            lease_ms: c.lease_ms.unwrap_or(d.lease_ms),
            batch: c.batch.map_or(d.batch, |n| n as usize),
            concurrency: c.concurrency.map_or(d.concurrency, |n| n as usize),
            backoff: c.backoff.map_or(d.backoff, Into::into),
            breaker: c.breaker.map_or(d.breaker, Into::into),
            limiter: c.limiter.map(Into::into).or(d.limiter),
            dead_policy: match c.dead_policy {
                None => d.dead_policy,
                Some(DeadPolicy::KeepFlagged) => sync_core::retry::DeadPolicy::KeepFlagged,
                Some(DeadPolicy::RevertStatus) => sync_core::retry::DeadPolicy::RevertStatus,
            },
            heartbeat_ms: c.heartbeat_ms.unwrap_or(d.heartbeat_ms),
            poll_ms: c.poll_ms.unwrap_or(d.poll_ms),
        }
    }
}

/// What one worker tick did.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct TickReport {
    /// Jobs claimed.
    pub claimed: u64,
    /// Delivered.
    pub succeeded: u64,
    /// Failed, to be retried.
    pub retried: u64,
    /// Not attempted (breaker open, rate limited).
    pub deferred: u64,
    /// Dead-lettered.
    pub dead: u64,
    /// Lease lost before finishing.
    pub lease_lost: u64,
}

impl From<sync_core::retry::TickReport> for TickReport {
    fn from(r: sync_core::retry::TickReport) -> Self {
        TickReport {
            claimed: r.claimed as u64,
            succeeded: r.succeeded as u64,
            retried: r.retried as u64,
            deferred: r.deferred as u64,
            dead: r.dead as u64,
            lease_lost: r.lease_lost as u64,
        }
    }
}

/// The host's timer for the core: tokio's (uniffi runs async exports on tokio).
pub(crate) fn tokio_sleep() -> Arc<sync_core::retry::Sleep> {
    Arc::new(|ms| Box::pin(tokio::time::sleep(std::time::Duration::from_millis(ms))))
}

/// Tells a running [`Worker::run`] to stop after its batch in flight.
#[derive(Debug, Default, uniffi::Object)]
pub struct StopSignal {
    stopped: std::sync::atomic::AtomicBool,
    notify: tokio::sync::Notify,
}

#[uniffi::export]
impl StopSignal {
    /// A signal not stopped yet.
    #[uniffi::constructor]
    pub fn new() -> Arc<Self> {
        Arc::new(StopSignal::default())
    }

    /// Stops the loops waiting on this signal (after their batch in flight).
    pub fn stop(&self) {
        self.stopped
            .store(true, std::sync::atomic::Ordering::SeqCst);
        self.notify.notify_waiters();
    }

    /// Whether `stop` was called.
    pub fn is_stopped(&self) -> bool {
        self.stopped.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl StopSignal {
    /// Resolves once `stop` was called (at once when it already was): the stop future the
    /// core's loops (the worker's, the puller's) take.
    pub(crate) async fn stopped(self: Arc<Self>) {
        while !self.is_stopped() {
            let notified = self.notify.notified();
            if self.is_stopped() {
                break;
            }
            notified.await;
        }
    }
}

/// Sends queued status changes to providers: `run(stop)` is the whole loop, or the host calls
/// `run_once` in its own.
#[derive(Debug, uniffi::Object)]
pub struct Worker(sync_core::Worker);

#[uniffi::export(async_runtime = "tokio")]
impl Worker {
    /// A worker on a job-keeping store, sending to `providers` (routed by `name()`); `events`
    /// receives `job_changed` events. On a built-in store the provider gates are the store's
    /// (shared). A configuration the core refuses is `InvalidInput`.
    #[uniffi::constructor(default(clock = None, events = None))]
    pub fn new(
        store: Arc<HubStore>,
        providers: Vec<Arc<dyn Provider>>,
        config: WorkerConfig,
        clock: Option<Arc<dyn Clock>>,
        events: Option<Arc<dyn EventSink>>,
    ) -> Result<Arc<Self>, TasksyncError> {
        guard(|| {
            let mut worker = sync_core::Worker::new(
                store.queue_store()?,
                core_clock(clock),
                core_sink(events),
                config.into(),
            )?;
            if let Some(gates) = store.gates.clone() {
                worker = worker.with_gates(gates);
            }
            for provider in providers {
                worker = worker.with_provider(core_provider(provider));
            }
            Ok(Arc::new(Worker(worker)))
        })
    }

    /// Claims due jobs, sends them, records the outcomes (with heartbeats every
    /// `heartbeat_ms` while the calls are out).
    pub async fn run_once(&self) -> Result<TickReport, TasksyncError> {
        guard_future(async move { Ok(self.0.run_once_beating(&*tokio_sleep()).await?.into()) })
            .await
    }

    /// The core's worker loop until `stop` is stopped: batches while there is work, an idle
    /// wait that the store's wake hint cuts short (at most `poll_ms`), store failures logged
    /// and retried; after a stop, the batch in flight is finished. Returns the totals.
    pub async fn run(&self, stop: Arc<StopSignal>) -> Result<TickReport, TasksyncError> {
        guard_future(async move { Ok(self.0.run(&*tokio_sleep(), stop.stopped()).await.into()) })
            .await
    }

    /// Extends the leases of the jobs in flight (a host calls it while a long `run_once` is
    /// out, every `heartbeat_ms`); returns how many.
    pub async fn heartbeat(&self) -> Result<u64, TasksyncError> {
        guard_future(async move { Ok(self.0.heartbeat().await? as u64) }).await
    }

    /// When the next job is due (ms), `None` when the queue is empty.
    pub async fn next_wake(&self) -> Result<Option<i64>, TasksyncError> {
        guard_future(async move { Ok(self.0.next_wake().await?) }).await
    }

    /// The worker's metrics in the Prometheus text format.
    pub fn metrics_prometheus(&self) -> String {
        self.0.metrics().render_prometheus()
    }
}
