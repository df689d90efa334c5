//! The per-provider token-bucket rate limiter (mirrors `sync_core::retry`'s limiter): the
//! [`RateLimiterConfig`] record a worker takes, and the [`RateLimiter`] object over the core's
//! `RateLimiter` for hosts that pace their own calls (a 429 pauses it).
//!
//! Invariant: conversion only; a configuration is checked by the core's `validate`, and every
//! decision is the core limiter's, on the caller's clock.

use std::sync::{Arc, Mutex, MutexGuard};

use crate::error::{TasksyncError, guard};

/// A per-provider token-bucket rate limit. `None` fields take the core's defaults.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct RateLimiterConfig {
    /// Sustained calls per second.
    #[uniffi(default = None)]
    pub per_second: Option<f64>,
    /// Calls that may go at once after a quiet spell.
    #[uniffi(default = None)]
    pub burst: Option<u32>,
}

impl From<RateLimiterConfig> for sync_core::retry::RateLimiterConfig {
    fn from(r: RateLimiterConfig) -> Self {
        let d = sync_core::retry::RateLimiterConfig::default();
        sync_core::retry::RateLimiterConfig {
            per_second: r.per_second.unwrap_or(d.per_second),
            burst: r.burst.unwrap_or(d.burst),
        }
    }
}

/// The core's configuration of a host's, checked.
pub(crate) fn core_limiter_config(
    config: Option<RateLimiterConfig>,
) -> Result<sync_core::retry::RateLimiterConfig, TasksyncError> {
    let config: sync_core::retry::RateLimiterConfig = config.map(Into::into).unwrap_or_default();
    config.validate()?;
    Ok(config)
}

/// A token bucket on the caller's clock (the core's `RateLimiter`).
#[derive(Debug, uniffi::Object)]
pub struct RateLimiter(Mutex<sync_core::retry::RateLimiter>);

impl RateLimiter {
    fn inner(&self) -> MutexGuard<'_, sync_core::retry::RateLimiter> {
        // The core's limiter never panics, so the lock is never poisoned; if it were, its
        // state is still usable (a bucket and two times).
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[uniffi::export]
impl RateLimiter {
    /// A full bucket at `now`; `config` (default: the core's, 10 calls a second, bursts of
    /// 10) is checked first.
    #[uniffi::constructor(default(config = None))]
    pub fn new(now: i64, config: Option<RateLimiterConfig>) -> Result<Arc<Self>, TasksyncError> {
        guard(|| {
            let config = core_limiter_config(config)?;
            Ok(Arc::new(RateLimiter(Mutex::new(
                sync_core::retry::RateLimiter::new(config, now),
            ))))
        })
    }

    /// Takes a token at `now`: null when the call may go, else the earliest time to try again.
    pub fn try_acquire(&self, now: i64) -> Option<i64> {
        self.inner().try_acquire(now).err()
    }

    /// Pauses the provider for `retry_after_ms` from `now` (an HTTP 429; at most a day).
    pub fn pause(&self, now: i64, retry_after_ms: u64) {
        self.inner().pause(now, retry_after_ms);
    }
}
