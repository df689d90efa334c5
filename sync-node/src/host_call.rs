//! Support, not a core module: how the binding calls a JS host object (task, session, queue
//! and history stores, providers, token refreshers). It stays one file beside the mirrored
//! ones because `store.rs`, `history.rs`, `provider.rs` and `retry/store.rs` all reach their JS
//! objects the same way, and the calling convention must be one.
//!
//! A JS host object is reached through one dispatch function
//! `(method, argsJson) => Promise<resultJson>` that the JS wrapper (`js/host.cjs`) builds
//! around the user's object.
//!
//! Invariants: the dispatch never rejects; it resolves `{"ok": value}` or
//! `{"err": {"code", "message", ...}}` (a thrown or rejected user method becomes the latter), so
//! every failure arrives here typed. Calls are made from tokio threads and awaited; the JS
//! thread only runs the user's method. The threadsafe function is weak: a host object never
//! keeps the Node process alive by itself.

use std::sync::Arc;

use napi::bindgen_prelude::{FnArgs, Function, Promise};
use napi::threadsafe_function::ThreadsafeFunction;
use serde::Deserialize;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// The JS side of a host object: `(method, argsJson) => Promise<resultJson>`.
pub type DispatchFn<'env> = Function<'env, FnArgs<(String, String)>, Promise<String>>;

type Dispatch = ThreadsafeFunction<
    FnArgs<(String, String)>,
    Promise<String>,
    FnArgs<(String, String)>,
    napi::Status,
    false,
    true,
>;

/// A failure reported by a host object.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct HostFailure {
    /// The error's `code` (a core error code such as `conflict`, or a provider class such as
    /// `rate_limited`), empty when the thrown value had none.
    #[serde(default)]
    pub code: String,
    /// The error's message.
    #[serde(default)]
    pub message: String,
    /// Extra fields (`status`, `retryAfterMs`, ...), as thrown.
    #[serde(default)]
    pub status: Option<u16>,
    /// For `rate_limited`: how long to wait.
    #[serde(default, rename = "retryAfterMs", deserialize_with = "saturating_ms")]
    pub retry_after_ms: Option<u64>,
}

impl HostFailure {
    fn broken(message: impl Into<String>) -> Self {
        HostFailure {
            code: String::new(),
            message: message.into(),
            status: None,
            retry_after_ms: None,
        }
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Reply<T> {
    Ok { ok: T },
    Err { err: HostFailure },
}

/// A JS object reached through its dispatch function. Cheap to clone.
#[derive(Clone)]
pub struct Host {
    dispatch: Arc<Dispatch>,
    what: &'static str,
}

impl std::fmt::Debug for Host {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Host")
            .field("what", &self.what)
            .finish_non_exhaustive()
    }
}

impl Host {
    /// Wraps a dispatch function; `what` names the object in error messages ("task store").
    pub fn new(dispatch: DispatchFn<'_>, what: &'static str) -> napi::Result<Host> {
        let dispatch = dispatch
            .build_threadsafe_function()
            .callee_handled::<false>()
            .weak::<true>()
            .build()?;
        Ok(Host {
            dispatch: Arc::new(dispatch),
            what,
        })
    }

    /// Calls `method` with `args` and awaits its Promise.
    pub async fn call<A: Serialize, R: DeserializeOwned>(
        &self,
        method: &str,
        args: &A,
    ) -> Result<R, HostFailure> {
        let args = serde_json::to_string(args)
            .map_err(|e| HostFailure::broken(format!("{}: serialize arguments: {e}", self.what)))?;
        let what = self.what;
        let broken = |e: napi::Error| HostFailure::broken(format!("{what}.{method}: {}", e.reason));
        let promise = self
            .dispatch
            .call_async((method.to_owned(), args).into())
            .await
            .map_err(broken)?;
        let reply = promise.await.map_err(broken)?;
        match serde_json::from_str::<Reply<R>>(&reply) {
            Ok(Reply::Ok { ok }) => Ok(ok),
            Ok(Reply::Err { err }) => Err(err),
            Err(e) => Err(HostFailure::broken(format!(
                "{what}.{method} returned a value of the wrong shape: {e}"
            ))),
        }
    }
}

/// Reads a duration a JS value gave as any JSON number: negative is 0, beyond `u64` saturates
/// (the core then clamps it to `MAX_DELAY_MS`); a JS number above 2^64 is still a 429.
fn saturating_ms<'de, D: serde::Deserializer<'de>>(de: D) -> Result<Option<u64>, D::Error> {
    let value: Option<f64> = Option::deserialize(de)?;
    // A float-to-int cast saturates and maps NaN to 0.
    Ok(value.map(|ms| ms as u64))
}
