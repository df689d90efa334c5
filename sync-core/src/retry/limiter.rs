//! A per-provider token-bucket rate limiter that a 429 can pause.

use serde::{Deserialize, Serialize};

use super::backoff::later;
use crate::model::Millis;

/// Rate and burst of a provider's calls.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimiterConfig {
    /// Sustained calls per second.
    pub per_second: f64,
    /// Calls that may go at once after a quiet spell.
    pub burst: u32,
}

impl Default for RateLimiterConfig {
    fn default() -> Self {
        RateLimiterConfig {
            per_second: 10.0,
            burst: 10,
        }
    }
}

impl RateLimiterConfig {
    /// No limit of its own: only a 429's pause holds calls back.
    pub fn unlimited() -> Self {
        RateLimiterConfig {
            per_second: 1e12,
            burst: u32::MAX,
        }
    }

    /// Checks the configuration.
    pub fn validate(&self) -> crate::Result<()> {
        if !(self.per_second.is_finite() && self.per_second > 0.0) || self.burst == 0 {
            return Err(crate::Error::invalid_input(format!(
                "rate limit must have per_second > 0 and burst >= 1 (got {} and {})",
                self.per_second, self.burst
            )));
        }
        Ok(())
    }
}

/// A token bucket on the caller's clock.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RateLimiter {
    /// Its configuration.
    pub config: RateLimiterConfig,
    tokens: f64,
    refilled_at: Millis,
    paused_until: Millis,
}

impl RateLimiter {
    /// A full bucket at `now`.
    pub fn new(config: RateLimiterConfig, now: Millis) -> Self {
        let tokens = f64::from(config.burst);
        RateLimiter {
            config,
            tokens,
            refilled_at: now,
            paused_until: Millis::MIN,
        }
    }

    fn refill(&mut self, now: Millis) {
        if now > self.refilled_at {
            let earned =
                now.saturating_sub(self.refilled_at) as f64 / 1_000.0 * self.config.per_second;
            self.tokens = (self.tokens + earned).min(f64::from(self.config.burst));
            self.refilled_at = now;
        }
    }

    /// When calls may go again after a 429's pause (`None`: not paused at `now`).
    pub fn paused(&self, now: Millis) -> Option<Millis> {
        (now < self.paused_until).then_some(self.paused_until)
    }

    /// Takes a token at `now`, or says when one will be there (`Err(at)`).
    pub fn try_acquire(&mut self, now: Millis) -> Result<(), Millis> {
        if now < self.paused_until {
            return Err(self.paused_until);
        }
        self.refill(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            return Ok(());
        }
        let missing = 1.0 - self.tokens;
        // A float-to-int cast saturates; `later` clamps a very slow rate's wait to a day.
        let wait = (missing / self.config.per_second * 1_000.0).ceil() as u64;
        Err(later(now, wait.max(1)))
    }

    /// A 429 said "retry after": the whole provider waits until `now + retry_after_ms`
    /// (clamped to [`MAX_DELAY_MS`](super::MAX_DELAY_MS)).
    pub fn pause(&mut self, now: Millis, retry_after_ms: u64) {
        self.paused_until = self.paused_until.max(later(now, retry_after_ms));
    }
}
