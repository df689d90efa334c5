//! Backoff schedules and the classification of a provider call's result (mirrors
//! `sync_core::retry`'s backoff): the [`Backoff`] record, [`backoff_delay_ms`], [`classify`]
//! and its [`Outcome`], and [`max_delay_ms`]. All pure: the caller passes `now` (ms) and obeys
//! the answer.
//!
//! Invariant: every field a host leaves out (`None`) takes the core's default
//! (`sync_core::retry::Backoff::default()`), and a schedule is checked by the core's
//! `validate` before use (`InvalidInput` naming the field).

use crate::error::{ProviderError, TasksyncError, guard};

/// The retry schedule: `base_ms * factor^(attempt-1)`, capped at `max_ms`. `None` fields take
/// the core's defaults (1, 2, 4, 8, 16 s; 6 attempts in all; no jitter).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Backoff {
    /// Delay after the first failed attempt (ms, at most a day).
    #[uniffi(default = None)]
    pub base_ms: Option<u64>,
    /// Growth per attempt.
    #[uniffi(default = None)]
    pub factor: Option<u32>,
    /// Largest delay (ms, at most a day).
    #[uniffi(default = None)]
    pub max_ms: Option<u64>,
    /// Attempts in all, the first call included: the budget of jobs whose target sets none.
    #[uniffi(default = None)]
    pub max_attempts: Option<u32>,
    /// Share of each delay randomized away (0 to 1).
    #[uniffi(default = None)]
    pub jitter: Option<f64>,
}

impl From<Backoff> for sync_core::retry::Backoff {
    fn from(b: Backoff) -> Self {
        let d = sync_core::retry::Backoff::default();
        sync_core::retry::Backoff {
            base_ms: b.base_ms.unwrap_or(d.base_ms),
            factor: b.factor.unwrap_or(d.factor),
            max_ms: b.max_ms.unwrap_or(d.max_ms),
            max_attempts: b.max_attempts.unwrap_or(d.max_attempts),
            jitter: b.jitter.unwrap_or(d.jitter),
        }
    }
}

/// The core's schedule of a host's, checked.
pub(crate) fn core_backoff(
    backoff: Option<Backoff>,
) -> Result<sync_core::retry::Backoff, TasksyncError> {
    let backoff = backoff.map(Into::into).unwrap_or_default();
    sync_core::retry::Backoff::validate(&backoff)?;
    Ok(backoff)
}

/// The delay (ms) after failed attempt number `attempt` (1-based) under `backoff`; `seed`
/// drives the jitter (the same seed gives the same delay).
#[uniffi::export(default(seed = 0))]
pub fn backoff_delay_ms(backoff: Backoff, attempt: u32, seed: u64) -> Result<u64, TasksyncError> {
    guard(|| Ok(core_backoff(Some(backoff))?.delay_ms(attempt, seed)))
}

/// What to do after a provider call (the core's `Outcome`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum Outcome {
    /// Done.
    Succeeded,
    /// Try again at `at` (ms; the attempt counted).
    RetryAt {
        /// When.
        at: i64,
    },
    /// Refresh the token through the host, then retry at once (the attempt counted).
    RefreshToken,
    /// Dead: not retryable, or out of attempts.
    Dead {
        /// Why.
        reason: String,
    },
}

impl From<sync_core::retry::Outcome> for Outcome {
    fn from(o: sync_core::retry::Outcome) -> Self {
        use sync_core::retry::Outcome as O;
        match o {
            O::Succeeded => Outcome::Succeeded,
            O::RetryAt { at } => Outcome::RetryAt { at },
            O::RefreshToken => Outcome::RefreshToken,
            O::Dead { reason } => Outcome::Dead { reason },
        }
    }
}

/// What to do after attempt number `attempt` (1-based) of a provider call made at `now`:
/// `error` is null for a success, else the provider's error; `backoff` (default: the core's
/// schedule) gives the delays and the attempt budget. A 429's `retry_after_ms` wins over the
/// backoff when it is longer (clamped to a day).
#[uniffi::export(default(backoff = None, seed = 0))]
pub fn classify(
    error: Option<ProviderError>,
    attempt: u32,
    now: i64,
    backoff: Option<Backoff>,
    seed: u64,
) -> Result<Outcome, TasksyncError> {
    guard(|| {
        let backoff = core_backoff(backoff)?;
        let error = error.map(sync_core::ProviderError::from);
        let result = match &error {
            Some(err) => Err(err),
            None => Ok(()),
        };
        Ok(sync_core::retry::classify(result, attempt, now, &backoff, seed).into())
    })
}

/// The longest delay the queue waits (ms): one day. Longer configured durations are refused,
/// a longer `Retry-After` is clamped to it.
#[uniffi::export]
pub fn max_delay_ms() -> u64 {
    sync_core::retry::MAX_DELAY_MS
}
