//! The queue worker (mirrors `sync_core::retry::worker`, with its `metrics`): claims due jobs
//! and pushes them through providers written in Python (their `refresh_token()` is the token
//! refresh the worker calls on an expired token). `run(stop=...)` (or `run_async`) is the
//! core's worker loop: batches while there is work, heartbeats for the jobs in flight, and
//! idle waits that end at the next due job, the store's wake hint (a status change, from this
//! process or, on PostgreSQL, any other) or `poll_ms`; it returns the totals once `stop` is
//! stopped and the batch in flight is done. `run_once()` / `next_wake()` remain for hosts with
//! a loop of their own. Blocking methods release the GIL; `*_async` twins return coroutines.
//!
//! A worker on a built-in store (memory, SQLite, PostgreSQL) keeps its breaker and rate-limit
//! state in that store's provider gates, so every worker on that store (on SQLite and
//! PostgreSQL another process on the same file or database included) obeys one breaker and one
//! rate limit per provider; on a host store each worker keeps its own.
//!
//! Invariant: a blocking `run` stays interruptible: Python signal handlers run while it waits
//! (every [`SIGNAL_POLL_MS`]); an exception one raises (`KeyboardInterrupt`) stops the loop
//! like `stop` does and is raised once the batch in flight is done.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::FutureExt;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use sync_core::retry::{Sleep, TickReport, WorkerConfig};
use sync_core::store::WakeHint;
use sync_core::{ProviderClient, Worker};

use crate::convert::from_py;
use crate::convert::record::record;
use crate::runtime::{run_async, run_blocking};

/// How often a blocking `run` lets Python run its signal handlers (ms).
const SIGNAL_POLL_MS: u64 = 200;

record!(
    /// What one worker tick did (claimed, succeeded, retried, deferred, dead, lease_lost).
    PyTickReport, "TickReport", TickReport
);

/// Stops `Worker.run` loops: `stop()` lets the batch in flight finish, then `run` returns.
/// Thread-safe; one token may stop several loops.
#[pyclass(name = "StopToken", module = "tasksync._native", frozen)]
#[derive(Debug, Default)]
pub(crate) struct PyStopToken {
    state: Arc<StopState>,
}

#[derive(Debug, Default)]
struct StopState {
    stopped: AtomicBool,
    hint: WakeHint,
}

impl StopState {
    /// Resolves once `stop()` was called (on any executor).
    async fn stopped(self: Arc<Self>) {
        loop {
            let seen = self.hint.seen();
            if self.stopped.load(Ordering::SeqCst) {
                return;
            }
            self.hint.raised_since(seen).await;
        }
    }
}

#[pymethods]
impl PyStopToken {
    #[new]
    fn new() -> Self {
        Self::default()
    }

    /// Stops every loop holding this token (after its batch in flight).
    fn stop(&self) {
        self.state.stopped.store(true, Ordering::SeqCst);
        self.state.hint.raise();
    }

    /// Whether `stop` was called.
    #[getter]
    fn stopped(&self) -> bool {
        self.state.stopped.load(Ordering::SeqCst)
    }

    /// Blocks (GIL released) until `stop` is called or `timeout` seconds passed (`None`: no
    /// limit); returns `stopped`.
    #[pyo3(signature = (timeout = None))]
    fn wait(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<bool> {
        let limit = match timeout {
            None => None,
            Some(t) if t.is_finite() && t >= 0.0 => Some(Duration::from_secs_f64(t)),
            Some(_) => {
                return Err(crate::error::invalid_input(
                    "timeout must be a finite number of seconds, at least 0",
                ));
            }
        };
        let state = self.state.clone();
        py.detach(|| {
            let start = std::time::Instant::now();
            loop {
                let seen = state.hint.seen();
                if state.stopped.load(Ordering::SeqCst) {
                    return Ok(true);
                }
                let left = match limit {
                    None => Duration::from_secs(3600),
                    Some(l) => match l.checked_sub(start.elapsed()) {
                        Some(left) => left,
                        None => return Ok(false),
                    },
                };
                state.hint.wait_since(seen, left);
            }
        })
    }

    fn __repr__(&self) -> String {
        let stopped = if self.stopped() { "True" } else { "False" };
        format!("StopToken(stopped={stopped})")
    }
}

/// The host's timer for the core's loop: tokio's, on the binding's runtime (spawned there, so
/// the sleep can be awaited from the blocking executor too).
pub(crate) fn tokio_sleep() -> Arc<Sleep> {
    let handle = pyo3_async_runtimes::tokio::get_runtime().handle().clone();
    Arc::new(move |ms| {
        // The timer is made inside the task: tokio's timers need its runtime's context.
        let timer =
            handle.spawn(async move { tokio::time::sleep(Duration::from_millis(ms)).await });
        Box::pin(async move {
            let _ = timer.await;
        })
    })
}

/// Resolves when `stop` is stopped (never without one).
pub(crate) fn stop_future(stop: Option<&PyStopToken>) -> impl Future<Output = ()> + Send + 'static {
    let state = stop.map(|s| s.state.clone());
    async move {
        match state {
            Some(state) => state.stopped().await,
            None => futures::future::pending().await,
        }
    }
}

/// Resolves when a Python signal handler raised (the exception is kept in `raised`); runs the
/// handlers every [`SIGNAL_POLL_MS`] (they only run on the main thread: elsewhere it never
/// resolves).
pub(crate) async fn signals(sleep: Arc<Sleep>, raised: Arc<Mutex<Option<PyErr>>>) {
    loop {
        sleep(SIGNAL_POLL_MS).await;
        if let Err(err) = Python::attach(|py| py.check_signals()) {
            if let Ok(mut slot) = raised.lock() {
                *slot = Some(err);
            }
            return;
        }
    }
}

