//! Dead letters by hand (mirrors `sync_core::retry::dead`): `JobQueue`, the operator's view of
//! a queue. Listing and inspecting read the store; retry and discard go through the core's
//! `DeadLetters` (its rules, its audit entry with details, its `JobChanged` event); the sync
//! status of a task is the core's.

use std::sync::Arc;

use pyo3::prelude::*;
use sync_core::history::Actor;
use sync_core::retry::{DeadLetters, Job, JobQuery, QueueStore, SyncStatus};
use sync_core::{Millis, Result};

use crate::convert::to_py;
use crate::runtime::{run_async, run_blocking};
use crate::store::job::{PyJob, job_to_py, jobs_to_py, state};

/// The operator's view of a queue: list and inspect jobs, retry or discard dead letters, and
/// the per-target sync status of a task.
#[pyclass(name = "JobQueue", module = "tasksync._native", frozen)]
pub(crate) struct PyJobQueue {
    store: Arc<dyn QueueStore>,
    dead: Arc<DeadLetters>,
}

fn actor(name: Option<String>) -> Actor {
    name.map(Actor::user).unwrap_or_default()
}

async fn retry(dead: Arc<DeadLetters>, id: String, who: Option<String>) -> Result<Job> {
    dead.retry(&id, actor(who)).await
}

async fn discard(dead: Arc<DeadLetters>, id: String, who: Option<String>) -> Result<Job> {
    dead.discard(&id, actor(who)).await
}

#[pymethods]
impl PyJobQueue {
    /// `store`: a `MemoryStore`, a `SqliteStore`, a `PostgresStore` or a host queue store;
    /// `clock`: `None` (system), a `ManualClock` or a host clock (the time a retry is due at);
    /// `events`: an event sink that gets a `job_changed` event per manual retry or discard;
    /// `history`: `None` or a `History` that gets an audit entry per manual retry or discard.
    #[new]
    #[pyo3(signature = (store, clock = None, history = None, events = None))]
    fn new(
        store: &Bound<'_, PyAny>,
        clock: Option<&Bound<'_, PyAny>>,
        history: Option<PyRef<'_, crate::history::PyHistory>>,
        events: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let store = crate::store::job_store::queue_store(store)?;
        let mut dead = DeadLetters::new(
            store.clone(),
            crate::clock::clock(clock)?,
            crate::event::sink(events)?,
        );
        if let Some(history) = history {
            dead = dead.with_history(history.recorder.clone());
        }
        Ok(PyJobQueue {
            store,
            dead: Arc::new(dead),
        })
    }

    /// Jobs ordered by (`created_at`, `id`), filtered by state, target and task; page with
    /// `after` (the previous page's last id) and `limit` (0: 100).
    #[pyo3(signature = (state = None, target = None, task_id = None, after = None, limit = 0))]
    fn jobs(
        &self,
        py: Python<'_>,
        state: Option<&str>,
        target: Option<String>,
        task_id: Option<String>,
        after: Option<String>,
        limit: usize,
    ) -> PyResult<Py<PyAny>> {
        let query = JobQuery {
            state: self::state(state)?,
            target,
            task_id,
            after,
            limit,
        };
        let store = self.store.clone();
        let jobs = run_blocking(py, async move { Ok(store.jobs(query).await?) })?;
        jobs_to_py(py, jobs)
    }

    /// The dead letters (jobs in state `dead`), paged like `jobs`.
    #[pyo3(signature = (target = None, after = None, limit = 0))]
    fn dead_letters(
        &self,
        py: Python<'_>,
        target: Option<String>,
        after: Option<String>,
        limit: usize,
    ) -> PyResult<Py<PyAny>> {
        self.jobs(py, Some("dead"), target, None, after, limit)
    }

    /// One job, or `None`.
    fn job(&self, py: Python<'_>, id: String) -> PyResult<Py<PyAny>> {
        let store = self.store.clone();
        let job = run_blocking(py, async move { Ok(store.job(id).await?) })?;
        job_to_py(py, job)
    }

    /// Moves a dead job back to `pending`, due now, with a fresh attempt budget
    /// (`superseded` instead when a newer intent exists). `NotFoundError` for an unknown id,
    /// `InvalidStateError` for a job that is not dead; either way nothing changes.
    /// `actor` is recorded in the audit log.
    #[pyo3(signature = (id, actor = None))]
    fn requeue(&self, py: Python<'_>, id: String, actor: Option<String>) -> PyResult<PyJob> {
        Ok(run_blocking(py, retry(self.dead.clone(), id, actor))?.into())
    }

    /// `requeue` as a coroutine.
    #[pyo3(signature = (id, actor = None))]
    fn requeue_async<'py>(
        &self,
        py: Python<'py>,
        id: String,
        actor: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let fut = retry(self.dead.clone(), id, actor);
        run_async(py, fut, |py, job| job_to_py(py, Some(job)))
    }

    /// Marks a dead job `discarded` (errors as for `requeue`).
    #[pyo3(signature = (id, actor = None))]
    fn discard(&self, py: Python<'_>, id: String, actor: Option<String>) -> PyResult<PyJob> {
        Ok(run_blocking(py, discard(self.dead.clone(), id, actor))?.into())
    }

    /// `discard` as a coroutine.
    #[pyo3(signature = (id, actor = None))]
    fn discard_async<'py>(
        &self,
        py: Python<'py>,
        id: String,
        actor: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let fut = discard(self.dead.clone(), id, actor);
        run_async(py, fut, |py, job| job_to_py(py, Some(job)))
    }

    /// The task's sync status per target: `{"mstodo": "synced", ...}` (`pending`, `syncing`,
    /// `synced`, `failed` or `discarded`).
    fn sync_status(&self, py: Python<'_>, task_id: String) -> PyResult<Py<PyAny>> {
        let store = self.store.clone();
        let status = run_blocking(py, async move {
            Ok(sync_core::retry::sync_status(&*store, &task_id).await?)
        })?;
        let map: std::collections::BTreeMap<String, SyncStatus> = status.into_iter().collect();
        to_py(py, &map)
    }

    /// When the earliest pending job is due or the earliest lease expires; `None`: idle.
    fn next_due(&self, py: Python<'_>) -> PyResult<Option<Millis>> {
        let store = self.store.clone();
        run_blocking(py, async move { Ok(store.next_due().await?) })
    }

    fn __repr__(&self) -> &'static str {
        "JobQueue(...)"
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyJobQueue>()?;
    Ok(())
}
