//! The outbound queue (mirrors `sync_core::retry`, file for file): the targets (`target`), the
//! outbox (`outbox`: [`StatusService`]), the job lifecycle's dead-letter actions and sync
//! status on a [`HubStore`](crate::store::HubStore) (`lifecycle`), dead letters by hand
//! (`dead`), the worker (`worker`), and the pure policies a host may also use on its own
//! calls: backoff and `classify` (`backoff`), the circuit breaker (`breaker`) and the rate
//! limiter (`limiter`). The job record and the job store are the store's
//! ([`crate::store::job`], [`crate::store::job_store`]), as in the core.
//!
//! The host drives the worker: call `run_once`, then sleep until `next_wake` (or a status
//! change), as sync-cli's queue loop does. Invariant: the queue needs a store that keeps jobs
//! (memory, SQLite, PostgreSQL, or a host queue from `HubStore.foreignQueue`); a host task store
//! alone gets a clear `InvalidInput`, never dropped jobs.

mod backoff;
mod breaker;
mod dead;
mod lifecycle;
mod limiter;
mod outbox;
mod target;
pub(crate) mod worker;

pub use backoff::{Backoff, Outcome, backoff_delay_ms, classify, max_delay_ms};
pub use breaker::{Breaker, BreakerConfig, BreakerState};
pub use dead::DeadLetters;
pub use limiter::{RateLimiter, RateLimiterConfig};
pub use outbox::{StatusChangeReport, StatusService, TargetDecision};
pub use target::{Target, target_from_json};
pub use worker::{DeadPolicy, StopSignal, TickReport, Worker, WorkerConfig};
