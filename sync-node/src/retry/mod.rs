//! The outbound queue (binds `sync_core::retry`), one file per core file: `outbox.rs`
//! (`StatusService`: a status change and its jobs in one change set), `worker.rs` (`Worker`: one
//! batch per `runOnce`, `nextWake`), `run.rs` (`Worker.run`: the core's loop, stopped by a
//! `WorkerStop`; `heartbeat`, `waitForWork`),
//! `dead.rs` (`Jobs`: list, show, dead letters, requeue, discard, sync status), `lifecycle.rs`
//! (`syncStatus`); the job record and a JS object as the job store live in `store/job.rs` and
//! `store/job_store.rs`, as in the core; `conformance.rs` at the crate root runs the
//! core's job store suite, and the pure
//! policies `backoff.rs` (delays, `classify`), `breaker.rs` (`Breaker`) and `limiter.rs`
//! (`RateLimiter`).
//!
//! Invariants:
//! - The queue needs a store that keeps jobs (`Store.sqlite`, `Store.postgres`, `Store.memory`,
//!   or a JS store created with `keepsJobs`); anything else is `invalid_input` when the worker
//!   or `Jobs` is built, and a status service on it refuses to enqueue (see `store.rs` at the crate root).
//! - Configuration (targets, rules, worker config, policies, queries) is parsed and validated
//!   by the core before anything runs; bad input is `invalid_input` and changes nothing.
//! - The worker's loop is the core's (`Worker::run`), on tokio's timer; the JS wrapper only
//!   ties its stop to an `AbortSignal`.

use std::sync::Arc;

use napi::bindgen_prelude::Function;
use napi_derive::napi;
use sync_core::retry::MAX_DELAY_MS;
use sync_core::{EventSink, NullSink, SystemClock};

use crate::clock::Clock;
use crate::error::invalid;
use crate::event::JsSink;

pub mod backoff;
pub mod breaker;
pub mod dead;
pub mod lifecycle;
pub mod limiter;
pub mod outbox;
pub mod run;
pub mod worker;

/// The longest delay the queue waits (one day, in ms): longer configured durations are
/// refused, longer `Retry-After`s clamped.
#[napi]
pub fn max_delay_ms() -> i64 {
    MAX_DELAY_MS as i64
}

pub(crate) fn clock_of(clock: Option<&Clock>) -> Arc<dyn sync_core::Clock> {
    clock.map_or_else(|| Arc::new(SystemClock) as _, |c| c.inner.clone())
}

pub(crate) fn sink_of(
    on_event: Option<Function<'_, String, ()>>,
) -> napi::Result<Arc<dyn EventSink>> {
    Ok(match on_event {
        Some(callback) => Arc::new(JsSink::new(callback)?),
        None => Arc::new(NullSink),
    })
}

/// Milliseconds a JS number gave: a whole number of at least 0 (beyond `u64` it saturates;
/// the core clamps every delay to a day), else `invalid_input` naming `what`.
pub(crate) fn duration_ms(what: &str, ms: f64) -> napi::Result<u64> {
    if ms.is_nan() || ms < 0.0 || ms.fract() != 0.0 {
        return Err(invalid(format!(
            "{what} must be a whole number of milliseconds of at least 0, got {ms}"
        )));
    }
    // A float-to-int cast saturates (+Infinity and 2^64 and above become u64::MAX).
    Ok(ms as u64)
}
