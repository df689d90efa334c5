//! A job store implemented by the host (mirrors `sync_core::retry::JobStore`): the
//! [`JobStore`] foreign trait, the [`Finish`] results a worker reports, and
//! `HubStore.foreignQueue(tasks, jobs)`, which makes a host task store and a host job store one
//! queue store for the status service, the worker, dead letters and the job operations.
//!
//! The host keeps the core's contract (`sync_core::retry::store`, checked by
//! `runJobStoreConformance`):
//! - jobs are *enqueued* through the task store's `apply` (`ChangeSet.jobs`), written in the same
//!   atomic step as the tasks (the outbox), so `tasks` and `jobs` must share one storage (in
//!   practice one object implementing both traits, passed twice); a job id that exists already
//!   fails the set with `Conflict`, and each job supersedes the `pending` job of its
//!   (task, target) while a `running` one is left alone;
//! - `claim` hands out due `pending` jobs (never a pair's while it has a `running` one) and
//!   lease-expired `running` ones, oldest due first, in one atomic step, counting an attempt;
//! - `finish` applies each result only while its job is `running` under `owner` and says per
//!   result whether it did; a `Dead` result with `revert` puts the task's status back to the
//!   job's `from` (while it still is the job's `to`), as one more task and scope version;
//! - `requeue` and `discard` act on `dead` jobs only: raise `TasksyncError.NotFound` for an
//!   unknown id and `TasksyncError.InvalidState` for a job that is not dead.
//!
//! Invariants: conversion and error mapping only. A host's `NotFound`/`InvalidState` from
//! `requeue`/`discard` become the core's `JobError::NotFound`/`NotDead` (so callers see exactly
//! what the built-in stores give); `Conflict` stays a conflict; anything else is a `Store`
//! error with the host's message. Data the host returns that does not convert (bad JSON) is a
//! `Store` error naming the call, never a panic; a `finish` answer of the wrong length is
//! refused by the core's worker.

use std::sync::Arc;

use async_trait::async_trait;
use sync_core::retry::JobError;
use sync_core::{Millis, StoreError};

use crate::error::TasksyncError;
use crate::json;
use crate::retry::{JobQuery, QueuedJob, TargetSyncStatus};
use crate::store::{Foreign, HubStore, TaskStore, store_error};

/// What a worker reports for a job it holds (the core's `Finish`). Each is applied only while
/// the job is still `running` under the same lease owner.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum Finish {
    /// The provider applied the change: state `succeeded`, `result` = `remote`.
    Succeeded {
        /// The job.
        id: String,
        /// The provider's state afterwards (JSON text).
        remote: String,
    },
    /// A retryable failure: state `pending` again, due at `run_at`, `last_error` = `error`
    /// (the attempt stays counted).
    Retry {
        /// The job.
        id: String,
        /// When to run again (ms).
        run_at: i64,
        /// Why it failed.
        error: String,
    },
    /// Deferred before any call (breaker, rate limit): state `pending`, due at `run_at`, and
    /// the attempt given back (`attempts` - 1).
    Defer {
        /// The job.
        id: String,
        /// When to run again (ms).
        run_at: i64,
    },
    /// To the dead letters: state `dead`, `last_error` = `error`; with `revert`, the task's
    /// status goes back to the job's `from` while it still is the job's `to`.
    Dead {
        /// The job.
        id: String,
        /// Why.
        error: String,
        /// Whether to revert the task's status.
        revert: bool,
    },
}

impl From<&sync_core::retry::Finish> for Finish {
    fn from(f: &sync_core::retry::Finish) -> Self {
        use sync_core::retry::Finish as F;
        match f {
            F::Succeeded { id, remote } => Finish::Succeeded {
                id: id.clone(),
                remote: json::text(remote),
            },
            F::Retry { id, run_at, error } => Finish::Retry {
                id: id.clone(),
                run_at: *run_at,
                error: error.clone(),
            },
            F::Defer { id, run_at } => Finish::Defer {
                id: id.clone(),
                run_at: *run_at,
            },
            F::Dead { id, error, revert } => Finish::Dead {
                id: id.clone(),
                error: error.clone(),
                revert: *revert,
            },
        }
    }
}

