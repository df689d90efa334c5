//! Job stores (mirrors `sync_core::store::job_store`): a Python object as the job store, and the
//! queue-store arguments the queue classes take.
//!
//! A host queue store is a host task store (see [`crate::store`]) that also implements
//! `claim(owner, now, lease_ms, limit)`, `job(id)`, `jobs(query)` and `next_due()` (plain or
//! `async def`, the core's serde forms as dicts), and writes the `jobs` of a change set (each
//! `{"op": "insert", "job"}` or `{"op": "update", "job", "expected_version"}`) in its `apply`,
//! with the tasks, atomically. It keeps the `JobStore` contract (`run_job_store_conformance`
//! checks it): storage only, every queue rule is the core's. Its `claim` writes each job it
//! picks as `tasksync.claimed_job(job, owner, now, lease_ms)`.
//!
//! Invariant: the built-in stores are used directly (no Python on their path); a host task
//! store without the job methods is the core's `without_jobs` store, so a set carrying jobs or
//! a job read is refused there, saying so, and nothing is dropped.

use std::sync::Arc;

use async_trait::async_trait;
use pyo3::prelude::*;
use pyo3::types::PyTuple;
use sync_core::retry::{Job, JobQuery, JobStore, QueueStore, without_jobs};
use sync_core::{Millis, StoreError};

use crate::convert::to_py;
use crate::store::{HostTaskStore, PyMemoryStore, PyPostgresStore, PySqliteStore, TASK_METHODS};

/// The methods that make a host task store a job store too.
pub(crate) const JOB_METHODS: &[&str] = &["claim", "job", "jobs", "next_due"];

#[async_trait]
impl JobStore for HostTaskStore {
    async fn claim(
        &self,
        owner: String,
        now: Millis,
        lease_ms: u64,
        limit: usize,
    ) -> Result<Vec<Job>, StoreError> {
        self.call("claim", move |py| {
            (owner, now, lease_ms, limit).into_pyobject(py)
        })
        .await
    }

    async fn job(&self, id: String) -> Result<Option<Job>, StoreError> {
        self.call("job", |py| PyTuple::new(py, [id])).await
    }

    async fn jobs(&self, query: JobQuery) -> Result<Vec<Job>, StoreError> {
        self.call("jobs", move |py| PyTuple::new(py, [to_py(py, &query)?]))
            .await
    }

    async fn next_due(&self) -> Result<Option<Millis>, StoreError> {
        self.call("next_due", |py| Ok(PyTuple::empty(py))).await
    }
}

fn builtin(obj: &Bound<'_, PyAny>) -> Option<Arc<dyn QueueStore>> {
    if let Ok(s) = obj.cast::<PyMemoryStore>() {
        return Some(s.get().inner.clone());
    }
    if let Ok(s) = obj.cast::<PySqliteStore>() {
        return Some(s.get().inner.clone());
    }
    if let Ok(s) = obj.cast::<PyPostgresStore>() {
        return Some(s.get().inner.clone());
    }
    None
}

/// The queue store a `store=` argument names where jobs are needed (a worker, a job queue): a
/// built-in store, or a host object with the task and job store methods.
pub(crate) fn queue_store(obj: &Bound<'_, PyAny>) -> PyResult<Arc<dyn QueueStore>> {
    if let Some(store) = builtin(obj) {
        return Ok(store);
    }
    let mut methods = TASK_METHODS.to_vec();
    methods.extend_from_slice(JOB_METHODS);
    crate::runtime::require(obj, "queue store (task store + job store)", &methods)?;
    Ok(Arc::new(HostTaskStore::new(obj)?))
}

/// The store of a status service: a queue store, or a host task store without any of the job
/// methods (the core's `without_jobs`: a change that would enqueue a job is refused). A host
/// object with only some of them is refused, naming the missing ones.
pub(crate) fn outbox_store(obj: &Bound<'_, PyAny>) -> PyResult<Arc<dyn QueueStore>> {
    if let Some(store) = builtin(obj) {
        return Ok(store);
    }
    let has = |m: &&str| obj.getattr(*m).is_ok_and(|a| a.is_callable());
    if JOB_METHODS.iter().any(has) {
        // Some job methods but not all is a mistake to name, not a store without jobs.
        return queue_store(obj);
    }
    Ok(without_jobs(Arc::new(HostTaskStore::new(obj)?)))
}
