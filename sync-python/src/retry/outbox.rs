//! The outbox (mirrors `sync_core::retry::outbox`): `StatusService` changes a hub status and
//! enqueues its sync jobs in one change set. Blocking methods release the GIL; `*_async`
//! twins return coroutines.

use std::sync::Arc;

use pyo3::prelude::*;
use sync_core::Status;
use sync_core::retry::{StatusChangeReport, StatusService, Target, TargetSpec};

use crate::convert::from_py;
use crate::convert::record::record;
use crate::runtime::{run_async, run_blocking};

record!(
    /// What a status change did: the changes applied (the requested one first, then its
    /// effects), the jobs enqueued with them, and `targets`: every target considered for each
    /// change, with its `job_id` or the reason it was `skipped`.
    PyStatusChangeReport, "StatusChangeReport", StatusChangeReport
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
    /// `store`: a store that keeps jobs (`MemoryStore`, `SqliteStore`, `PostgresStore` or a host
    /// queue store; a host task store without the job methods takes changes that enqueue no
    /// job and refuses the others, writing nothing); `targets`: a list of
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
            crate::store::job_store::outbox_store(store)?,
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

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyStatusChangeReport>()?;
    m.add_class::<PyStatusService>()?;
    Ok(())
}
