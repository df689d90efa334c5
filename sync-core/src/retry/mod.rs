//! Retry: the outbound sync queue. Jobs ([`Job`]) enqueued atomically with the status change
//! they carry (the outbox: [`StatusService`]), the [`JobStore`] contract, the [`Worker`] that
//! claims jobs with a lease and calls providers, and the pure policies it obeys: backoff
//! schedules, failure classification, per-provider circuit breakers and token-bucket rate
//! limiters; plus the queue's [`Metrics`].
//!
//! The policies keep no timers and do no I/O: given the clock's `now` and what happened, they
//! say when the next call may happen and whether an attempt counts. The worker has no runtime
//! either: a host calls [`Worker::run_once`] in its own loop and sleeps until
//! [`Worker::next_wake`].
//!
//! Invariants:
//! - Every delay is a pure function of the policy, the attempt number and (for jitter) a seed
//!   the caller passes, so schedules are testable against a manual clock.
//! - Calls deferred by a breaker or a limiter never count as attempts.
//! - A 429 pauses the whole provider until its `Retry-After` has passed.

mod backoff;
mod breaker;
mod dead;
mod job;
mod limiter;
mod metrics;
mod outbox;
mod store;
pub(crate) mod table;
mod target;
mod worker;

#[cfg(feature = "conformance")]
pub mod conformance;

pub use backoff::{Backoff, Outcome, classify};
pub use breaker::{Breaker, BreakerConfig, BreakerState};
pub use dead::DeadLetters;
pub use job::{Finish, Job, JobQuery, JobState, SyncStatus};
pub use limiter::{RateLimiter, RateLimiterConfig};
pub use metrics::Metrics;
pub use outbox::{StatusChangeReport, StatusService, Target};
pub use store::{JobError, JobStore, QueueStore};
pub use target::TargetSpec;
pub use worker::{DeadPolicy, TickReport, Worker, WorkerConfig};
