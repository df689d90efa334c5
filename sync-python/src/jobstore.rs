//! Job stores (mirrors `sync_core::retry::JobStore`): a Python object as the job store, the
//! queue-store argument every queue class takes, and `JobQueue`, the operator's view of a
//! queue (jobs, dead letters, requeue, discard, sync status).
//!
//! A host queue store is a host task store (see [`crate::store`]) that also implements
//! `claim(owner, now, lease_ms, limit)`, `finish(owner, now, results)`, `job(id)`,
//! `jobs(query)`, `requeue(id, now)`, `discard(id, now)`, `next_due()` and
//! `sync_status(task_id)` (plain or `async def`, the core's serde forms as dicts) and keeps the
//! `JobStore` contract (`run_job_store_conformance` checks it). In `requeue` and `discard` it
//! raises `tasksync.NotFoundError` for an unknown id and `tasksync.InvalidStateError` for a
//! job that is not dead.
//!
//! Invariant: the built-in stores are used directly (no Python on their path).

use std::sync::Arc;

use async_trait::async_trait;
use pyo3::prelude::*;
use pyo3::types::PyTuple;
use sync_core::retry::{
    Finish, Job, JobError, JobQuery, JobState, JobStore, QueueStore, SyncStatus,
};
use sync_core::{Clock, Millis, StoreError};

use crate::convert::{from_py, to_py};
use crate::error::{InvalidStateError, NotFoundError, store_error};
use crate::record::record;
use crate::runtime::{run_async, run_blocking};
use crate::store::{HostTaskStore, PyMemoryStore, PySqliteStore};

/// The methods that make a host task store a job store too.
pub(crate) const JOB_METHODS: &[&str] = &[
    "claim",
    "finish",
    "job",
    "jobs",
    "requeue",
    "discard",
    "next_due",
    "sync_status",
];

impl HostTaskStore {
    fn require_jobs(&self) -> Result<(), StoreError> {
        if self.keeps_jobs {
            return Ok(());
        }
        Err(StoreError::Backend(format!(
            "the host task store {} keeps no sync jobs (it lacks {})",
            self.type_name,
            JOB_METHODS.join(", ")
        )))
    }

    async fn settle(&self, method: &'static str, id: String, now: Millis) -> Result<Job, JobError> {
        self.require_jobs()?;
        let arg = id.clone();
        let ret =
            crate::runtime::call_host(&self.obj, method, move |py| (arg, now).into_pyobject(py))
                .await;
        match ret {
            Ok(value) => Python::attach(|py| from_py::<Job>(value.bind(py), method))
                .map_err(|e| JobError::Store(store_error(e))),
            Err(err) => {
                let (not_found, not_dead) = Python::attach(|py| {
                    (
                        err.is_instance_of::<NotFoundError>(py),
                        err.is_instance_of::<InvalidStateError>(py),
                    )
                });
                if not_found {
                    return Err(JobError::NotFound(id));
                }
                if not_dead {
                    let state = match self.job(id.clone()).await {
                        Ok(Some(job)) => job.state.as_str().to_owned(),
                        _ => "not dead".to_owned(),
                    };
                    return Err(JobError::NotDead { id, state });
                }
                Err(JobError::Store(store_error(err)))
            }
        }
    }
}

#[async_trait]
impl JobStore for HostTaskStore {
    async fn claim(
        &self,
        owner: String,
        now: Millis,
        lease_ms: u64,
        limit: usize,
    ) -> Result<Vec<Job>, StoreError> {
        self.require_jobs()?;
        self.call("claim", move |py| {
            (owner, now, lease_ms, limit).into_pyobject(py)
        })
        .await
    }

    async fn finish(
        &self,
        owner: String,
        now: Millis,
        results: Vec<Finish>,
    ) -> Result<Vec<bool>, StoreError> {
        self.require_jobs()?;
        self.call("finish", move |py| {
            let results = to_py(py, &results)?;
            (owner, now, results).into_pyobject(py)
        })
        .await
    }

