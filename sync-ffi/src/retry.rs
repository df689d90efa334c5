//! The outbound queue: [`StatusService`] (change a status and enqueue its jobs in one write),
//! job operations and dead letters on [`HubStore`], and their records; the worker that sends
//! the jobs is in [`crate::worker`]. The host drives the worker: call `run_once`,
//! then sleep until `next_wake` (or a status change), as sync-cli's queue loop does.
//!
//! Invariant: the queue needs a store that keeps jobs (memory, SQLite, or a host queue from
//! `HubStore.foreignQueue`, see [`crate::job_store`]); a host task store alone gets a clear
//! `InvalidInput` here, and a refused change set from the store adapter (never dropped jobs).

use std::sync::Arc;

use crate::clock::{Clock, core_clock};
use crate::error::TasksyncError;
use crate::event::{EventSink, core_sink};
use crate::history::History;
use crate::json;
use crate::model::Status;
use crate::store::HubStore;
use crate::transition::{ProviderKind, StatusChange};

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
            payload: json::text(&j.payload),
            undo: json::text(&j.undo),
            state: j.state.into(),
            attempts: j.attempts,
            max_attempts: j.max_attempts,
            run_at: j.run_at,
            lease_owner: j.lease_owner.clone(),
            lease_until: j.lease_until,
            last_error: j.last_error.clone(),
            result: j.result.as_ref().map(json::text),
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
            payload: json::parse("payload", &j.payload)?,
            undo: json::parse("undo", &j.undo)?,
            result: j
                .result
                .as_deref()
                .map(|r| json::parse("result", r))
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

/// A provider that receives the status changes of its tasks.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Target {
    /// Provider name (the worker routes jobs by it).
    pub name: String,
    /// Which built-in status mapping shapes its payloads.
    pub kind: ProviderKind,
    /// Attempt budget of its jobs (`None`: the worker's backoff budget, by default the first
    /// call and 5 retries).
    #[uniffi(default = None)]
    pub max_attempts: Option<u32>,
    /// The task sources it receives (empty: the source of its own name).
    #[uniffi(default)]
    pub sources: Vec<String>,
}

impl TryFrom<Target> for sync_core::retry::Target {
    type Error = TasksyncError;

    fn try_from(t: Target) -> Result<Self, TasksyncError> {
        let target = sync_core::retry::Target {
            name: t.name,
            sources: t.sources,
            mapping: sync_core::transition::StatusMapping::new(t.kind.into()),
            max_attempts: t.max_attempts,
        };
        target.validate()?;
        Ok(target)
    }
}

/// How one target was considered for one status change.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct TargetDecision {
    /// The task whose status changed.
    pub task_id: String,
    /// The target.
    pub target: String,
    /// The job enqueued for it (`None`: skipped).
    pub job_id: Option<String>,
    /// Why it was skipped.
    pub skipped: Option<String>,
}

impl From<sync_core::retry::TargetDecision> for TargetDecision {
    fn from(d: sync_core::retry::TargetDecision) -> Self {
        TargetDecision {
            task_id: d.task_id,
            target: d.target,
            job_id: d.job_id,
            skipped: d.skipped,
        }
    }
}

/// What a status change did.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct StatusChangeReport {
    /// The requested change and its effects, in order.
    pub changes: Vec<StatusChange>,
    /// The jobs enqueued with it (same transaction).
    pub jobs: Vec<QueuedJob>,
    /// Every target considered for every change: its job, or why it was skipped.
    pub targets: Vec<TargetDecision>,
}

/// The sync status a task shows when the latest job of a (task, target) is in `state`: the
/// core's rule, for a host `JobStore`'s `syncStatus`.
#[uniffi::export]
pub fn sync_status_of(state: JobState) -> SyncStatus {
    sync_core::SyncStatus::of(state.into()).into()
}

/// Changes task statuses and enqueues their sync jobs in the same write.
#[derive(Debug, uniffi::Object)]
pub struct StatusService(sync_core::StatusService);

#[uniffi::export(async_runtime = "tokio")]
impl StatusService {
    /// A service on a job-keeping store, with the default state machine; `events` receives
    /// `status_changed` and `job_changed` events; `history` audits every status change.
    #[uniffi::constructor(default(clock = None, events = None, history = None))]
    pub fn new(
        store: Arc<HubStore>,
        targets: Vec<Target>,
        clock: Option<Arc<dyn Clock>>,
        events: Option<Arc<dyn EventSink>>,
        history: Option<Arc<History>>,
    ) -> Result<Arc<Self>, TasksyncError> {
        store.job_store()?;
        let mut service = sync_core::StatusService::new(
            store.tasks.clone(),
            core_clock(clock),
            core_sink(events),
        );
        for t in targets {
            service = service.with_target(t.try_into()?);
        }
        if let Some(history) = history {
            service = service.with_history(history.recorder.clone());
        }
        Ok(Arc::new(StatusService(service)))
    }

    /// Moves a task to `to` (with the machine's effects) and enqueues a job per target.
    pub async fn change_status(
        &self,
        task_id: String,
        to: Status,
        actor: Option<String>,
    ) -> Result<StatusChangeReport, TasksyncError> {
        let report = self
            .0
            .change_status(&task_id, to.into(), actor.as_deref())
            .await?;
        Ok(StatusChangeReport {
            changes: report.changes.iter().map(Into::into).collect(),
            jobs: jobs_out(&report.jobs),
            targets: report.targets.into_iter().map(Into::into).collect(),
        })
    }
}
