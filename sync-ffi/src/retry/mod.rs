//! The outbound queue (mirrors `sync_core::retry`, file for file): the records of a job
//! (`job`), the targets (`target`), the outbox (`outbox`: [`StatusService`]), the host job
//! store and the job operations on a [`HubStore`](crate::store::HubStore) (`store`), dead
//! letters by hand (`dead`), the worker (`worker`), and the pure policies a host may also use
//! on its own calls: backoff and `classify` (`backoff`), the circuit breaker (`breaker`) and the
//! rate limiter (`limiter`).
//!
//! The host drives the worker: call `run_once`, then sleep until `next_wake` (or a status
//! change), as sync-cli's queue loop does. Invariant: the queue needs a store that keeps jobs
//! (memory, SQLite, or a host queue from `HubStore.foreignQueue`); a host task store alone gets
//! a clear `InvalidInput`, never dropped jobs.

mod backoff;
mod breaker;
mod dead;
mod job;
mod limiter;
mod outbox;
mod store;
mod target;
mod worker;

pub use backoff::{Backoff, Outcome, backoff_delay_ms, classify, max_delay_ms};
pub use breaker::{Breaker, BreakerConfig, BreakerState};
pub use dead::DeadLetters;
pub(crate) use job::jobs_out;
pub use job::{
    Finish, JobQuery, JobState, QueuedJob, SyncStatus, TargetSyncStatus, sync_status_of,
};
pub use limiter::{RateLimiter, RateLimiterConfig};
pub use outbox::{StatusChangeReport, StatusService, TargetDecision};
pub use store::JobStore;
pub use target::{Target, target_from_json};
pub use worker::{DeadPolicy, TickReport, Worker, WorkerConfig};
