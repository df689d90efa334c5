//! A JS object as the outbound queue's job store (binds `sync_core::store::job_store`): `JobStore`
//! for a `JsTaskStore` created with `keepsJobs`, so the object is a whole `QueueStore` (tasks
//! and their jobs in one change set).
//!
//! The object stores and decides nothing: `claim(owner, now, leaseMs, limit)` (one atomic step
//! writing each picked job as `claimedJob(job, owner, now, leaseMs)` returns), `job(id)`,
//! `jobs(query)`, `nextDue()`, each with the core's JSON shapes, and `apply(changes)` writes
//! `changes.jobs` (`{op: 'insert', job}` / `{op: 'update', job, expected_version}`) with the
//! task writes, refusing with code `conflict` a duplicate insert, a stale version or a second
//! pending job of a (task, target). Every rule of what happens to a job is the core's
//! (`sync_core::retry::lifecycle`).

use async_trait::async_trait;
use sync_core::retry::{Job, JobQuery, JobStore};
use sync_core::{Millis, StoreError};

use crate::store::{JsTaskStore, store_error};

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

    async fn job(&self, id: String) -> Result<Option<Job>, StoreError> {
        self.host.call("job", &(id,)).await.map_err(store_error)
    }

    async fn jobs(&self, query: JobQuery) -> Result<Vec<Job>, StoreError> {
        self.host.call("jobs", &(query,)).await.map_err(store_error)
    }

    async fn next_due(&self) -> Result<Option<Millis>, StoreError> {
        self.host.call("nextDue", &()).await.map_err(store_error)
    }
}
