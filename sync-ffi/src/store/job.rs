//! The job record (mirrors `sync_core::store::job`): [`QueuedJob`] (a job as it crosses the
//! boundary, JSON fields as text), its [`JobState`], the [`JobWrite`]s a change set carries,
//! the [`SyncStatus`] a task shows per target, [`JobQuery`] pages, and the core's rules a host
//! store calls instead of restating them: [`claimed_job`] (the one write a claim makes) and
//! `sync_status_of`.
//!
//! Invariant: conversion only; a host job whose JSON texts do not parse is refused
//! (`InvalidInput` naming the field), never used.

use crate::error::{TasksyncError, guard};
use crate::input;
use crate::model::Status;

/// A job's lifecycle state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum JobState {
    /// Waiting to be sent (or retried).
    Pending,
    /// Leased by a worker.
    Running,
    /// Delivered.
    Succeeded,
    /// Out of attempts or rejected: a dead letter.
    Dead,
    /// A later change of the same task and target replaced it.
    Superseded,
    /// A dead letter someone discarded.
    Discarded,
}

impl From<sync_core::JobState> for JobState {
    fn from(s: sync_core::JobState) -> Self {
        use sync_core::JobState as S;
        match s {
            S::Pending => JobState::Pending,
            S::Running => JobState::Running,
            S::Succeeded => JobState::Succeeded,
            S::Dead => JobState::Dead,
            S::Superseded => JobState::Superseded,
            S::Discarded => JobState::Discarded,
        }
    }
}

impl From<JobState> for sync_core::JobState {
    fn from(s: JobState) -> Self {
        use sync_core::JobState as S;
        match s {
            JobState::Pending => S::Pending,
            JobState::Running => S::Running,
            JobState::Succeeded => S::Succeeded,
            JobState::Dead => S::Dead,
            JobState::Superseded => S::Superseded,
            JobState::Discarded => S::Discarded,
        }
    }
}

/// A task's sync status towards one target (for UI indicators).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum SyncStatus {
    /// A change waits to be sent.
    Pending,
    /// Being sent.
    Syncing,
    /// The provider has the latest change.
    Synced,
    /// The latest change is a dead letter.
    Failed,
    /// The latest change was discarded from the dead letters: it never reached the provider.
    Discarded,
}

/// One outbound status change for one target (the outbox record).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct QueuedJob {
    /// Id, also the idempotency key.
    pub id: String,
    /// Hub id of the task.
    pub task_id: String,
    /// Target (provider) name.
    pub target: String,
    /// The task's id in the target.
    pub external_id: String,
    /// Task kind.
    pub kind: String,
    /// Status before.
    pub from: Status,
    /// Status after.
    pub to: Status,
    /// Provider payload (JSON text).
    pub payload: String,
    /// What restores the provider's previous state (JSON text).
    pub undo: String,
    /// State.
    pub state: JobState,
    /// Attempts so far.
    pub attempts: u32,
    /// The job's own attempt budget (`None`: the worker's backoff budget).
    pub max_attempts: Option<u32>,
    /// Row version: 1 on insert, +1 on every write (the core sets it; a store checks it).
    #[uniffi(default = 0)]
    pub version: u64,
    /// Fencing counter: +1 on every claim; a result lands only under the same lease.
    #[uniffi(default = 0)]
    pub lease: u64,
    /// The task's version after the change (orders a task and target's intents).
    #[uniffi(default = 0)]
    pub task_version: u64,
    /// When it is due (ms).
    pub run_at: i64,
    /// The worker holding its lease.
    pub lease_owner: Option<String>,
    /// Lease expiry (ms).
    pub lease_until: Option<i64>,
    /// The last failure.
    pub last_error: Option<String>,
    /// The provider's receipt (JSON text).
    pub result: Option<String>,
    /// Who made the change.
    pub actor: Option<String>,
    /// Created (ms).
    pub created_at: i64,
    /// Updated (ms).
    pub updated_at: i64,
}

impl From<&sync_core::Job> for QueuedJob {
    fn from(j: &sync_core::Job) -> Self {
        QueuedJob {
            id: j.id.clone(),
            task_id: j.task_id.clone(),
            target: j.target.clone(),
            external_id: j.external_id.clone(),
            kind: j.kind.clone(),
            from: j.from.into(),
            to: j.to.into(),
            payload: input::text(&j.payload),
            undo: input::text(&j.undo),
            state: j.state.into(),
            attempts: j.attempts,
            max_attempts: j.max_attempts,
            version: j.version,
            lease: j.lease,
            task_version: j.task_version,
            run_at: j.run_at,
            lease_owner: j.lease_owner.clone(),
            lease_until: j.lease_until,
            last_error: j.last_error.clone(),
            result: j.result.as_ref().map(input::text),
            actor: j.actor.clone(),
            created_at: j.created_at,
            updated_at: j.updated_at,
        }
    }
}

impl TryFrom<QueuedJob> for sync_core::Job {
    type Error = TasksyncError;

