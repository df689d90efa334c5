//! The job store (mirrors `sync_core::store::job_store`): the job reads on a [`HubStore`]
//! (jobs, dead letters, one job), and a job store implemented by the host: the [`JobStore`]
//! foreign trait and `HubStore.foreignQueue(tasks, jobs)`, which makes a host task store and a
//! host job store one queue store for the status service, the worker, dead letters and the
//! job operations (`claimedJob`, the one write a claim makes, is in [`crate::store::job`]).
//!
//! A host job store only stores; every queue rule (results, supersession, reverts, dead
//! letters, sync statuses) is the core's. Its contract (`sync_core::store::job_store`, checked by
//! `runJobStoreConformance`):
//! - job writes arrive through the task store's `apply` (`ChangeSet.jobs`), in order and in
//!   the same atomic step as the task writes (the outbox), so `tasks` and `jobs` must share one
//!   storage (in practice one object implementing both traits, passed twice). Each job is
//!   stored exactly as given (the core set its `version`). The whole set is refused with
//!   `TasksyncError.Conflict`, writing nothing, for a `JobWrite.Insert` whose id exists, a
//!   `JobWrite.Update` whose stored job is missing or not at `expectedVersion`, or a set after
//!   which a (task, target) would have two `pending` jobs. Job writes touch no scope: a set of
//!   job writes alone bumps no scope version.
//! - `claim`, in one atomic step, takes up to `limit` jobs: first `running` ones whose
//!   `leaseUntil <= now` (oldest lease first), then `pending` ones with `runAt <= now` whose
//!   (task, target) has no `running` job (oldest `runAt` first, then insertion order); it
//!   stores each as `claimedJob(job, owner, now, leaseMs)` and returns what it stored.
//! - `jobs` lists by (`createdAt`, `id`) strictly after `query.after`, at most `query.limit`
//!   (0: 100); `nextDue` is the earliest `runAt` of a pending job or `leaseUntil` of a running
//!   one.
//!
//! Invariants: conversion and error mapping only. A host's `Conflict` stays a conflict (the
//! core reads again and retries); anything else is a `Store` error with the host's message.
//! Data the host returns that does not convert (bad JSON) is a `Store` error naming the call,
//! never a panic.

use std::sync::Arc;

use async_trait::async_trait;
use sync_core::{Millis, StoreError};

use crate::error::{TasksyncError, guard_future, host_store_call};
use crate::store::job::{JobQuery, QueuedJob, jobs_out};
use crate::store::{Foreign, HubStore, TaskStore, store_error};

/// The outbound queue's job store, implemented by the host: storage only (see the module doc
/// for the contract). Times are ms since the epoch as the worker's clock gives them; JSON
/// fields of [`QueuedJob`] are returned as they were received.
#[uniffi::export(with_foreign)]
#[async_trait]
pub trait JobStore: Send + Sync {
    /// Claims up to `limit` lease-expired or due jobs for `owner`, in one atomic step, storing
    /// each as `claimedJob(job, owner, now, leaseMs)`; returns the stored jobs.
    async fn claim(
        &self,
        owner: String,
        now: i64,
        lease_ms: u64,
        limit: u32,
    ) -> Result<Vec<QueuedJob>, TasksyncError>;
    /// One job, or null.
    async fn job(&self, id: String) -> Result<Option<QueuedJob>, TasksyncError>;
    /// Jobs matching `query`, ordered by (`created_at`, `id`), strictly after `query.after`,
    /// at most `query.limit` (0: 100).
    async fn jobs(&self, query: JobQuery) -> Result<Vec<QueuedJob>, TasksyncError>;
    /// The earliest `run_at` of a pending job or `lease_until` of a running one; null: idle.
    async fn next_due(&self) -> Result<Option<i64>, TasksyncError>;
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
        host_store_call("the host job store's `claim`", async move {
            let limit = u32::try_from(limit).unwrap_or(u32::MAX);
            let claimed = self.jobs.claim(owner, now, lease_ms, limit).await;
            jobs_in("claim", claimed.map_err(store_error)?)
        })
        .await
    }

    async fn job(&self, id: String) -> Result<Option<sync_core::Job>, StoreError> {
        host_store_call("the host job store's `job`", async move {
            let found = self.jobs.job(id).await.map_err(store_error)?;
            found.map(|j| job_in("job", j)).transpose()
        })
        .await
    }

    async fn jobs(
        &self,
        query: sync_core::retry::JobQuery,
    ) -> Result<Vec<sync_core::Job>, StoreError> {
        host_store_call("the host job store's `jobs`", async move {
            let found = self.jobs.jobs(query.into()).await;
            jobs_in("jobs", found.map_err(store_error)?)
        })
        .await
    }

    async fn next_due(&self) -> Result<Option<Millis>, StoreError> {
        host_store_call("the host job store's `next_due`", async move {
            self.jobs.next_due().await.map_err(store_error)
        })
        .await
    }
}

#[uniffi::export]
impl HubStore {
    /// A host task store with its host job store: a job-keeping store for the status
    /// service, the worker and dead letters. `tasks.apply` must write a change set's job
    /// writes atomically with its tasks, so both must share one storage (usually one object
    /// implementing both traits, passed twice); see the `JobStore` contract.
    #[uniffi::constructor]
    pub fn foreign_queue(tasks: Arc<dyn TaskStore>, jobs: Arc<dyn JobStore>) -> Arc<Self> {
        let queue = Arc::new(ForeignQueue {
            tasks: Foreign { store: tasks },
            jobs,
        });
        Arc::new(HubStore {
            tasks: queue.clone(),
            queue: Some(queue),
            gates: None,
        })
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl HubStore {
    /// Jobs matching `query`, oldest first.
    pub async fn jobs(&self, query: JobQuery) -> Result<Vec<QueuedJob>, TasksyncError> {
        guard_future(async move { Ok(jobs_out(&self.job_store()?.jobs(query.into()).await?)) })
            .await
    }

    /// Dead letters (jobs out of attempts or rejected), up to `limit` (0: default page).
    pub async fn dead_letters(&self, limit: u32) -> Result<Vec<QueuedJob>, TasksyncError> {
        guard_future(async move {
            let query = sync_core::retry::JobQuery {
                state: Some(sync_core::JobState::Dead),
                limit: limit as usize,
                ..Default::default()
            };
            Ok(jobs_out(&self.job_store()?.jobs(query).await?))
        })
        .await
    }

    /// One job.
    pub async fn job(&self, id: String) -> Result<Option<QueuedJob>, TasksyncError> {
        guard_future(async move { Ok(self.job_store()?.job(id).await?.as_ref().map(Into::into)) })
            .await
    }
}
