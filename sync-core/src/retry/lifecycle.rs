//! The job lifecycle over a store that only stores: every rule of what happens to a job after
//! it is enqueued, as core code that reads jobs and writes them back through
//! [`TaskStore::apply`](crate::TaskStore::apply), each write compare-and-swapped on the job's
//! `version`.
//!
//! Rules (the same for every store, checked by the job conformance suite):
//! - **Enqueue** ([`enqueue_writes`]): a new intent for a (task, target) supersedes the pair's
//!   pending job; a running one is left alone (the claim keeps a pair's jobs in order).
//! - **Results** ([`finish`]): applied only while the stored job is running under the same
//!   owner and lease number (fencing); a lost lease is `None` and writes nothing. A job that
//!   would go back to `pending` (retry, deferral) while its pair has a newer pending job is
//!   `superseded` instead, so an older intent never reaches the provider after a newer one. A
//!   dead job with `revert` puts its task's status back to the job's `from`, only while the
//!   task still shows the job's `to` (a newer change wins), in the same change set; the revert
//!   is reported ([`Finished::reverted`]) so the worker can say the status changed.
//! - **Heartbeats** ([`extend_lease`]) are fenced the same way.
//! - **Dead letters** ([`requeue`], [`discard`]): only a `dead` job; a requeue gets a fresh
//!   budget, due now, unless its pair has a newer job (then it is `superseded`).
//! - **Sync status** ([`sync_status`]): per target, the state of the newest intent.
//!
//! A write that loses a race (another writer changed the job or the task first) is retried
//! from a fresh read, a bounded number of times.

use std::collections::BTreeMap;

use crate::model::Millis;
use crate::store::{ChangeSet, StoreError, TaskWrite};
use crate::store::{Finish, Job, JobQuery, JobState, JobWrite, SyncStatus};
use crate::store::{JobError, JobStore, QueueStore};
use crate::transition::StatusChange;

/// The cause of a status change that a dead job's revert wrote.
pub const REVERT_CAUSE: &str = "dead_job_reverted";

/// How often a write that lost a race is retried from a fresh read.
const ATTEMPTS: usize = 16;

/// Applies `set`: `true` when it landed, `false` when it lost a race (a version or unique
/// check failed: read again and retry), or the store's failure.
async fn try_apply(store: &dyn QueueStore, set: ChangeSet) -> Result<bool, StoreError> {
    match store.apply(set).await {
        Ok(_) => Ok(true),
        Err(StoreError::Conflict(_) | StoreError::Duplicate(_)) => Ok(false),
        Err(err) => Err(err),
    }
}

fn lost_races(what: &str, id: &str) -> StoreError {
    StoreError::Conflict(format!(
        "job `{}`: {what} lost {ATTEMPTS} races in a row with other writers; nothing was written",
        crate::error::clip(id)
    ))
}

/// The writes that enqueue `jobs`: each supersedes the pending job of its pair found in
/// `pending` (the pairs' pending jobs as read), then is inserted with version 1.
pub fn enqueue_writes(pending: &[Job], jobs: Vec<Job>, now: Millis) -> Vec<JobWrite> {
    let mut writes = Vec::with_capacity(jobs.len());
    for mut job in jobs {
        for old in pending.iter().filter(|p| p.pair() == job.pair()) {
            let mut next = old.clone();
            next.state = JobState::Superseded;
            next.updated_at = now;
            writes.push(JobWrite::update(old, next));
        }
        job.version = 1;
        writes.push(JobWrite::Insert { job });
    }
    writes
}

/// The pending jobs of `task_id` (every target), as an enqueue needs them.
pub async fn pending_of(store: &dyn JobStore, task_id: &str) -> Result<Vec<Job>, StoreError> {
    store
        .jobs(JobQuery {
            state: Some(JobState::Pending),
            task_id: Some(task_id.to_owned()),
            ..JobQuery::default()
        })
        .await
}

/// Applies the results of jobs `owner` claimed (each with the job as its claim returned it).
/// Per result, the job after the change, or `None` when the lease was lost (another worker
/// holds the job now, or it is no longer running): then nothing was written for it.
pub async fn finish(
    store: &dyn QueueStore,
    owner: &str,
    now: Millis,
    results: Vec<(Job, Finish)>,
) -> Result<Vec<Option<Job>>, StoreError> {
    Ok(finish_all(store, owner, now, results).await?.jobs)
}

