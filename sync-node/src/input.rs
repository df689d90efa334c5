//! Caller input (binds `sync_core::input`): JSON text from JS parsed into core types, and the
//! core's unknown-key rule for the options objects the JS wrapper reads itself.
//!
//! Invariant: malformed or mistyped input, an unknown key or an over-long text is
//! `invalid_input` naming what it was, before anything is touched; the rule and its message are
//! the core's.

use napi_derive::napi;
use serde::de::DeserializeOwned;

use crate::error::{core, guard_sync};

/// Parses a JSON argument through the core (`sync_core::input`): malformed or mistyped input,
/// an unknown key or an over-long text is `invalid_input` naming `what`.
pub fn parse<T: DeserializeOwned>(what: &str, json: &str) -> napi::Result<T> {
    sync_core::input::from_json(what, json).map_err(core)
}

/// Refuses an options object with a key outside `known` (the core's unknown-key rule and
/// message), for the options the JS wrapper reads itself (`{ clock, events }`, ...).
#[napi]
pub fn check_option_keys(what: String, keys: Vec<String>, known: Vec<String>) -> napi::Result<()> {
    guard_sync(|| {
        let known: Vec<&str> = known.iter().map(String::as_str).collect();
        sync_core::input::check_keys(&what, keys.iter().map(String::as_str), &known).map_err(core)
    })
}