/// A queue worker: claims due jobs and pushes them through its providers.
#[pyclass(name = "Worker", module = "tasksync._native", frozen)]
pub(crate) struct PyWorker {
    inner: Arc<Worker>,
}

pub(crate) fn provider(obj: &Bound<'_, PyAny>) -> PyResult<Arc<dyn ProviderClient>> {
    if let Ok(p) = obj.cast::<crate::provider::PyProvider>() {
        return Ok(p.get().inner.clone());
    }
    crate::provider::host_provider(obj)
}

#[pymethods]
impl PyWorker {
    /// `store`: a queue store (built-in or host; the built-in ones also keep the provider
    /// gates, shared by every worker on them); `providers`: host provider objects (or
    /// `Provider`s), one per target name; `config`: `WorkerConfig` fields as keywords (`id`,
    /// `lease_ms`, `batch`, `concurrency`, `backoff`, `breaker`, `limiter`, `dead_policy`,
    /// `heartbeat_ms`, `poll_ms`).
    #[new]
    #[pyo3(signature = (store, providers = None, clock = None, events = None, **config))]
    fn new(
        store: &Bound<'_, PyAny>,
        providers: Option<Vec<Bound<'_, PyAny>>>,
        clock: Option<&Bound<'_, PyAny>>,
        events: Option<&Bound<'_, PyAny>>,
        config: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let config: WorkerConfig = match config {
            Some(d) => from_py(d.as_any(), "worker config")?,
            None => WorkerConfig::default(),
        };
        let jobs = crate::store::job_store::queue_store(store)?;
        let mut worker = Worker::new(
            jobs,
            crate::clock::clock(clock)?,
            crate::event::sink(events)?,
            config,
        )
        .map_err(crate::error::to_py)?;
        if let Some(gates) = crate::store::gate_store(store) {
            worker = worker.with_gates(gates);
        }
        for p in providers.unwrap_or_default() {
            worker = worker.with_provider(provider(&p)?);
        }
        Ok(PyWorker {
            inner: Arc::new(worker),
        })
    }

    /// Claims one batch, runs it and records the results.
    fn run_once(&self, py: Python<'_>) -> PyResult<PyTickReport> {
        let worker = self.inner.clone();
        Ok(run_blocking(py, async move { worker.run_once().await })?.into())
    }

    /// `run_once` as a coroutine.
    fn run_once_async<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let worker = self.inner.clone();
        let fut = async move { worker.run_once().await };
        run_async(py, fut, |py, r| {
            Ok(Py::new(py, PyTickReport::from(r))?.into_any())
        })
    }

    /// The core's worker loop until `stop` is stopped (`None`: until a signal handler raises,
    /// e.g. `KeyboardInterrupt`, which is raised once the batch in flight is done); returns the
    /// totals of every batch.
    #[pyo3(signature = (stop = None))]
    fn run(&self, py: Python<'_>, stop: Option<PyRef<'_, PyStopToken>>) -> PyResult<PyTickReport> {
        let worker = self.inner.clone();
        let sleep = tokio_sleep();
        let raised = Arc::new(Mutex::new(None));
        let stopped = futures::future::select(
            stop_future(stop.as_deref()).boxed(),
            signals(sleep.clone(), raised.clone()).boxed(),
        )
        .map(drop);
        let totals = run_blocking(py, async move { Ok(worker.run(&*sleep, stopped).await) })?;
        if let Some(err) = raised.lock().ok().and_then(|mut r| r.take()) {
            return Err(err);
        }
        Ok(totals.into())
    }

    /// `run` as a coroutine: ends when `stop` is stopped (after the batch in flight), or at
    /// once when the task is cancelled.
    #[pyo3(signature = (stop = None))]
    fn run_async<'py>(
        &self,
        py: Python<'py>,
        stop: Option<PyRef<'py, PyStopToken>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let worker = self.inner.clone();
        let stopped = stop_future(stop.as_deref());
        let fut = async move { Ok(worker.run(&*tokio_sleep(), stopped).await) };
        run_async(py, fut, |py, r| {
            Ok(Py::new(py, PyTickReport::from(r))?.into_any())
        })
    }

    /// Extends the leases of the jobs in flight; returns how many (the loop of `run` does
    /// this by itself every `heartbeat_ms`).
    fn heartbeat(&self, py: Python<'_>) -> PyResult<usize> {
        let worker = self.inner.clone();
        run_blocking(py, async move { worker.heartbeat().await })
    }

    /// When there may be work next (ms since the epoch); `None`: idle.
    fn next_wake(&self, py: Python<'_>) -> PyResult<Option<sync_core::Millis>> {
        let worker = self.inner.clone();
        run_blocking(py, async move { worker.next_wake().await })
    }

    /// `next_wake` as a coroutine.
    fn next_wake_async<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let worker = self.inner.clone();
        let fut = async move { worker.next_wake().await };
        run_async(py, fut, |py, at| {
            Ok(at.into_pyobject(py)?.into_any().unbind())
        })
    }

    /// The queue metrics in the Prometheus text format.
    fn metrics_text(&self) -> String {
        self.inner.metrics().render_prometheus()
    }

    /// Jobs of `target` that ended with `outcome` (`succeeded`, `retried`, `dead`, ...).
    fn jobs_total(&self, target: &str, outcome: &str) -> u64 {
        self.inner.metrics().jobs_total(target, outcome)
    }

    fn __repr__(&self) -> String {
        format!("{:?}", self.inner)
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyTickReport>()?;
    m.add_class::<PyWorker>()?;
    m.add_class::<PyStopToken>()?;
    Ok(())
}
