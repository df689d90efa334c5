//! The circuit breaker (binds `sync_core::retry::breaker`): a per-provider `Breaker` value the
//! host drives with `tryAcquire(now)`, `onSuccess()` and `onFailure(now, job)`.
//!
//! Invariant: the state machine is the core's; the config (JSON `BreakerConfig`, unknown keys
//! refused, durations at most a day) is validated by the core before the breaker exists.

use napi_derive::napi;
use sync_core::retry::{Breaker as CoreBreaker, BreakerConfig};

use crate::error::{core, guard_sync, to_json};
use crate::input::parse;

/// A per-provider circuit breaker: opens after `failure_threshold` failures of distinct jobs
/// in a row, for `open_ms`, then lets one trial call through (half open).
#[napi]
#[derive(Debug)]
pub struct Breaker {
    inner: CoreBreaker,
}

#[napi]
impl Breaker {
    /// A closed breaker configured by JSON `BreakerConfig` (`failure_threshold`, `open_ms`;
    /// defaults for what is omitted).
    #[napi(constructor)]
    pub fn new(config: Option<String>) -> napi::Result<Self> {
        guard_sync(|| {
            let config: BreakerConfig = match config {
                Some(json) => parse("breaker config", &json)?,
                None => BreakerConfig::default(),
            };
            config.validate().map_err(core)?;
            Ok(Breaker {
                inner: CoreBreaker::new(config),
            })
        })
    }

    /// `null` if a call may go at `now`, else the earliest time to try again.
    #[napi]
    pub fn try_acquire(&mut self, now: i64) -> Option<i64> {
        self.inner.try_acquire(now).err()
    }

    /// Records a successful call.
    #[napi]
    pub fn on_success(&mut self) {
        self.inner.on_success();
    }

    /// Records a failed call at `now` for job `job` (a job already counted since the last
    /// success is not counted again; without a job every failure counts).
    #[napi]
    pub fn on_failure(&mut self, now: i64, job: Option<String>) {
        self.inner.on_failure(now, job.as_deref());
    }

    /// The state as JSON: `{"state": "closed", "failures": n}`, `{"state": "open", "until": t}`
    /// or `{"state": "half_open"}`.
    #[napi]
    pub fn state_json(&self) -> napi::Result<String> {
        to_json(&self.inner.state)
    }
}