    // A host job store hands back what it was given; its JSON texts are parsed here, and one
    // that does not parse is refused (`InvalidInput` naming the field), never used.
    fn try_from(j: QueuedJob) -> Result<Self, TasksyncError> {
        Ok(sync_core::Job {
            payload: input::parse("payload", &j.payload)?,
            undo: input::parse("undo", &j.undo)?,
            result: j
                .result
                .as_deref()
                .map(|r| input::parse("result", r))
                .transpose()?,
            id: j.id,
            task_id: j.task_id,
            target: j.target,
            external_id: j.external_id,
            kind: j.kind,
            from: j.from.into(),
            to: j.to.into(),
            state: j.state.into(),
            attempts: j.attempts,
            max_attempts: j.max_attempts,
            version: j.version,
            lease: j.lease,
            task_version: j.task_version,
            run_at: j.run_at,
            lease_owner: j.lease_owner,
            lease_until: j.lease_until,
            last_error: j.last_error,
            actor: j.actor,
            created_at: j.created_at,
            updated_at: j.updated_at,
        })
    }
}

impl From<sync_core::SyncStatus> for SyncStatus {
    fn from(s: sync_core::SyncStatus) -> Self {
        use sync_core::SyncStatus as S;
        match s {
            S::Pending => SyncStatus::Pending,
            S::Syncing => SyncStatus::Syncing,
            S::Synced => SyncStatus::Synced,
            S::Failed => SyncStatus::Failed,
            S::Discarded => SyncStatus::Discarded,
        }
    }
}

impl From<SyncStatus> for sync_core::SyncStatus {
    fn from(s: SyncStatus) -> Self {
        use sync_core::SyncStatus as S;
        match s {
            SyncStatus::Pending => S::Pending,
            SyncStatus::Syncing => S::Syncing,
            SyncStatus::Synced => S::Synced,
            SyncStatus::Failed => S::Failed,
            SyncStatus::Discarded => S::Discarded,
        }
    }
}

pub(crate) fn jobs_out(jobs: &[sync_core::Job]) -> Vec<QueuedJob> {
    jobs.iter().map(Into::into).collect()
}

/// A page of jobs: filters are optional, `after` is the last id of the previous page.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct JobQuery {
    /// Only this state.
    #[uniffi(default = None)]
    pub state: Option<JobState>,
    /// Only this target.
    #[uniffi(default = None)]
    pub target: Option<String>,
    /// Only this task.
    #[uniffi(default = None)]
    pub task_id: Option<String>,
    /// Page after this job id.
    #[uniffi(default = None)]
    pub after: Option<String>,
    /// Page size (0: the store's default).
    #[uniffi(default = 0)]
    pub limit: u32,
}

impl From<JobQuery> for sync_core::retry::JobQuery {
    fn from(q: JobQuery) -> Self {
        sync_core::retry::JobQuery {
            state: q.state.map(Into::into),
            target: q.target,
            task_id: q.task_id,
            after: q.after,
            limit: q.limit as usize,
        }
    }
}

impl From<sync_core::retry::JobQuery> for JobQuery {
    fn from(q: sync_core::retry::JobQuery) -> Self {
        JobQuery {
            state: q.state.map(Into::into),
            target: q.target,
            task_id: q.task_id,
            after: q.after,
            limit: u32::try_from(q.limit).unwrap_or(u32::MAX),
        }
    }
}

/// A task's sync status towards one target.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct TargetSyncStatus {
    /// Target name.
    pub target: String,
    /// Status.
    pub status: SyncStatus,
}

/// The sync status a task shows when the latest job of a (task, target) is in `state`: the
/// core's rule, for a host `JobStore`'s `syncStatus`.
#[uniffi::export]
pub fn sync_status_of(state: JobState) -> SyncStatus {
    sync_core::SyncStatus::of(state.into()).into()
}

/// One write to the job table, carried by a change set with the task writes it belongs to
/// (the core's `JobWrite`). Store the job exactly as given: the core has set its version.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum JobWrite {
    /// Enqueue a new job (version 1); refused with `Conflict` if its id exists.
    Insert {
        /// The job.
        job: QueuedJob,
    },
    /// Replace the job whose stored version is `expected_version`; refused with `Conflict`
    /// if the job is missing or at another version.
    Update {
        /// The job after the change.
        job: QueuedJob,
        /// The version the stored job must have.
        expected_version: u64,
    },
}

impl From<&sync_core::retry::JobWrite> for JobWrite {
    fn from(w: &sync_core::retry::JobWrite) -> Self {
        match w {
            sync_core::retry::JobWrite::Insert { job } => JobWrite::Insert { job: job.into() },
            sync_core::retry::JobWrite::Update {
                job,
                expected_version,
            } => JobWrite::Update {
                job: job.into(),
                expected_version: *expected_version,
            },
        }
    }
}

/// The job as a claim stores it (the core's `Job::claimed`): `running` under `owner`'s lease
/// until `now + lease_ms` (at most a day), one more attempt, the next lease number and the
/// next version. A host job store's `claim` writes exactly this, never its own version of it.
#[uniffi::export]
pub fn claimed_job(
    job: QueuedJob,
    owner: String,
    now: i64,
    lease_ms: u64,
) -> Result<QueuedJob, TasksyncError> {
    guard(|| {
        let job: sync_core::Job = job.try_into()?;
        Ok((&job.claimed(&owner, now, lease_ms)).into())
    })
}