    async fn job(&self, id: String) -> Result<Option<Job>, StoreError> {
        self.require_jobs()?;
        self.call("job", |py| PyTuple::new(py, [id])).await
    }

    async fn jobs(&self, query: JobQuery) -> Result<Vec<Job>, StoreError> {
        self.require_jobs()?;
        self.call("jobs", move |py| PyTuple::new(py, [to_py(py, &query)?]))
            .await
    }

    async fn requeue(&self, id: String, now: Millis) -> Result<Job, JobError> {
        self.settle("requeue", id, now).await
    }

    async fn discard(&self, id: String, now: Millis) -> Result<Job, JobError> {
        self.settle("discard", id, now).await
    }

    async fn next_due(&self) -> Result<Option<Millis>, StoreError> {
        self.require_jobs()?;
        self.call("next_due", |py| Ok(PyTuple::empty(py))).await
    }

    async fn sync_status(&self, task_id: String) -> Result<Vec<(String, SyncStatus)>, StoreError> {
        self.require_jobs()?;
        self.call("sync_status", |py| PyTuple::new(py, [task_id]))
            .await
    }
}

/// The queue store a `store=` argument names: a built-in store, or a host object with the
/// task and job store methods.
pub(crate) fn queue_store(obj: &Bound<'_, PyAny>) -> PyResult<Arc<dyn QueueStore>> {
    if let Ok(s) = obj.cast::<PyMemoryStore>() {
        return Ok(s.get().inner.clone());
    }
    if let Ok(s) = obj.cast::<PySqliteStore>() {
        return Ok(s.get().inner.clone());
    }
    let mut methods = crate::store::TASK_METHODS.to_vec();
    methods.extend_from_slice(JOB_METHODS);
    crate::host::require(obj, "queue store (task store + job store)", &methods)?;
    Ok(Arc::new(HostTaskStore::new(obj)?))
}

record!(
    /// One sync job (see `sync_core::retry::Job`): the outbox record of one status change for
    /// one target.
    PyJob, "Job", Job
);

fn jobs_to_py(py: Python<'_>, jobs: Vec<Job>) -> PyResult<Py<PyAny>> {
    let list: Vec<PyJob> = jobs.into_iter().map(PyJob::from).collect();
    Ok(list.into_pyobject(py)?.into_any().unbind())
}

fn job_to_py(py: Python<'_>, job: Option<Job>) -> PyResult<Py<PyAny>> {
    match job {
        Some(job) => Ok(Py::new(py, PyJob::from(job))?.into_any()),
        None => Ok(py.None()),
    }
}

fn state(name: Option<&str>) -> PyResult<Option<JobState>> {
    name.map(|s| s.parse().map_err(crate::error::to_py))
        .transpose()
}

/// The operator's view of a queue: list and inspect jobs, retry or discard dead letters, and
/// the per-target sync status of a task.
#[pyclass(name = "JobQueue", module = "tasksync._native", frozen)]
pub(crate) struct PyJobQueue {
    store: Arc<dyn QueueStore>,
    clock: Arc<dyn Clock>,
    history: Option<sync_core::history::HistoryRecorder>,
}

impl PyJobQueue {
    fn audit(&self, job: &Job, discarded: bool, actor: Option<String>, now: Millis) {
        use sync_core::history::{Actor, AuditEntry};
        if let Some(history) = &self.history {
            let who = actor.map(Actor::user).unwrap_or_default();
            history.audit(if discarded {
                AuditEntry::job_discarded(&job.id, who, now)
            } else {
                AuditEntry::job_retried(&job.id, who, now)
            });
        }
    }
}

