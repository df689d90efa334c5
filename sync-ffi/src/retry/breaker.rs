//! The per-provider circuit breaker (mirrors `sync_core::retry`'s breaker): the
//! [`BreakerConfig`] record a worker takes, and the [`Breaker`] object over the core's
//! `Breaker` for hosts that guard their own calls (closed, open, half-open; failures of
//! distinct jobs counted once each).
//!
//! Invariant: conversion only; a configuration is checked by the core's `validate`, and every
//! decision is the core breaker's, on the caller's clock.

use std::sync::{Arc, Mutex, MutexGuard};

use crate::error::{TasksyncError, guard};

/// The per-provider circuit breaker. `None` fields take the core's defaults (opens after 5
/// distinct jobs fail in a row, for 30 s).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct BreakerConfig {
    /// Consecutive failures of distinct jobs that open it.
    #[uniffi(default = None)]
    pub failure_threshold: Option<u32>,
    /// How long it stays open (ms, at most a day).
    #[uniffi(default = None)]
    pub open_ms: Option<u64>,
}

impl From<BreakerConfig> for sync_core::retry::BreakerConfig {
    fn from(b: BreakerConfig) -> Self {
        let d = sync_core::retry::BreakerConfig::default();
        sync_core::retry::BreakerConfig {
            failure_threshold: b.failure_threshold.unwrap_or(d.failure_threshold),
            open_ms: b.open_ms.unwrap_or(d.open_ms),
        }
    }
}

/// The core's configuration of a host's, checked.
pub(crate) fn core_breaker_config(
    config: Option<BreakerConfig>,
) -> Result<sync_core::retry::BreakerConfig, TasksyncError> {
    let config: sync_core::retry::BreakerConfig = config.map(Into::into).unwrap_or_default();
    config.validate()?;
    Ok(config)
}

/// A breaker's state (the core's `BreakerState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum BreakerState {
    /// Calls flow; counts consecutive failures of distinct jobs.
    Closed {
        /// Consecutive failures so far (each job counted once).
        failures: u32,
    },
    /// Calls are refused until `until` (ms).
    Open {
        /// When a trial call may go.
        until: i64,
    },
    /// One trial call is in flight; its result closes or reopens the breaker.
    HalfOpen,
}

impl From<sync_core::retry::BreakerState> for BreakerState {
    fn from(s: sync_core::retry::BreakerState) -> Self {
        use sync_core::retry::BreakerState as S;
        match s {
            S::Closed { failures } => BreakerState::Closed { failures },
            S::Open { until } => BreakerState::Open { until },
            S::HalfOpen => BreakerState::HalfOpen,
        }
    }
}

/// A circuit breaker driven by the caller's clock (the core's `Breaker`).
#[derive(Debug, uniffi::Object)]
pub struct Breaker(Mutex<sync_core::retry::Breaker>);

impl Breaker {
    fn inner(&self) -> MutexGuard<'_, sync_core::retry::Breaker> {
        // The core's breaker never panics, so the lock is never poisoned; if it were, its
        // state is still whole (every update is a single assignment).
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[uniffi::export]
impl Breaker {
    /// A closed breaker; `config` (default: the core's, 5 distinct jobs in a row open it for
    /// 30 s) is checked first.
    #[uniffi::constructor(default(config = None))]
    pub fn new(config: Option<BreakerConfig>) -> Result<Arc<Self>, TasksyncError> {
        guard(|| {
            let config = core_breaker_config(config)?;
            Ok(Arc::new(Breaker(Mutex::new(
                sync_core::retry::Breaker::new(config),
            ))))
        })
    }

    /// Asks to make a call at `now`: null to go ahead (an open breaker past its time turns
    /// half-open and lets this one trial through), else the earliest time to try again.
    pub fn try_acquire(&self, now: i64) -> Option<i64> {
        self.inner().try_acquire(now).err()
    }

    /// Records a call's success (closes the breaker).
    pub fn on_success(&self) {
        self.inner().on_success();
    }

    /// Records a call's failure at `now` for `job` (a job already counted since the last
    /// success is not counted again; null always counts).
    #[uniffi::method(default(job = None))]
    pub fn on_failure(&self, now: i64, job: Option<String>) {
        self.inner().on_failure(now, job.as_deref());
    }

    /// The breaker's state.
    pub fn state(&self) -> BreakerState {
        self.inner().state.into()
    }
}
