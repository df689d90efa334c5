//! Retry: the outbound sync queue. Jobs ([`Job`]) enqueued atomically with the status change
//! they carry (the outbox: [`StatusService`]), the [`JobStore`] contract (storage only: claim,
//! versioned writes, reads), the job [`lifecycle`] (every rule of what happens to a job, once,
//! for every store), the [`Worker`] that claims jobs with a lease and calls providers, and the
//! pure policies it obeys: backoff
//! schedules, failure classification, per-provider circuit breakers and token-bucket rate
//! limiters; plus the queue's [`Metrics`].
//!
//! The policies keep no timers and do no I/O: given the clock's `now` and what happened, they
//! say when the next call may happen and whether an attempt counts. The worker has no runtime
//! either: a host calls [`Worker::run_once`] in its own loop and sleeps until
//! [`Worker::next_wake`].
//!
//! Defaults (the hub's complete-a-task flow): a job gets the first call and 5 retries after
//! 1, 2, 4, 8 and 16 s ([`Backoff::default`], 6 attempts in all), then goes to the dead
//! letters; a target may set its own budget, else the worker's applies. A provider's breaker
//! opens after failures of 5 *distinct* jobs in a row, for 30 s ([`BreakerConfig::default`]):
//! one job's own retries count once, so they never open it and never stretch its schedule.
//!
//! Invariants:
//! - Every delay is a pure function of the policy, the attempt number and (for jitter) a seed
//!   the caller passes, so schedules are testable against a manual clock.
//! - Every "now + delay" goes through [`later`]: configured durations above [`MAX_DELAY_MS`]
//!   (one day) are refused by `validate`, run-time ones (`Retry-After`, pauses) are clamped to
//!   it, and nothing wraps into the past.
//! - Calls deferred by a breaker or a limiter never count as attempts.
//! - A 429 pauses the whole provider until its `Retry-After` has passed.

mod backoff;
mod breaker;
mod dead;
pub mod gate;
pub mod lifecycle;
mod limiter;
mod metrics;
mod outbox;
mod run;
pub(crate) mod table;
mod target;
mod worker;

#[cfg(feature = "conformance")]
pub mod conformance;

pub use crate::store::{Finish, Job, JobQuery, JobState, JobWrite, SyncStatus};
pub use crate::store::{JobError, JobStore, QueueStore, without_jobs};
pub use backoff::{Backoff, MAX_DELAY_MS, Outcome, classify, later};
pub use breaker::{Breaker, BreakerConfig, BreakerState, MAX_TRACKED_FAILURES};
pub use dead::DeadLetters;
pub use gate::{Effect, GateState};
pub use lifecycle::{
    Finished, REVERT_CAUSE, discard, extend_lease, finish, finish_all, requeue, sync_status,
};
pub use limiter::{RateLimiter, RateLimiterConfig};
pub use metrics::Metrics;
pub use outbox::{StatusChangeReport, StatusService, Target, TargetDecision};
pub use run::Sleep;
pub use target::TargetSpec;
pub use worker::{DeadPolicy, TickReport, Worker, WorkerConfig};