#[pymethods]
impl PyJobQueue {
    /// `store`: a `MemoryStore`, a `SqliteStore` or a host queue store; `clock`: `None`
    /// (system), a `ManualClock` or a host clock (the time a requeue is due at); `history`:
    /// `None` or a `History` that gets an audit entry per manual retry or discard.
    #[new]
    #[pyo3(signature = (store, clock = None, history = None))]
    fn new(
        store: &Bound<'_, PyAny>,
        clock: Option<&Bound<'_, PyAny>>,
        history: Option<PyRef<'_, crate::history::PyHistory>>,
    ) -> PyResult<Self> {
        Ok(PyJobQueue {
            store: queue_store(store)?,
            clock: crate::clock::clock(clock)?,
            history: history.map(|h| h.recorder.clone()),
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
        let (store, now) = (self.store.clone(), self.clock.now_ms());
        let job = run_blocking(py, async move { Ok(store.requeue(id, now).await?) })?;
        self.audit(&job, false, actor, now);
        Ok(job.into())
    }

    /// `requeue` as a coroutine.
    #[pyo3(signature = (id, actor = None))]
    fn requeue_async<'py>(
        &self,
        py: Python<'py>,
        id: String,
        actor: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (store, now) = (self.store.clone(), self.clock.now_ms());
        let history = self.history.clone();
        let fut = async move {
            let job = store.requeue(id, now).await?;
            let queue = PyJobQueue {
                store,
                clock: Arc::new(sync_core::SystemClock),
                history,
            };
            queue.audit(&job, false, actor, now);
            Ok(job)
        };
        run_async(py, fut, |py, job| job_to_py(py, Some(job)))
    }

    /// Marks a dead job `discarded` (errors as for `requeue`).
    #[pyo3(signature = (id, actor = None))]
    fn discard(&self, py: Python<'_>, id: String, actor: Option<String>) -> PyResult<PyJob> {
        let (store, now) = (self.store.clone(), self.clock.now_ms());
        let job = run_blocking(py, async move { Ok(store.discard(id, now).await?) })?;
        self.audit(&job, true, actor, now);
        Ok(job.into())
    }

    /// The task's sync status per target: `{"mstodo": "synced", ...}` (`pending`, `syncing`,
    /// `synced`, `failed` or `discarded`).
    fn sync_status(&self, py: Python<'_>, task_id: String) -> PyResult<Py<PyAny>> {
        let store = self.store.clone();
        let status = run_blocking(py, async move { Ok(store.sync_status(task_id).await?) })?;
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

/// The sync status a task shows when the latest job of a (task, target) is in `state`
/// (`"dead"` is `"failed"`, `"discarded"` is `"discarded"`, ...): the core's rule, for a host
/// queue store's `sync_status`. `InvalidInputError` for an unknown state.
#[pyfunction]
fn sync_status_of(state: &str) -> PyResult<&'static str> {
    let state: JobState = state.parse().map_err(crate::error::to_py)?;
    Ok(SyncStatus::of(state).as_str())
}

/// Runs the job store suite (`sync_core::retry::conformance`), each case on a fresh queue
/// store from `factory()`; returns the failures as `(case, message)` pairs.
#[pyfunction]
fn run_job_store_conformance(
    py: Python<'_>,
    factory: Py<PyAny>,
) -> PyResult<Vec<(String, String)>> {
    // Build every store up front (under the GIL) so a bad factory is an exception here,
    // not a panic inside the suite.
    let count = sync_core::retry::conformance::CASES.len();
    let mut stores = Vec::with_capacity(count);
    for _ in 0..count {
        stores.push(queue_store(factory.bind(py).call0()?.as_any())?);
    }
    let stores = std::sync::Mutex::new(stores);
    let failures = run_blocking(py, async {
        let make = || {
            stores
                .lock()
                .map(|mut s| s.remove(0))
                .expect("one store per case was built")
        };
        Ok(sync_core::retry::conformance::run_all(make).await)
    })?;
    Ok(failures
        .into_iter()
        .map(|(n, m)| (n.to_owned(), m))
        .collect())
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyJob>()?;
    m.add_class::<PyJobQueue>()?;
    m.add_function(wrap_pyfunction!(run_job_store_conformance, m)?)?;
    m.add_function(wrap_pyfunction!(sync_status_of, m)?)?;
    Ok(())
}
