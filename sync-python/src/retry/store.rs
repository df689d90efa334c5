//! Job stores (mirrors `sync_core::retry::store`): a Python object as the job store, and the
//! queue-store argument every queue class takes.
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
use sync_core::retry::{Finish, Job, JobError, JobQuery, JobStore, QueueStore, SyncStatus};
use sync_core::{Millis, StoreError};

use crate::convert::{from_py, to_py};
use crate::error::{InvalidStateError, NotFoundError, store_error};
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
    crate::runtime::require(obj, "queue store (task store + job store)", &methods)?;
    Ok(Arc::new(HostTaskStore::new(obj)?))
}
