//! The rate limiter (binds `sync_core::retry::limiter`): a per-provider token bucket the host
//! drives with `tryAcquire(now)` and `pause(now, retryAfterMs)` (an HTTP 429).
//!
//! Invariant: the bucket is the core's; the config (JSON `RateLimiterConfig`, unknown keys
//! refused) is validated by the core, and a pause is clamped by the core to a day.

use napi_derive::napi;
use sync_core::retry::{RateLimiter as CoreRateLimiter, RateLimiterConfig};

use super::duration_ms;
use crate::error::{core, guard_sync};
use crate::input::parse;

/// A per-provider token-bucket rate limiter: `per_second` tokens a second, at most `burst`.
#[napi]
#[derive(Debug)]
pub struct RateLimiter {
    inner: CoreRateLimiter,
}

#[napi]
impl RateLimiter {
    /// A full bucket at `now`, configured by JSON `RateLimiterConfig` (`per_second`, `burst`;
    /// defaults for what is omitted).
    #[napi(constructor)]
    pub fn new(now: i64, config: Option<String>) -> napi::Result<Self> {
        guard_sync(|| {
            let config: RateLimiterConfig = match config {
                Some(json) => parse("rate limiter config", &json)?,
                None => RateLimiterConfig::default(),
            };
            config.validate().map_err(core)?;
            Ok(RateLimiter {
                inner: CoreRateLimiter::new(config, now),
            })
        })
    }

    /// `null` if a call may go at `now` (a token is taken), else the earliest time to try
    /// again.
    #[napi]
    pub fn try_acquire(&mut self, now: i64) -> Option<i64> {
        self.inner.try_acquire(now).err()
    }

    /// Pauses the provider for `retryAfterMs` from `now` (an HTTP 429; at most a day).
    #[napi]
    pub fn pause(&mut self, now: i64, retry_after_ms: f64) -> napi::Result<()> {
        let ms = duration_ms("retryAfterMs", retry_after_ms)?;
        self.inner.pause(now, ms);
        Ok(())
    }
}
