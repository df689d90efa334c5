//! Backoff and classification (binds `sync_core::retry::backoff`): the delay before an attempt
//! and what to do after a provider call, as pure functions (the caller passes `now`).
//!
//! Invariant: the backoff policy is parsed and validated by the core before use; a provider
//! error comes in the core's JSON form (`{"class": "timeout", "provider": ..., ...}`, unknown
//! keys refused) and the answer is the core's `Outcome` JSON.

use napi_derive::napi;
use sync_core::ProviderError;
use sync_core::retry::{Backoff, classify as core_classify};

use crate::error::{core, guard_sync, to_json};
use crate::input::parse;

fn backoff(json: Option<String>) -> napi::Result<Backoff> {
    let backoff: Backoff = match json {
        Some(json) => parse("backoff", &json)?,
        None => Backoff::default(),
    };
    backoff.validate().map_err(core)?;
    Ok(backoff)
}

/// The delay before attempt `attempt` (1-based) under a backoff policy (JSON `Backoff`),
/// with `seed` driving the jitter deterministically.
#[napi]
pub fn backoff_delay_ms(backoff_json: String, attempt: u32, seed: i64) -> napi::Result<i64> {
    guard_sync(|| Ok(backoff(Some(backoff_json))?.delay_ms(attempt, seed as u64) as i64))
}

/// What to do after attempt `attempt` (1-based) of a provider call made at `now`: `error` is
/// null for a success, else a provider error's JSON (`{"class": "timeout", "provider": ...,
/// "message": ...}`); `backoff` (JSON `Backoff`) defaults to the worker's default. Returns
/// the `Outcome` JSON: `{"outcome": "succeeded" | "retry_at" | "refresh_token" | "dead", ...}`.
#[napi]
pub fn classify(
    error: Option<String>,
    attempt: u32,
    now: i64,
    backoff_json: Option<String>,
    seed: Option<i64>,
) -> napi::Result<String> {
    guard_sync(|| {
        let error: Option<ProviderError> = match error {
            Some(json) => Some(parse("provider error", &json)?),
            None => None,
        };
        let backoff = backoff(backoff_json)?;
        let result = match &error {
            Some(err) => Err(err),
            None => Ok(()),
        };
        to_json(&core_classify(
            result,
            attempt,
            now,
            &backoff,
            seed.unwrap_or(0) as u64,
        ))
    })
}