/// The outbound queue's job store, implemented by the host (see the module doc for the
/// contract). Times are ms since the epoch as the worker's clock gives them; JSON fields of
/// [`QueuedJob`] are returned as they were received.
#[uniffi::export(with_foreign)]
#[async_trait]
pub trait JobStore: Send + Sync {
    /// Claims up to `limit` due or lease-expired jobs for `owner` until `now + lease_ms`.
    async fn claim(
        &self,
        owner: String,
        now: i64,
        lease_ms: u64,
        limit: u32,
    ) -> Result<Vec<QueuedJob>, TasksyncError>;
    /// Applies the results of jobs `owner` holds; per result, whether it was applied.
    async fn finish(
        &self,
        owner: String,
        now: i64,
        results: Vec<Finish>,
    ) -> Result<Vec<bool>, TasksyncError>;
    /// One job, or null.
    async fn job(&self, id: String) -> Result<Option<QueuedJob>, TasksyncError>;
    /// Jobs matching `query`, ordered by (`created_at`, `id`), strictly after `query.after`,
    /// at most `query.limit` (0: 100).
    async fn jobs(&self, query: JobQuery) -> Result<Vec<QueuedJob>, TasksyncError>;
    /// Moves a dead job back to `pending`, due at `now`, with `attempts` 0 (`superseded`
    /// instead when its (task, target) has a newer job).
    async fn requeue(&self, id: String, now: i64) -> Result<QueuedJob, TasksyncError>;
    /// Marks a dead job `discarded`.
    async fn discard(&self, id: String, now: i64) -> Result<QueuedJob, TasksyncError>;
    /// The earliest `run_at` of a pending job or `lease_until` of a running one; null: idle.
    async fn next_due(&self) -> Result<Option<i64>, TasksyncError>;
    /// The task's sync status per target, from the latest job of each (task, target).
    async fn sync_status(&self, task_id: String) -> Result<Vec<TargetSyncStatus>, TasksyncError>;
}

/// A host job as the core's, or a `Store` error naming the call.
fn job_in(call: &str, job: QueuedJob) -> Result<sync_core::Job, StoreError> {
    job.try_into().map_err(|err: TasksyncError| {
        StoreError::Backend(format!(
            "the host job store returned a bad job from `{call}`: {err}"
        ))
    })
}

fn jobs_in(call: &str, jobs: Vec<QueuedJob>) -> Result<Vec<sync_core::Job>, StoreError> {
    jobs.into_iter().map(|j| job_in(call, j)).collect()
}

/// The core's queue store over a host task store and a host job store.
struct ForeignQueue {
    tasks: Foreign,
    jobs: Arc<dyn JobStore>,
}

impl ForeignQueue {
    /// A host `requeue` or `discard`, its refusals mapped to the core's `JobError`.
    async fn settle(
        &self,
        id: String,
        now: Millis,
        discard: bool,
    ) -> Result<sync_core::Job, JobError> {
        let call = if discard { "discard" } else { "requeue" };
        let result = if discard {
            self.jobs.discard(id.clone(), now).await
        } else {
            self.jobs.requeue(id.clone(), now).await
        };
        match result {
            Ok(job) => Ok(job_in(call, job)?),
            Err(TasksyncError::NotFound { .. }) => Err(JobError::NotFound(id)),
            Err(TasksyncError::InvalidState { .. }) => {
                // The core's refusal names the job's state: ask the host for it.
                let state = match self.jobs.job(id.clone()).await {
                    Ok(Some(job)) => sync_core::JobState::from(job.state).as_str().to_owned(),
                    _ => "not dead".to_owned(),
                };
                Err(JobError::NotDead { id, state })
            }
            Err(other) => Err(JobError::Store(store_error(other))),
        }
    }
}

