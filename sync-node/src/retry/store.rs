//! A JS object as the outbound queue's job store (binds `sync_core::retry::store`): `JobStore` for a `JsTaskStore` created with
//! `keepsJobs`, so the object is a whole `QueueStore` (tasks and their jobs in one change set).
//!
//! The object's methods: `claim(owner, now, leaseMs, limit)`, `finish(owner, now, results)`,
//! `job(id)`, `jobs(query)`, `requeue(id, now)`, `discard(id, now)`, `nextDue()`,
//! `syncStatus(taskId)` (resolving `[[target, status]]`), each with the core's JSON shapes.
//!
//! Invariant: a dead-letter refusal thrown with code `not_found` or `not_dead` (with `state`)
//! becomes the matching `JobError`, so the core reports it exactly as for its own stores.

use async_trait::async_trait;
use sync_core::retry::{Finish, Job, JobError, JobQuery, JobStore, SyncStatus};
use sync_core::{Millis, StoreError};

use crate::host_call::HostFailure;
use crate::store::{JsTaskStore, store_error};

fn job_error(id: &str, failure: HostFailure) -> JobError {
    match failure.code.as_str() {
        "not_found" => JobError::NotFound(id.to_owned()),
        "not_dead" => JobError::NotDead {
            id: id.to_owned(),
            state: failure.state.unwrap_or_else(|| "not dead".into()),
        },
        _ => JobError::Store(store_error(failure)),
    }
}

#[async_trait]
impl JobStore for JsTaskStore {
    async fn claim(
        &self,
        owner: String,
        now: Millis,
        lease_ms: u64,
        limit: usize,
    ) -> Result<Vec<Job>, StoreError> {
        let args = (owner, now, lease_ms, limit);
        self.host.call("claim", &args).await.map_err(store_error)
    }

    async fn finish(
        &self,
        owner: String,
        now: Millis,
        results: Vec<Finish>,
    ) -> Result<Vec<bool>, StoreError> {
        self.host
            .call("finish", &(owner, now, results))
            .await
            .map_err(store_error)
    }

    async fn job(&self, id: String) -> Result<Option<Job>, StoreError> {
        self.host.call("job", &(id,)).await.map_err(store_error)
    }

    async fn jobs(&self, query: JobQuery) -> Result<Vec<Job>, StoreError> {
        self.host.call("jobs", &(query,)).await.map_err(store_error)
    }

    async fn requeue(&self, id: String, now: Millis) -> Result<Job, JobError> {
        let result = self.host.call("requeue", &(id.clone(), now)).await;
        result.map_err(|f| job_error(&id, f))
    }

    async fn discard(&self, id: String, now: Millis) -> Result<Job, JobError> {
        let result = self.host.call("discard", &(id.clone(), now)).await;
        result.map_err(|f| job_error(&id, f))
    }

    async fn next_due(&self) -> Result<Option<Millis>, StoreError> {
        self.host.call("nextDue", &()).await.map_err(store_error)
    }

    async fn sync_status(&self, task_id: String) -> Result<Vec<(String, SyncStatus)>, StoreError> {
        self.host
            .call("syncStatus", &(task_id,))
            .await
            .map_err(store_error)
    }
}
