//! The inline fast path: an operation on an in-memory store is polled once on the JS thread and,
//! when it completes in that poll (it always does: the memory stores never wait), its value is
//! returned directly instead of a Promise resolved from a tokio thread. That saves two thread
//! hops per call (JS → tokio → JS), which is most of a session switch's latency.
//!
//! Invariants:
//! - Only for work that cannot block: the in-memory stores and a clock that is not a JS
//!   function (a JS clock called from the JS thread would wait for itself). Callers decide
//!   with `inline`; SQLite and JS stores always take the Promise path.
//! - A future still pending after its first poll moves to the tokio runtime unchanged (the next
//!   poll there registers the real waker), so correctness never depends on the fast path.
//! - Panics are caught exactly as on the Promise path ([`guard`]).

use std::future::Future;
use std::task::{Context, Poll};

use napi::Env;
use napi::bindgen_prelude::{Either, PromiseRaw, ToNapiValue};

use crate::error::guard;

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
