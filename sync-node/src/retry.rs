//! Retry policies: backoff delays as a pure function (the outbound queue's jobs, job store and
//! worker bind here as they land in the core).
//!
//! Invariant: an invalid backoff policy is `invalid_input`, checked before use.

use napi_derive::napi;
use sync_core::retry::Backoff;

use crate::error::{core, guard_sync, parse};

/// The delay before attempt `attempt` (1-based) under a backoff policy (JSON `Backoff`),
/// with `seed` driving the jitter deterministically.
#[napi]
pub fn backoff_delay_ms(backoff: String, attempt: u32, seed: i64) -> napi::Result<i64> {
    guard_sync(|| {
        let backoff: Backoff = parse("backoff", &backoff)?;
        backoff.validate().map_err(core)?;
        Ok(backoff.delay_ms(attempt, seed as u64) as i64)
    })
}