#[async_trait]
impl sync_core::TaskStore for ForeignQueue {
    async fn snapshot(&self, scope: String) -> Result<sync_core::ScopeSnapshot, StoreError> {
        self.tasks.snapshot(scope).await
    }

    async fn scope_version(&self, scope: String) -> Result<u64, StoreError> {
        self.tasks.scope_version(scope).await
    }

    async fn get(&self, id: String) -> Result<Option<sync_core::Task>, StoreError> {
        self.tasks.get(id).await
    }

    async fn find_identities(
        &self,
        source: String,
        external_ids: Vec<String>,
    ) -> Result<Vec<sync_core::Identity>, StoreError> {
        self.tasks.find_identities(source, external_ids).await
    }

    async fn apply(&self, changes: sync_core::ChangeSet) -> Result<sync_core::Applied, StoreError> {
        self.tasks.apply(changes).await
    }
}

#[async_trait]
impl sync_core::JobStore for ForeignQueue {
    async fn claim(
        &self,
        owner: String,
        now: Millis,
        lease_ms: u64,
        limit: usize,
    ) -> Result<Vec<sync_core::Job>, StoreError> {
        let limit = u32::try_from(limit).unwrap_or(u32::MAX);
        let claimed = self.jobs.claim(owner, now, lease_ms, limit).await;
        jobs_in("claim", claimed.map_err(store_error)?)
    }

    async fn finish(
        &self,
        owner: String,
        now: Millis,
        results: Vec<sync_core::retry::Finish>,
    ) -> Result<Vec<bool>, StoreError> {
        let results = results.iter().map(Into::into).collect();
        self.jobs
            .finish(owner, now, results)
            .await
            .map_err(store_error)
    }

    async fn job(&self, id: String) -> Result<Option<sync_core::Job>, StoreError> {
        let found = self.jobs.job(id).await.map_err(store_error)?;
        found.map(|j| job_in("job", j)).transpose()
    }

    async fn jobs(
        &self,
        query: sync_core::retry::JobQuery,
    ) -> Result<Vec<sync_core::Job>, StoreError> {
        let found = self.jobs.jobs(query.into()).await;
        jobs_in("jobs", found.map_err(store_error)?)
    }

    async fn requeue(&self, id: String, now: Millis) -> Result<sync_core::Job, JobError> {
        self.settle(id, now, false).await
    }

    async fn discard(&self, id: String, now: Millis) -> Result<sync_core::Job, JobError> {
        self.settle(id, now, true).await
    }

    async fn next_due(&self) -> Result<Option<Millis>, StoreError> {
        self.jobs.next_due().await.map_err(store_error)
    }

    async fn sync_status(
        &self,
        task_id: String,
    ) -> Result<Vec<(String, sync_core::SyncStatus)>, StoreError> {
        let statuses = self.jobs.sync_status(task_id).await.map_err(store_error)?;
        Ok(statuses
            .into_iter()
            .map(|s| (s.target, s.status.into()))
            .collect())
    }
}

#[uniffi::export]
impl HubStore {
    /// A host task store with its host job store: a job-keeping store for the status
    /// service, the worker and dead letters. `tasks.apply` must write a change set's `jobs`
    /// atomically with its tasks, so both must share one storage (usually one object
    /// implementing both traits, passed twice); see the `JobStore` contract.
    #[uniffi::constructor]
    pub fn foreign_queue(tasks: Arc<dyn TaskStore>, jobs: Arc<dyn JobStore>) -> Arc<Self> {
        let queue = Arc::new(ForeignQueue {
            tasks: Foreign {
                store: tasks,
                keeps_jobs: true,
            },
            jobs,
        });
        Arc::new(HubStore {
            tasks: queue.clone(),
            queue: Some(queue),
        })
    }
}
