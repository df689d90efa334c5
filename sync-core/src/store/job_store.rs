//! The job store contract: where the outbound queue lives. A job store *stores*: every rule of
//! the queue (what a result does, retries, supersession, reverts, dead letters, sync statuses)
//! is core code in [`lifecycle`](crate::retry::lifecycle) that reads jobs and writes them back.
//!
//! Jobs are written through [`TaskStore::apply`](crate::TaskStore::apply) (the `jobs` of a
//! [`ChangeSet`](crate::ChangeSet)), in the same atomic write as the task changes they belong
//! to, each compare-and-swapped on its `version`. This trait adds the one concurrency
//! primitive and the reads.
//!
//! Contract, checked by the conformance suite:
//! - `claim` takes, in one atomic step (`BEGIN IMMEDIATE`, `FOR UPDATE SKIP LOCKED`, a lock),
//!   up to `limit` jobs: first `running` ones whose lease expired (`lease_until <= now`,
//!   oldest lease first), then `pending` ones that are due (`run_at <= now`, oldest first, then
//!   in insertion order) and whose (task, target) has no `running` job, so a target sees a
//!   task's changes in order. It writes each as [`Job::claimed`] and returns what it wrote.
//! - `apply` refuses (with [`StoreError::Conflict`], writing nothing) a job insert whose id
//!   exists, a job update whose stored version is not its `expected_version`, and a set after
//!   which a (task, target) would have two `pending` jobs.
//! - `jobs` lists by (`created_at`, `id`); `next_due` is the earliest `run_at` of a pending
//!   job or `lease_until` of a running one.

use std::sync::Arc;

use async_trait::async_trait;

pub use super::job::JobError;
use super::job::{Job, JobQuery};
use crate::error::StoreError;
use crate::model::Millis;

/// Where the hub keeps its sync jobs. Implemented by every store that implements
/// [`TaskStore`](crate::TaskStore) with outbox support; see the module doc for the contract.
#[async_trait]
pub trait JobStore: Send + Sync {
    /// Claims due and lease-expired jobs for `owner` (see the module doc).
    async fn claim(
        &self,
        owner: String,
        now: Millis,
        lease_ms: u64,
        limit: usize,
    ) -> Result<Vec<Job>, StoreError>;

    /// One job.
    async fn job(&self, id: String) -> Result<Option<Job>, StoreError>;

    /// Jobs matching a query, ordered by (`created_at`, `id`).
    async fn jobs(&self, query: JobQuery) -> Result<Vec<Job>, StoreError>;

    /// When the earliest pending job is due or the earliest lease expires (`None`: idle).
    async fn next_due(&self) -> Result<Option<Millis>, StoreError>;

    /// The hint this store raises when jobs may have become due (see
    /// [`WakeHint`](super::WakeHint)); `None` (the default): workers only poll.
    fn wake_hint(&self) -> Option<Arc<super::WakeHint>> {
        None
    }
}

/// A store that keeps both tasks and their jobs, so a status change and its job are one
/// atomic change set (the outbox). Every type implementing both traits is one.
pub trait QueueStore: crate::TaskStore + JobStore {}

impl<T: crate::TaskStore + JobStore + ?Sized> QueueStore for T {}

/// A task store that keeps no jobs, seen as a [`QueueStore`]: a change set carrying jobs is
/// refused and so is every job read, each with a message saying so (nothing is dropped
/// silently). For services that need no queue, like a [`StatusService`](crate::retry::StatusService)
/// without targets.
pub fn without_jobs(tasks: Arc<dyn crate::TaskStore>) -> Arc<dyn QueueStore> {
    Arc::new(TaskOnly(tasks))
}

struct TaskOnly(Arc<dyn crate::TaskStore>);

const NO_JOBS: &str = "this store keeps no sync jobs; use a store with a job queue \
                       (MemoryStore, SqliteStore or a host store with the job store methods)";

#[async_trait]
impl crate::TaskStore for TaskOnly {
    async fn snapshot(&self, scope: String) -> Result<crate::ScopeSnapshot, StoreError> {
        self.0.snapshot(scope).await
    }

    async fn scope_version(&self, scope: String) -> Result<u64, StoreError> {
        self.0.scope_version(scope).await
    }

    async fn get(&self, id: String) -> Result<Option<crate::Task>, StoreError> {
        self.0.get(id).await
    }

    async fn find_identities(
        &self,
        source: String,
        external_ids: Vec<String>,
    ) -> Result<Vec<crate::store::Identity>, StoreError> {
        self.0.find_identities(source, external_ids).await
    }

    async fn apply(&self, changes: crate::ChangeSet) -> Result<crate::Applied, StoreError> {
        changes.refuse_jobs(NO_JOBS)?;
        self.0.apply(changes).await
    }
}

#[async_trait]
impl JobStore for TaskOnly {
    async fn claim(&self, _: String, _: Millis, _: u64, _: usize) -> Result<Vec<Job>, StoreError> {
        Err(StoreError::Backend(NO_JOBS.into()))
    }

    async fn job(&self, _: String) -> Result<Option<Job>, StoreError> {
        Err(StoreError::Backend(NO_JOBS.into()))
    }

    async fn jobs(&self, _: JobQuery) -> Result<Vec<Job>, StoreError> {
        Err(StoreError::Backend(NO_JOBS.into()))
    }

    async fn next_due(&self) -> Result<Option<Millis>, StoreError> {
        Err(StoreError::Backend(NO_JOBS.into()))
    }
}