/// What [`finish_all`] wrote.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Finished {
    /// Per result, in order, the job after the change (`None`: the lease was lost).
    pub jobs: Vec<Option<Job>>,
    /// The status reverts that dead jobs wrote (cause `dead_job_reverted`).
    pub reverted: Vec<StatusChange>,
}

/// [`finish`], also reporting the task status reverts that dead jobs with `revert` wrote.
pub async fn finish_all(
    store: &dyn QueueStore,
    owner: &str,
    now: Millis,
    results: Vec<(Job, Finish)>,
) -> Result<Finished, StoreError> {
    for (job, result) in &results {
        if job.id != result.id() {
            return Err(StoreError::Backend(format!(
                "a result for job `{}` was paired with job `{}`",
                crate::error::clip(result.id()),
                crate::error::clip(&job.id)
            )));
        }
    }
    // Fast path: nobody touched the jobs since the claim and nothing needs the task, so all
    // results go in one change set.
    let simple = results
        .iter()
        .all(|(job, r)| job.held_by(owner) && !matches!(r, Finish::Dead { revert: true, .. }));
    let mut pending = Vec::with_capacity(results.len());
    if simple && !results.is_empty() {
        let mut set = ChangeSet {
            jobs: Vec::with_capacity(results.len()),
            ..ChangeSet::default()
        };
        let mut after = Vec::with_capacity(results.len());
        for (job, result) in results {
            let lease = job.lease;
            let expected = job.version;
            let mut next = job;
            next.finish(&result, now, false);
            next.version = expected.saturating_add(1);
            after.push(Some(next.clone()));
            set.jobs.push(JobWrite::Update {
                job: next,
                expected_version: expected,
            });
            pending.push((lease, result));
        }
        if try_apply(store, set).await? {
            return Ok(Finished {
                jobs: after,
                reverted: Vec::new(),
            });
        }
    } else {
        pending.extend(results.into_iter().map(|(job, result)| (job.lease, result)));
    }
    let mut out = Finished {
        jobs: Vec::with_capacity(pending.len()),
        reverted: Vec::new(),
    };
    for (lease, result) in pending {
        let (job, reverted) = finish_one(store, owner, lease, now, &result).await?;
        out.jobs.push(job);
        out.reverted.extend(reverted);
    }
    Ok(out)
}

/// One result, from a fresh read, retried while it loses races; with the status revert it
/// wrote, if any.
async fn finish_one(
    store: &dyn QueueStore,
    owner: &str,
    lease: u64,
    now: Millis,
    result: &Finish,
) -> Result<(Option<Job>, Option<StatusChange>), StoreError> {
    let id = result.id();
    for _ in 0..ATTEMPTS {
        let Some(current) = store.job(id.to_owned()).await? else {
            return Ok((None, None));
        };
        if !current.held_under(owner, lease) {
            return Ok((None, None));
        }
        let again = matches!(result, Finish::Retry { .. } | Finish::Defer { .. });
        let newer_pending = again && has_newer_pending(store, &current).await?;
        let mut next = current.clone();
        next.finish(result, now, newer_pending);
        let write = JobWrite::update(&current, next);
        let after = write.job().clone();
        let mut set = ChangeSet {
            jobs: vec![write],
            ..ChangeSet::default()
        };
        let mut reverted = None;
        if let Finish::Dead { revert: true, .. } = result
            && let Some(write) = revert_write(store, &current, now).await?
        {
            reverted = Some(StatusChange {
                task_id: current.task_id.clone(),
                from: current.to,
                to: current.from,
                cause: Some(REVERT_CAUSE.to_owned()),
            });
            set.tasks.push(write);
        }
        if try_apply(store, set).await? {
            return Ok((Some(after), reverted));
        }
    }
    Err(lost_races("a result", id))
}

/// Whether `job`'s pair has a pending job other than `job` (a newer intent).
async fn has_newer_pending(store: &dyn JobStore, job: &Job) -> Result<bool, StoreError> {
    let pending = store
        .jobs(JobQuery {
            state: Some(JobState::Pending),
            task_id: Some(job.task_id.clone()),
            target: Some(job.target.clone()),
            ..JobQuery::default()
        })
        .await?;
    Ok(pending.iter().any(|p| p.id != job.id))
}

