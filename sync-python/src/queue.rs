//! The outbound queue (mirrors `sync_core::retry`'s `StatusService` and `Worker`).
//!
//! `StatusService` changes a hub status and enqueues its sync jobs in one change set (the
//! outbox); `Worker` claims due jobs and pushes them through providers written in Python
//! (their `refresh_token()` is the token refresh the worker calls on an expired token). The
//! host drives the worker: call `run_once()` in a loop and sleep until `next_wake()`, exactly
//! as the CLI does. Both have blocking methods that release the GIL and `*_async` twins.

use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::PyDict;
use sync_core::retry::{
    StatusChangeReport, StatusService, Target, TargetSpec, TickReport, WorkerConfig,
};
use sync_core::{ProviderClient, Status, Worker};

use crate::convert::from_py;
use crate::record::record;
use crate::runtime::{run_async, run_blocking};

record!(
    /// What a status change did: the changes applied (the requested one first, then its
    /// effects), the jobs enqueued with them, and `targets`: every target considered for each
    /// change, with its `job_id` or the reason it was `skipped`.
    PyStatusChangeReport, "StatusChangeReport", StatusChangeReport
);

record!(
    /// What one worker tick did (claimed, succeeded, retried, deferred, dead, lease_lost).
    PyTickReport, "TickReport", TickReport
);

/// Targets as Python gives them: the core's `TargetSpec` form, `{"name": "mstodo", "kind":
/// "ms_todo", "max_attempts": 5, "sources": ["files"]}`.
fn targets(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<Target>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(Vec::new());
    };
    let specs: Vec<TargetSpec> = from_py(obj, "targets")?;
    specs
        .into_iter()
        .map(|spec| spec.into_target().map_err(crate::error::to_py))
        .collect()
}

/// Changes task statuses and enqueues their sync jobs atomically.
#[pyclass(name = "StatusService", module = "tasksync._native", frozen)]
pub(crate) struct PyStatusService {
    inner: Arc<StatusService>,
}

#[pymethods]
impl PyStatusService {
    /// `store`: a store that keeps jobs (`MemoryStore`, `SqliteStore` or a host queue store;
    /// a host task store without jobs refuses the change set); `targets`: a list of
    /// `{"name", "kind", "max_attempts"?, "sources"?}` dicts (a target receives the tasks of
    /// the source of its own name unless `sources` lists others); `rules`: `None` (default
    /// table) or a `TransitionRules`; `history`: `None` or a `History` that gets an audit
    /// entry per change.
    #[new]
    #[pyo3(signature = (store, targets = None, rules = None, clock = None, events = None,
                        history = None))]
    fn new(
        store: &Bound<'_, PyAny>,
        targets: Option<&Bound<'_, PyAny>>,
        rules: Option<PyRef<'_, crate::transition::PyTransitionRules>>,
        clock: Option<&Bound<'_, PyAny>>,
        events: Option<&Bound<'_, PyAny>>,
        history: Option<PyRef<'_, crate::history::PyHistory>>,
    ) -> PyResult<Self> {
        let mut service = StatusService::new(
            crate::store::task_store(store)?,
            crate::clock::clock(clock)?,
            crate::event::sink(events)?,
        );
        if let Some(rules) = rules {
            service = service.with_rules(rules.inner.clone());
        }
        if let Some(history) = history {
            service = service.with_history(history.recorder.clone());
        }
        for target in self::targets(targets)? {
            service = service.with_target(target);
        }
        Ok(PyStatusService {
            inner: Arc::new(service),
        })
    }

    /// Moves task `task_id` to status `to` on behalf of `actor`, with its effects and jobs, in
    /// one atomic write. `InvalidTransitionError` when the rules refuse (nothing written).
    #[pyo3(signature = (task_id, to, actor = None))]
    fn change_status(
        &self,
        py: Python<'_>,
        task_id: String,
        to: &Bound<'_, PyAny>,
        actor: Option<String>,
    ) -> PyResult<PyStatusChangeReport> {
        let to: Status = from_py(to, "status")?;
        let service = self.inner.clone();
        let report = run_blocking(py, async move {
            service.change_status(&task_id, to, actor.as_deref()).await
        })?;
        Ok(report.into())
    }

    /// `change_status` as a coroutine.
    #[pyo3(signature = (task_id, to, actor = None))]
    fn change_status_async<'py>(
        &self,
        py: Python<'py>,
        task_id: String,
        to: &Bound<'py, PyAny>,
        actor: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let to: Status = from_py(to, "status")?;
        let service = self.inner.clone();
        let fut = async move { service.change_status(&task_id, to, actor.as_deref()).await };
        run_async(py, fut, |py, r| {
            Ok(Py::new(py, PyStatusChangeReport::from(r))?.into_any())
        })
    }

    fn __repr__(&self) -> String {
        format!("{:?}", self.inner)
    }
}

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
        let jobs = crate::jobstore::queue_store(store)?;
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
    m.add_class::<PyStatusChangeReport>()?;
    m.add_class::<PyTickReport>()?;
    m.add_class::<PyStatusService>()?;
    m.add_class::<PyWorker>()?;
    Ok(())
}
