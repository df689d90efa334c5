//! The queue worker (mirrors `sync_core::retry::worker`, with its `metrics`): claims due jobs
//! and pushes them through providers written in Python (their `refresh_token()` is the token
//! refresh the worker calls on an expired token). The host drives it: call `run_once()` in a
//! loop and sleep until `next_wake()`, exactly as the CLI does. Blocking methods release the
//! GIL; `*_async` twins return coroutines.

use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::PyDict;
use sync_core::retry::{TickReport, WorkerConfig};
use sync_core::{ProviderClient, Worker};

use crate::convert::from_py;
use crate::convert::record::record;
use crate::runtime::{run_async, run_blocking};

record!(
    /// What one worker tick did (claimed, succeeded, retried, deferred, dead, lease_lost).
    PyTickReport, "TickReport", TickReport
);

/// A queue worker: claims due jobs and pushes them through its providers.
#[pyclass(name = "Worker", module = "tasksync._native", frozen)]
pub(crate) struct PyWorker {
    inner: Arc<Worker>,
}

fn provider(obj: &Bound<'_, PyAny>) -> PyResult<Arc<dyn ProviderClient>> {
    if let Ok(p) = obj.cast::<crate::provider::PyProvider>() {
        return Ok(p.get().inner.clone());
    }
    crate::provider::host_provider(obj)
}

#[pymethods]
impl PyWorker {
    /// `store`: a queue store (built-in or host); `providers`: host provider objects (or
    /// `Provider`s), one per target name; `config`: `WorkerConfig` fields as keywords (`id`,
    /// `lease_ms`, `batch`, `concurrency`, `backoff`, `breaker`, `limiter`, `dead_policy`).
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
    Ok(())
}