/// The task write that puts a dead job's task back to the job's `from`, while it still shows
/// the job's `to` (otherwise none: a newer change wins).
async fn revert_write(
    store: &dyn QueueStore,
    job: &Job,
    now: Millis,
) -> Result<Option<TaskWrite>, StoreError> {
    let Some(task) = store.get(job.task_id.clone()).await? else {
        return Ok(None);
    };
    if task.status != job.to {
        return Ok(None);
    }
    let mut next = task.clone();
    next.status = job.from;
    next.version += 1;
    next.updated_at = now;
    Ok(Some(TaskWrite::Update {
        task: next,
        expected_version: task.version,
    }))
}

/// Extends the lease of a job `owner` holds (as `job`, its claim or last heartbeat) to
/// `now + lease_ms`; `None` when the lease was lost (nothing written).
pub async fn extend_lease(
    store: &dyn QueueStore,
    job: &Job,
    owner: &str,
    now: Millis,
    lease_ms: u64,
) -> Result<Option<Job>, StoreError> {
    let mut current = job.clone();
    for _ in 0..ATTEMPTS {
        if !current.held_under(owner, job.lease) {
            return Ok(None);
        }
        let mut next = current.clone();
        next.lease_until = Some(super::backoff::later(now, lease_ms));
        next.updated_at = now;
        let write = JobWrite::update(&current, next);
        let after = write.job().clone();
        let set = ChangeSet {
            jobs: vec![write],
            ..ChangeSet::default()
        };
        if try_apply(store, set).await? {
            return Ok(Some(after));
        }
        match store.job(job.id.clone()).await? {
            Some(fresh) => current = fresh,
            None => return Ok(None),
        }
    }
    Err(lost_races("a heartbeat", &job.id))
}

/// Moves a dead job back to `pending`, due at `now`, with a fresh attempt budget (or to
/// `superseded` when its pair has a newer job).
pub async fn requeue(store: &dyn QueueStore, id: &str, now: Millis) -> Result<Job, JobError> {
    settle_dead(store, id, now, false).await
}

/// Marks a dead job `discarded`.
pub async fn discard(store: &dyn QueueStore, id: &str, now: Millis) -> Result<Job, JobError> {
    settle_dead(store, id, now, true).await
}

async fn settle_dead(
    store: &dyn QueueStore,
    id: &str,
    now: Millis,
    discard: bool,
) -> Result<Job, JobError> {
    for _ in 0..ATTEMPTS {
        let current = store
            .job(id.to_owned())
            .await?
            .ok_or_else(|| JobError::NotFound(id.to_owned()))?;
        let newer_exists = !discard && has_newer_job(store, &current).await?;
        let mut next = current.clone();
        next.settle_dead(now, discard, newer_exists)?;
        let write = JobWrite::update(&current, next);
        let after = write.job().clone();
        let set = ChangeSet {
            jobs: vec![write],
            ..ChangeSet::default()
        };
        if try_apply(store, set).await? {
            return Ok(after);
        }
    }
    Err(lost_races("a dead-letter action", id).into())
}

/// Whether `job`'s pair has a job newer than it (listed after it, or pending).
async fn has_newer_job(store: &dyn JobStore, job: &Job) -> Result<bool, StoreError> {
    let later = store
        .jobs(JobQuery {
            task_id: Some(job.task_id.clone()),
            target: Some(job.target.clone()),
            after: Some(job.id.clone()),
            limit: 1,
            ..JobQuery::default()
        })
        .await?;
    Ok(!later.is_empty() || has_newer_pending(store, job).await?)
}

/// The sync status of a task per target (sorted by target): the state of the newest intent
/// of each (task, target), by task version, then enqueue time, then listing order.
pub async fn sync_status(
    store: &dyn JobStore,
    task_id: &str,
) -> Result<Vec<(String, SyncStatus)>, StoreError> {
    let mut newest: BTreeMap<String, (u64, Millis, JobState)> = BTreeMap::new();
    let mut after = None;
    loop {
        let page = store
            .jobs(JobQuery {
                task_id: Some(task_id.to_owned()),
                after: after.take(),
                ..JobQuery::default()
            })
            .await?;
        let full = page.len() == JobQuery::default().page_size();
        for job in &page {
            let key = (job.task_version, job.created_at);
            let slot = newest
                .entry(job.target.clone())
                .or_insert((key.0, key.1, job.state));
            if key >= (slot.0, slot.1) {
                *slot = (key.0, key.1, job.state);
            }
        }
        match page.last() {
            Some(last) if full => after = Some(last.id.clone()),
            _ => break,
        }
    }
    Ok(newest
        .into_iter()
        .map(|(target, (_, _, state))| (target, SyncStatus::of(state)))
        .collect())
}
