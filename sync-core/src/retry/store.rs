//! The job store contract: where the outbound queue lives.
//!
//! Jobs are *enqueued* through [`TaskStore::apply`](crate::TaskStore::apply) (the `jobs` of a
//! [`ChangeSet`](crate::ChangeSet)), in the same atomic write as the status change they carry:
//! that is the outbox. Everything else a worker or an operator does goes through this trait.
//!
//! Contract, checked by the conformance suite:
//! - Enqueueing a job for a (task, target) marks that pair's `pending` job `superseded`; a
//!   `running` one is left alone, and `claim` never hands out a pair's pending job while the
//!   pair has a running one, so a target sees a task's changes in order.
//! - `claim` takes, in one atomic step, up to `limit` jobs that are `pending` and due
//!   (`run_at <= now`) or `running` with an expired lease, oldest due first; it sets them
//!   `running` under `owner` until `now + lease_ms` and counts an attempt on each.
//! - `finish` applies each result in one atomic step, each only if its job is still `running`
//!   under `owner`; it returns, per result, whether it was applied (a lost lease is `false`).
//! - `requeue` and `discard` act on `dead` jobs only ([`JobError::NotDead`] otherwise).

use async_trait::async_trait;

use super::job::{Finish, Job, JobQuery, SyncStatus};
use crate::model::Millis;
use crate::store::StoreError;

/// Why a dead-letter action was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum JobError {
    /// No job has this id.
    #[error("no job `{0}`")]
    NotFound(String),
    /// The job is not in the dead-letter queue.
    #[error("job `{id}` is {state}, not dead")]
    NotDead {
        /// The job.
        id: String,
        /// Its state.
        state: String,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<JobError> for crate::Error {
    fn from(err: JobError) -> Self {
        match err {
            JobError::NotFound(id) => crate::Error::NotFound(format!("job `{id}`")),
            JobError::NotDead { id, state } => crate::Error::InvalidState {
                entity: format!("job `{}`", crate::error::clip(&id)),
                from: state,
                operation: "retry or discard".into(),
            },
            JobError::Store(err) => err.into(),
        }
    }
}

/// Where the hub keeps its sync jobs. Implemented by every store that implements
/// [`TaskStore`](crate::TaskStore) with outbox support.
#[async_trait]
pub trait JobStore: Send + Sync {
    /// Claims due and lease-expired jobs (see the module doc).
    async fn claim(
        &self,
        owner: String,
        now: Millis,
        lease_ms: u64,
        limit: usize,
    ) -> Result<Vec<Job>, StoreError>;

    /// Applies results of jobs held by `owner`; per result, whether it was applied.
    async fn finish(
        &self,
        owner: String,
        now: Millis,
        results: Vec<Finish>,
    ) -> Result<Vec<bool>, StoreError>;

    /// One job.
    async fn job(&self, id: String) -> Result<Option<Job>, StoreError>;

    /// Jobs matching a query, ordered by (`created_at`, `id`).
    async fn jobs(&self, query: JobQuery) -> Result<Vec<Job>, StoreError>;

    /// Moves a dead job back to `pending`, due at `now`, with a fresh attempt budget.
    async fn requeue(&self, id: String, now: Millis) -> Result<Job, JobError>;

    /// Marks a dead job `discarded`.
    async fn discard(&self, id: String, now: Millis) -> Result<Job, JobError>;

    /// When the earliest pending job is due or the earliest lease expires (`None`: idle).
    async fn next_due(&self) -> Result<Option<Millis>, StoreError>;

    /// The sync status of a task per target, from the latest job of each pair.
    async fn sync_status(&self, task_id: String) -> Result<Vec<(String, SyncStatus)>, StoreError>;
}

/// A store that keeps both tasks and their jobs, so a status change and its job are one
/// atomic change set (the outbox). Every type implementing both traits is one.
pub trait QueueStore: crate::TaskStore + JobStore {}

impl<T: crate::TaskStore + JobStore + ?Sized> QueueStore for T {}
