//! Running core futures from Python, and awaiting Python from core futures.
//!
//! Binding plumbing (no core module of this name): what it owns is the two ways a binding call
//! runs (blocking with the GIL released, or as an asyncio coroutine on the shared tokio
//! runtime), the panic fence around both (and `_panic_for_tests`, the hook proving it),
//! [`require`], the check that a host object has the methods of the part it stands for, and
//! [`call_host`], through which every host-implemented part (store, provider, clock...) is
//! called, whether its method is a plain function or an `async def`.
//!
//! Invariants:
//! - No panic crosses into Python: both paths catch it and raise `InternalError`.
//! - The GIL is never held while a core future waits: blocking calls run under `py.detach`,
//!   host callbacks take the GIL only for the call itself.
//! - Blocking calls nest: a host callback may call the engine again (our executor does not
//!   refuse re-entry the way `futures::executor::block_on` does). They run in the tokio
//!   runtime's context, so a core future may use tokio (the built-in HTTP adapters do).
//! - An `*_async` method returns a coroutine (`tasksync._coro.deferred`): the core future is
//!   handed to tokio, and the caller's event loop found, only when the coroutine first runs,
//!   so `asyncio.run(engine.preview_async(...))` works (no loop needs to run at call time).
//! - An `async def` host method is awaited on the caller's event loop when the call came from
//!   an `*_async` method, and on the package's private loop thread (`tasksync._hostloop`)
//!   when it came from a blocking call, so a blocking call never waits on a loop it blocks.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::Thread;

use futures::FutureExt;
use pyo3::prelude::*;
use pyo3::types::{PyCFunction, PyTuple};
use pyo3_async_runtimes::TaskLocals;

use crate::error;

tokio::task_local! {
    /// The asyncio loop of the `*_async` call a future runs for.
    static HOST_LOCALS: TaskLocals;
}

struct ThreadWaker(Thread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

/// Polls a future to completion on this thread, parking between polls. Re-entrant.
pub(crate) fn block_on<F: Future>(fut: F) -> F::Output {
    let mut fut = pin!(fut);
    let waker = Waker::from(Arc::new(ThreadWaker(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(out) = fut.as_mut().poll(&mut cx) {
            return out;
        }
        std::thread::park();
    }
}

/// Runs a core future to completion with the GIL released; core errors and panics become
/// exceptions.
pub(crate) fn run_blocking<T, F>(py: Python<'_>, fut: F) -> PyResult<T>
where
    F: Future<Output = Result<T, sync_core::Error>> + Send,
    T: Send,
{
    let out = py.detach(|| {
        std::panic::catch_unwind(AssertUnwindSafe(|| {
            // In the runtime's context: the built-in adapters' HTTP client and timers are
            // tokio's (their I/O is driven by the runtime's threads).
            let _entered = pyo3_async_runtimes::tokio::get_runtime().enter();
            block_on(fut)
        }))
    });
    match out {
        Ok(result) => result.map_err(error::to_py),
        Err(panic) => Err(error::panic_to_py(panic)),
    }
}

/// Returns a coroutine that, once awaited, runs a core future on the tokio runtime and
/// returns its result converted by `convert` (under the GIL). Nothing runs until the coroutine
/// does: the caller's event loop is looked up then, not when the coroutine is made.
pub(crate) fn run_async<'py, T, F, C>(
    py: Python<'py>,
    fut: F,
    convert: C,
) -> PyResult<Bound<'py, PyAny>>
where
    F: Future<Output = Result<T, sync_core::Error>> + Send + 'static,
    T: Send + 'static,
    C: FnOnce(Python<'_>, T) -> PyResult<Py<PyAny>> + Send + 'static,
{
    let pending = Mutex::new(Some((fut, convert)));
    let start = PyCFunction::new_closure(py, None, None, move |args, _kwargs| {
        let py = args.py();
        let taken = pending.lock().ok().and_then(|mut p| p.take());
        let Some((fut, convert)) = taken else {
            return Err(error::InvalidStateError::new_err(
                "this coroutine was already awaited",
            ));
        };
        let locals = pyo3_async_runtimes::tokio::get_current_locals(py)?;
        let scoped = HOST_LOCALS.scope(locals.clone(), AssertUnwindSafe(fut).catch_unwind());
        pyo3_async_runtimes::tokio::future_into_py_with_locals(py, locals, async move {
            match scoped.await {
                Ok(Ok(value)) => Python::attach(|py| convert(py, value)),
                Ok(Err(err)) => Err(error::to_py(err)),
                Err(panic) => Err(error::panic_to_py(panic)),
            }
        })
        .map(Bound::unbind)
    })?;
    py.import("tasksync._coro")?
        .call_method1("deferred", (start,))
}

/// Calls `method` on a host object with the arguments `args` builds (under the GIL), and
/// awaits the result if the method is `async def`.
pub(crate) async fn call_host<A>(
    obj: &Py<PyAny>,
    method: &'static str,
    args: A,
) -> PyResult<Py<PyAny>>
where
    A: for<'py> FnOnce(Python<'py>) -> PyResult<Bound<'py, PyTuple>>,
{
    let pending = Python::attach(|py| -> PyResult<Result<Py<PyAny>, _>> {
        let ret = obj.bind(py).call_method1(method, args(py)?)?;
        if !ret.hasattr("__await__")? {
            return Ok(Ok(ret.unbind()));
        }
        match HOST_LOCALS.try_with(Clone::clone) {
            Ok(locals) => Ok(Err(pyo3_async_runtimes::into_future_with_locals(
                &locals, ret,
            )?)),
            Err(_) => {
                let hostloop = py.import("tasksync._hostloop")?;
                Ok(Ok(hostloop.call_method1("run", (ret,))?.unbind()))
            }
        }
    })?;
    match pending {
        Ok(value) => Ok(value),
        Err(fut) => fut.await,
    }
}

/// Fails with `InvalidInputError` unless `obj` has every one of `methods` (callable).
pub(crate) fn require(obj: &Bound<'_, PyAny>, role: &str, methods: &[&str]) -> PyResult<()> {
    let missing: Vec<&str> = methods
        .iter()
        .copied()
        .filter(|m| !obj.getattr(*m).is_ok_and(|a| a.is_callable()))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let type_name = obj
        .get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_default();
    Err(error::invalid_input(format!(
        "a {type_name} cannot be the {role}: it lacks {}",
        missing.join(", ")
    )))
}

/// Panics inside a core future, to prove a panic surfaces as `InternalError` (a hidden hook
/// for the binding's own tests).
#[pyfunction]
fn _panic_for_tests(py: Python<'_>) -> PyResult<()> {
    run_blocking(py, async {
        if std::hint::black_box(true) {
            panic!("panic requested by _panic_for_tests");
        }
        Ok(())
    })
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_panic_for_tests, m)?)?;
    Ok(())
}
