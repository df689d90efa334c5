//! Backoff schedules, the classification of a provider call's result, and the one rule for
//! every delay the queue adds to the clock ([`MAX_DELAY_MS`], [`later`]).

use serde::{Deserialize, Serialize};

pub use crate::clock::{MAX_DELAY_MS, later};
use crate::model::Millis;
use crate::provider::ProviderError;

/// Refuses a configured duration above [`MAX_DELAY_MS`], naming the field.
pub(crate) fn check_delay(field: &str, value: u64) -> crate::Result<()> {
    if value > MAX_DELAY_MS {
        return Err(crate::Error::invalid_input(format!(
            "`{field}` must be at most {MAX_DELAY_MS} ms (one day), got {value}"
        )));
    }
    Ok(())
}

/// Exponential backoff: `base * factor^(attempt-1)`, capped, with optional jitter.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Backoff {
    /// Delay after the first failed attempt, in ms.
    pub base_ms: u64,
    /// Growth per attempt.
    pub factor: u32,
    /// Largest delay, in ms.
    pub max_ms: u64,
    /// Attempts in all (the first call included) before a job is dead; the budget of every
    /// job whose target sets none of its own.
    pub max_attempts: u32,
    /// Share of each delay randomized away (0 = none, 0.5 = up to half earlier).
    pub jitter: f64,
}

impl Default for Backoff {
    /// The complete-a-task flow's schedule: the first call, then 5 retries after 1, 2, 4, 8
    /// and 16 s (6 attempts in all), then the dead letters; no jitter.
    fn default() -> Self {
        Backoff {
            base_ms: 1_000,
            factor: 2,
            max_ms: 16_000,
            max_attempts: 6,
            jitter: 0.0,
        }
    }
}

impl Backoff {
    /// Checks the policy: at least one attempt, a factor of at least 1, jitter in [0, 1] and
    /// delays of at most [`MAX_DELAY_MS`].
    pub fn validate(&self) -> crate::Result<()> {
        if self.max_attempts == 0 || self.factor == 0 || !(0.0..=1.0).contains(&self.jitter) {
            return Err(crate::Error::invalid_input(format!(
                "backoff needs max_attempts >= 1, factor >= 1 and jitter in [0, 1], got {self:?}"
            )));
        }
        check_delay("backoff.base_ms", self.base_ms)?;
        check_delay("backoff.max_ms", self.max_ms)
    }

    /// The delay after failed attempt number `attempt` (1-based). `seed` drives the jitter
    /// (any value; the same seed gives the same delay).
    pub fn delay_ms(&self, attempt: u32, seed: u64) -> u64 {
        let exp = attempt.saturating_sub(1).min(63);
        let raw = u64::from(self.factor)
            .checked_pow(exp)
            .and_then(|f| f.checked_mul(self.base_ms))
            .unwrap_or(u64::MAX)
            .min(self.max_ms);
        if self.jitter == 0.0 {
            return raw;
        }
        // splitmix64: a well-mixed fraction in [0, 1) from the seed, no RNG crate needed.
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        let fraction = ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64;
        raw - (raw as f64 * self.jitter * fraction) as u64
    }
}

/// What to do after a provider call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// Done.
    Succeeded,
    /// Try again at `at` (the attempt counted).
    RetryAt {
        /// When.
        at: Millis,
    },
    /// Refresh the token through the host, then retry at once (the attempt counted).
    RefreshToken,
    /// Dead: non-retryable, or out of attempts.
    Dead {
        /// Why.
        reason: String,
    },
}

/// Classifies the result of attempt number `attempt` (1-based) made at `now`.
/// A 429's `Retry-After` wins over the backoff when it is longer (clamped to
/// [`MAX_DELAY_MS`]).
pub fn classify(
    result: Result<(), &ProviderError>,
    attempt: u32,
    now: Millis,
    backoff: &Backoff,
    seed: u64,
) -> Outcome {
    let err = match result {
        Ok(()) => return Outcome::Succeeded,
        Err(err) => err,
    };
    if !err.is_retryable() {
        return Outcome::Dead {
            reason: err.to_string(),
        };
    }
    if attempt >= backoff.max_attempts {
        return Outcome::Dead {
            reason: format!("gave up after {attempt} attempts; last error: {err}"),
        };
    }
    match err {
        ProviderError::TokenExpired { .. } => Outcome::RefreshToken,
        ProviderError::RateLimited { retry_after_ms, .. } => {
            let wait = backoff.delay_ms(attempt, seed).max(*retry_after_ms);
            Outcome::RetryAt {
                at: later(now, wait),
            }
        }
        _ => Outcome::RetryAt {
            at: later(now, backoff.delay_ms(attempt, seed)),
        },
    }
}
