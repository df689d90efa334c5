//! The job store (mirrors `sync_core::retry`'s store): the job operations on a
//! [`HubStore`] (jobs, dead letters, requeue, discard, sync status), and a job store
//! implemented by the host: the [`JobStore`] foreign trait and
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

use crate::clock::{Clock, core_clock};
use crate::error::TasksyncError;
use crate::retry::job::{Finish, JobQuery, QueuedJob, TargetSyncStatus, jobs_out};
use crate::store::{Foreign, HubStore, TaskStore, store_error};

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

#[uniffi::export(async_runtime = "tokio")]
impl HubStore {
    /// Jobs matching `query`, oldest first.
    pub async fn jobs(&self, query: JobQuery) -> Result<Vec<QueuedJob>, TasksyncError> {
        Ok(jobs_out(&self.job_store()?.jobs(query.into()).await?))
    }

    /// Dead letters (jobs out of attempts or rejected), up to `limit` (0: default page).
    pub async fn dead_letters(&self, limit: u32) -> Result<Vec<QueuedJob>, TasksyncError> {
        let query = sync_core::retry::JobQuery {
            state: Some(sync_core::JobState::Dead),
            limit: limit as usize,
            ..Default::default()
        };
        Ok(jobs_out(&self.job_store()?.jobs(query).await?))
    }

    /// One job.
    pub async fn job(&self, id: String) -> Result<Option<QueuedJob>, TasksyncError> {
        Ok(self.job_store()?.job(id).await?.as_ref().map(Into::into))
    }

    /// Puts a dead letter back in the queue, due now. `clock` (default: the system clock) says when "now" is; pass the worker's.
    #[uniffi::method(default(clock = None))]
    pub async fn requeue(
        &self,
        id: String,
        clock: Option<Arc<dyn Clock>>,
    ) -> Result<QueuedJob, TasksyncError> {
        let now = core_clock(clock).now_ms();
        let job = self.job_store()?.requeue(id, now).await;
        Ok((&job.map_err(sync_core::Error::from)?).into())
    }

    /// Discards a dead letter (kept, marked discarded). `clock` (default: the system clock) says when "now" is; pass the worker's.
    #[uniffi::method(default(clock = None))]
    pub async fn discard(
        &self,
        id: String,
        clock: Option<Arc<dyn Clock>>,
    ) -> Result<QueuedJob, TasksyncError> {
        let now = core_clock(clock).now_ms();
        let job = self.job_store()?.discard(id, now).await;
        Ok((&job.map_err(sync_core::Error::from)?).into())
    }

    /// A task's sync status towards each of its targets.
    pub async fn sync_status(
        &self,
        task_id: String,
    ) -> Result<Vec<TargetSyncStatus>, TasksyncError> {
        let statuses = self.job_store()?.sync_status(task_id).await?;
        Ok(statuses
            .into_iter()
            .map(|(target, status)| TargetSyncStatus {
                target,
                status: status.into(),
            })
            .collect())
    }
}
