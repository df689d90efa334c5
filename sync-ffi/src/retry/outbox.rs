//! The outbox (mirrors `sync_core::retry`'s outbox): [`StatusService`] changes a status and
//! enqueues its sync jobs in one change set, and reports what it did per target.

use std::sync::Arc;

use crate::clock::{Clock, core_clock};
use crate::error::{TasksyncError, guard, guard_future};
use crate::event::{EventSink, core_sink};
use crate::history::History;
use crate::model::Status;
use crate::retry::target::Target;
use crate::store::HubStore;
use crate::store::job::{QueuedJob, jobs_out};
use crate::transition::{StatusChange, TransitionRules};

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

/// Changes task statuses and enqueues their sync jobs in the same write.
#[derive(Debug, uniffi::Object)]
pub struct StatusService(sync_core::StatusService);

#[uniffi::export(async_runtime = "tokio")]
impl StatusService {
    /// A service on a job-keeping store, with the default state machine or `rules`; `events`
    /// receives `status_changed` and `job_changed` events; `history` audits every status
    /// change.
    #[uniffi::constructor(default(clock = None, events = None, history = None, rules = None))]
    pub fn new(
        store: Arc<HubStore>,
        targets: Vec<Target>,
        clock: Option<Arc<dyn Clock>>,
        events: Option<Arc<dyn EventSink>>,
        history: Option<Arc<History>>,
        rules: Option<Arc<TransitionRules>>,
    ) -> Result<Arc<Self>, TasksyncError> {
        guard(|| {
            let mut service = sync_core::StatusService::new(
                store.queue_store()?,
                core_clock(clock),
                core_sink(events),
            );
            for t in targets {
                service = service.with_target(t.try_into()?);
            }
            if let Some(rules) = rules {
                service = service.with_rules(rules.0.clone());
            }
            if let Some(history) = history {
                service = service.with_history(history.recorder.clone());
            }
            Ok(Arc::new(StatusService(service)))
        })
    }

    /// Moves a task to `to` (with the machine's effects) and enqueues a job per target.
    pub async fn change_status(
        &self,
        task_id: String,
        to: Status,
        actor: Option<String>,
    ) -> Result<StatusChangeReport, TasksyncError> {
        guard_future(async move {
            let report = self
                .0
                .change_status(&task_id, to.into(), actor.as_deref())
                .await?;
            Ok(StatusChangeReport {
                changes: report.changes.iter().map(Into::into).collect(),
                jobs: jobs_out(&report.jobs),
                targets: report.targets.into_iter().map(Into::into).collect(),
            })
        })
        .await
    }
}
