//! Error mapping: every core error becomes a napi error whose message starts with
//! `[tasksync:<code>] `, `<code>` being `ErrorKind::code()` (`internal` for a caught panic,
//! the core's `Error::from_panic`). The JS wrapper (`js/errors.cjs`) turns that prefix into one
//! `Error` subclass per code with a stable `code` property, and the JSON tail of an identity
//! conflict or a provider failure into properties; prefix and tails are the only contract
//! between the two.
//!
//! Also owns the boundary guards: [`guard`] and [`guard_sync`] catch panics (parsing JS input
//! is `input.rs`).

use std::future::Future;
use std::panic::AssertUnwindSafe;

use futures::FutureExt;
use serde::Serialize;

/// Longest JSON argument accepted from JS: larger input is refused before parsing.
pub const MAX_JSON_BYTES: usize = sync_core::limits::MAX_JSON_BYTES;

/// A napi error carrying `code`.
pub fn coded(code: &str, message: impl std::fmt::Display) -> napi::Error {
    napi::Error::new(
        napi::Status::GenericFailure,
        format!("[tasksync:{code}] {message}"),
    )
}

/// A core error as a napi error. An identity conflict carries its identity (clipped) as a JSON
/// tail, `{"external_id":…,"source":…}` (keys in that order), and a provider failure the
/// core's `ProviderDetails`, `{"provider":…,"class":…,"http_status":…,"retry_after_ms":…}`;
/// the JS wrapper turns either into properties.
pub fn core(err: sync_core::Error) -> napi::Error {
    core_ref(&err)
}

/// [`core`] for a borrowed error (a loop's result handed to a callback).
pub fn core_ref(err: &sync_core::Error) -> napi::Error {
    if let Some(details) = err.provider_details() {
        let tail = serde_json::to_string(&details).unwrap_or_default();
        return coded(err.kind().code(), format!("{err} {tail}"));
    }
    if let sync_core::Error::IdentityConflict(refused) = err {
        let text = |s: &str| serde_json::Value::from(s).to_string();
        let tail = format!(
            "{{\"external_id\":{},\"source\":{}}}",
            text(&refused.external_id),
            text(&refused.source)
        );
        return coded(err.kind().code(), format!("{err} {tail}"));
    }
    coded(err.kind().code(), err)
}

/// An `invalid_input` napi error.
pub fn invalid(message: impl std::fmt::Display) -> napi::Error {
    coded(
        sync_core::ErrorKind::InvalidInput.code(),
        format!("invalid input: {message}"),
    )
}

/// Serializes a result for JS. Core types always serialize; a failure is a bug, reported as one.
pub fn to_json<T: Serialize>(value: &T) -> napi::Result<String> {
    serde_json::to_string(value)
        .map_err(|e| core(sync_core::Error::internal(format!("serialize: {e}"))))
}

/// Runs a future, turning a panic inside it into the core's `internal` error.
pub async fn guard<T, F>(fut: F) -> napi::Result<T>
where
    F: Future<Output = napi::Result<T>>,
{
    match AssertUnwindSafe(fut).catch_unwind().await {
        Ok(result) => result,
        Err(payload) => Err(core(sync_core::Error::from_panic(&*payload))),
    }
}

/// Runs a closure, turning a panic inside it into the core's `internal` error.
pub fn guard_sync<T>(f: impl FnOnce() -> napi::Result<T>) -> napi::Result<T> {
    match std::panic::catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(payload) => Err(core(sync_core::Error::from_panic(&*payload))),
    }
}

/// Test-only: panics inside the binding, so tests can prove a panic surfaces as an error.
#[napi_derive::napi(js_name = "__panicForTests")]
pub fn panic_for_tests() -> napi::Result<bool> {
    guard_sync(|| panic!("test panic in a synchronous call"))
}

/// Test-only: panics inside a Promise's future.
#[napi_derive::napi(js_name = "__panicInPromiseForTests")]
pub fn panic_in_promise_for_tests(
    env: &napi::Env,
) -> napi::Result<napi::bindgen_prelude::PromiseRaw<'_, bool>> {
    env.spawn_future(guard(async {
        panic!("test panic inside a promise");
    }))
}
