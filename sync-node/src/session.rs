//! Sessions: `SessionEngine` on a `Store` (create, start, switch, state, pause, resume,
//! complete, delete) and `serverTime`. Results are JSON (`Session`, `SessionState`).
//!
//! Invariants:
//! - Ids and cycle lists are validated by the core before any write; a bad one is
//!   `invalid_input` and nothing changes.
//! - A session a JS session store returns is checked by the core's engine before use (a
//!   corrupt one is `store`, see `store.rs` for the keys); nothing is written over it.
//!
//! The inline fast path ([`run`]): an operation on an in-memory store is polled once on the JS
//! thread and, when it completes in that poll (it always does: the memory stores never wait),
//! its value is returned directly instead of a Promise resolved from a tokio thread. That saves
//! two thread hops per call (JS → tokio → JS), which is most of a session switch's latency.
//! - Only for work that cannot block: the in-memory stores and a clock that is not a JS
//!   function (a JS clock called from the JS thread would wait for itself). SQLite and JS
//!   stores always take the Promise path.
//! - A future still pending after its first poll moves to the tokio runtime unchanged (the
//!   next poll there registers the real waker), so correctness never depends on the fast path.
//! - Panics are caught exactly as on the Promise path ([`guard`]).

use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Poll};

use napi::Env;
use napi::bindgen_prelude::{Either, Function, PromiseRaw, ToNapiValue};
use napi_derive::napi;
use sync_core::session::Cycle;
use sync_core::{EventSink, Limits, NullSink};

use crate::clock::Clock;
use crate::error::{core, guard, to_json};
use crate::event::JsSink;
use crate::input::parse;
use crate::store::Store;

/// A value now, or a Promise of it.
pub type Now<'env, T> = Either<T, PromiseRaw<'env, T>>;

/// Runs `fut` inline when allowed and it completes at once, else on the tokio runtime.
pub fn run<'env, T, F>(env: &'env Env, inline: bool, fut: F) -> napi::Result<Now<'env, T>>
where
    T: ToNapiValue + Send + 'static,
    F: Future<Output = napi::Result<T>> + Send + 'static,
{
    if !inline {
        return env.spawn_future(guard(fut)).map(Either::B);
    }
    let mut fut = Box::pin(guard(fut));
    let waker = futures::task::noop_waker();
    let mut cx = Context::from_waker(&waker);
    match fut.as_mut().poll(&mut cx) {
        Poll::Ready(result) => result.map(Either::A),
        Poll::Pending => env.spawn_future(fut).map(Either::B),
    }
}

/// The session engine.
#[napi]
pub struct SessionEngine {
    inner: sync_core::SessionEngine,
    clock: Arc<dyn sync_core::Clock>,
    /// Whether operations may complete inline (memory store, no JS clock): see [`run`].
    inline: bool,
}

impl std::fmt::Debug for SessionEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionEngine").finish_non_exhaustive()
    }
}

macro_rules! op {
    ($self:ident, $env:ident, |$engine:ident| $call:expr) => {{
        let $engine = $self.inner.clone();
        run($env, $self.inline, async move {
            to_json(&$call.await.map_err(core)?)
        })
    }};
}

#[napi]
impl SessionEngine {
    /// An engine on `store`'s sessions, with an optional clock, event callback and limits
    /// (JSON `Limits`: `max_cycles`).
    #[napi(constructor)]
    pub fn new(
        store: &Store,
        clock: Option<&Clock>,
        on_event: Option<Function<'_, String, ()>>,
        limits: Option<String>,
    ) -> napi::Result<Self> {
        let limits: Limits = match limits {
            Some(json) => parse("limits", &json)?,
            None => Limits::default(),
        };
        let clock_is_host = clock.is_some_and(|c| c.host);
        let clock: Arc<dyn sync_core::Clock> = match clock {
            Some(clock) => clock.inner.clone(),
            None => Arc::new(sync_core::SystemClock),
        };
        let events: Arc<dyn EventSink> = match on_event {
            Some(callback) => Arc::new(JsSink::new(callback)?),
            None => Arc::new(NullSink),
        };
        let inline = store.inline && !clock_is_host;
        let inner = sync_core::SessionEngine::new(store.sessions.clone(), clock.clone(), events)
            .with_limits(limits);
        Ok(SessionEngine {
            inner,
            clock,
            inline,
        })
    }

    /// Creates a session over cycles (JSON `[{id, name}]`); resolves the `Session` JSON.
    #[napi(ts_return_type = "string | Promise<string>")]
    pub fn create<'env>(
        &self,
        env: &'env Env,
        id: String,
        cycles: String,
    ) -> napi::Result<Now<'env, String>> {
        let cycles: Vec<Cycle> = parse("cycles", &cycles)?;
        op!(self, env, |engine| engine.create(id, cycles))
    }

    /// Starts a created session.
    #[napi(ts_return_type = "string | Promise<string>")]
    pub fn start<'env>(&self, env: &'env Env, id: String) -> napi::Result<Now<'env, String>> {
        op!(self, env, |engine| engine.start(&id))
    }

    /// Switches to the cycle `to` (by id), or to the next one (wrapping) when omitted.
    #[napi(ts_return_type = "string | Promise<string>")]
    pub fn switch<'env>(
        &self,
        env: &'env Env,
        id: String,
        to: Option<String>,
    ) -> napi::Result<Now<'env, String>> {
        op!(self, env, |engine| engine.switch(&id, to.as_deref()))
    }

    /// Pauses a running session.
    #[napi(ts_return_type = "string | Promise<string>")]
    pub fn pause<'env>(&self, env: &'env Env, id: String) -> napi::Result<Now<'env, String>> {
        op!(self, env, |engine| engine.pause(&id))
    }

    /// Resumes a paused session.
    #[napi(ts_return_type = "string | Promise<string>")]
    pub fn resume<'env>(&self, env: &'env Env, id: String) -> napi::Result<Now<'env, String>> {
        op!(self, env, |engine| engine.resume(&id))
    }

    /// Completes a session.
    #[napi(ts_return_type = "string | Promise<string>")]
    pub fn complete<'env>(&self, env: &'env Env, id: String) -> napi::Result<Now<'env, String>> {
        op!(self, env, |engine| engine.complete(&id))
    }

    /// The stored session record.
    #[napi(ts_return_type = "string | Promise<string>")]
    pub fn get<'env>(&self, env: &'env Env, id: String) -> napi::Result<Now<'env, String>> {
        op!(self, env, |engine| engine.get(&id))
    }

    /// The session's view now (`SessionState`).
    #[napi(ts_return_type = "string | Promise<string>")]
    pub fn state<'env>(&self, env: &'env Env, id: String) -> napi::Result<Now<'env, String>> {
        op!(self, env, |engine| engine.state(&id))
    }

    /// Deletes a session; resolves its last `SessionState`.
    #[napi(ts_return_type = "string | Promise<string>")]
    pub fn delete<'env>(&self, env: &'env Env, id: String) -> napi::Result<Now<'env, String>> {
        op!(self, env, |engine| engine.delete(&id))
    }

    /// The engine clock's time (`ServerTime` JSON), for clients computing their offset.
    #[napi]
    pub fn server_time<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, String>> {
        let clock = self.clock.clone();
        env.spawn_future(guard(async move {
            to_json(&sync_core::server_time(&*clock).map_err(core)?)
        }))
    }
}
