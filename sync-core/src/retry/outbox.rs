//! The outbox: a hub status change and the sync jobs it implies, written as one change set.
//!
//! Invariants:
//! - A status change is validated by the [`TransitionRules`] first; a refused one writes
//!   nothing and fails with [`Error::InvalidTransition`](crate::Error::InvalidTransition).
//! - The requested change, the effects it implies (a parent completing with its last child)
//!   and one job per change whose task's source is a registered [`Target`] are applied in ONE
//!   [`ChangeSet`], each task under a compare-and-swap on its version: either the statuses and
//!   their jobs are all written, or nothing is.
//! - A target receives the tasks of its own source (its name) unless `sources` says otherwise.
//!   The report lists every (change, target) pair considered, with the job enqueued or the
//!   reason it was skipped; a change that enqueues no job at all is logged as a warning, so a
//!   misconfigured target is never a silent no-op.
//! - A job's payload and undo payload come from the target's [`StatusMapping`], computed from
//!   the task's `remote` field (the provider's last known state, in its own field names, when
//!   the source put it there); its id (also its idempotency key) is unique per intent.
//! - Events ([`Event::StatusChanged`], then [`Event::JobChanged`]) and audit entries (with a
//!   history attached) are emitted only after the store accepted the set: an optimistic UI can
//!   show the new status at once.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::event::{Event, EventSink};
use crate::history::{Actor, AuditEntry, HistoryRecorder};
use crate::model::{Status, Task};
use crate::store::QueueStore;
use crate::store::{ChangeSet, StoreError, TaskWrite};
use crate::store::{Job, JobState, JobWrite};
use crate::transition::{StatusChange, StatusMapping, TransitionRules};

/// A provider that receives the status changes of the tasks that came from it (or, with
/// `sources`, of tasks of other sources it mirrors: one job per target, fan-out).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    /// The provider name (the worker routes the target's jobs to the provider of this name).
    pub name: String,
    /// The task sources whose status changes go to this target; empty means its own `name`.
    /// The task's external id is used as the id in the target.
    #[serde(default)]
    pub sources: Vec<String>,
    /// How hub statuses look in it.
    pub mapping: StatusMapping,
    /// The attempt budget of its jobs; `None`: the worker's backoff budget (by default the
    /// first call and 5 retries).
    #[serde(default)]
    pub max_attempts: Option<u32>,
}

impl Target {
    /// A target without a budget of its own (its jobs get the worker's).
    pub fn new(name: impl Into<String>, mapping: StatusMapping) -> Self {
        Target {
            name: name.into(),
            sources: Vec::new(),
            mapping,
            max_attempts: None,
        }
    }

    /// Gives its jobs an attempt budget of their own.
    pub fn with_max_attempts(mut self, max_attempts: u32) -> Self {
        self.max_attempts = Some(max_attempts);
        self
    }

    /// Checks the target: a non-empty name, non-empty source names and a budget of at least
    /// one attempt, with the name, the sources and their count within the
    /// [`limits`](crate::limits).
    pub fn validate(&self) -> Result<()> {
        if self.name.is_empty() {
            return Err(Error::invalid_input("target `name` must not be empty"));
        }
        if self.sources.iter().any(String::is_empty) {
            return Err(Error::invalid_input(format!(
                "target `{}`: `sources` must not contain an empty name",
                crate::error::clip(&self.name)
            )));
        }
        if self.max_attempts == Some(0) {
            return Err(Error::invalid_input(format!(
                "target `{}`: `max_attempts` must be at least 1",
                crate::error::clip(&self.name)
            )));
        }
        crate::limits::check_id("target name", &self.name)?;
        for source in &self.sources {
            crate::limits::check_id("target source", source)?;
        }
        crate::limits::check_count(
            "the target's sources",
            self.sources.len(),
            crate::limits::MAX_TARGET_SOURCES,
            None,
        )?;
        Ok(())
    }

    /// Also receive the status changes of tasks from `source` (a mirror of that source).
    pub fn mirroring(mut self, source: impl Into<String>) -> Self {
        self.sources.push(source.into());
        self
    }

    /// Whether tasks of `source` sync their status to this target.
    pub fn receives(&self, source: &str) -> bool {
        self.received_sources().contains(&source)
    }

    /// The task sources it receives: `sources`, or else its own name.
    pub fn received_sources(&self) -> Vec<&str> {
        if self.sources.is_empty() {
            vec![self.name.as_str()]
        } else {
            self.sources.iter().map(String::as_str).collect()
        }
    }

    /// Why tasks of `source` are not sent here (`None` when they are).
    fn skip_reason(&self, source: &str) -> Option<String> {
        if self.receives(source) {
            return None;
        }
        let names: Vec<String> = self
            .received_sources()
            .iter()
            .map(|s| format!("`{}`", crate::error::clip(s)))
            .collect();
        Some(format!(
            "target `{}` receives the tasks of source {} only, and this task comes from `{}` \
             (list the source in the target's `sources` to send it there)",
            crate::error::clip(&self.name),
            names.join(", "),
            crate::error::clip(source)
        ))
    }
}

/// How one target was considered for one status change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetDecision {
    /// The task whose status changed (the requested one, or one of its effects).
    pub task_id: String,
    /// The target.
    pub target: String,
    /// The job enqueued for it; `None` when it was skipped.
    pub job_id: Option<String>,
    /// Why it was skipped (`None` when a job was enqueued).
    pub skipped: Option<String>,
}

/// What a status change did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusChangeReport {
    /// The changes applied: the requested one first, then its effects.
    pub changes: Vec<StatusChange>,
    /// The jobs enqueued with them.
    pub jobs: Vec<Job>,
    /// Every target considered for every change, in order: its job or why it was skipped.
    /// Empty when the service has no targets.
    pub targets: Vec<TargetDecision>,
}

/// What [`StatusService::plan`] produces.
type Planned = (
    Vec<StatusChange>,
    ChangeSet,
    Vec<TargetDecision>,
    Vec<(String, String)>,
    i64,
);

/// Changes task statuses in the hub and enqueues their sync jobs (see the module doc).
pub struct StatusService {
    store: Arc<dyn QueueStore>,
    clock: Arc<dyn Clock>,
    events: Arc<dyn EventSink>,
    rules: TransitionRules,
    targets: Vec<Target>,
    history: Option<HistoryRecorder>,
}

impl std::fmt::Debug for StatusService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StatusService")
            .field("targets", &self.targets)
            .finish_non_exhaustive()
    }
}

impl StatusService {
    /// A service on a store that keeps tasks and jobs (like [`MemoryStore`](crate::MemoryStore)
    /// and the SQLite store; a task store alone through [`without_jobs`](super::without_jobs)
    /// serves a service without targets), with the default rules and no targets.
    pub fn new(
        store: Arc<dyn QueueStore>,
        clock: Arc<dyn Clock>,
        events: Arc<dyn EventSink>,
    ) -> Self {
        StatusService {
            store,
            clock,
            events,
            rules: TransitionRules::default(),
            targets: Vec::new(),
            history: None,
        }
    }

    /// Replaces the state machine.
    pub fn with_rules(mut self, rules: TransitionRules) -> Self {
        self.rules = rules;
        self
    }

    /// Audits every status change (who, when, from, to) into this history.
    pub fn with_history(mut self, history: HistoryRecorder) -> Self {
        self.history = Some(history);
        self
    }

    /// Registers a target (a later one with the same name replaces it). Check a target from
    /// outside with [`Target::validate`] first.
    pub fn with_target(mut self, target: Target) -> Self {
        self.targets.retain(|t| t.name != target.name);
        self.targets.push(target);
        self
    }

    /// Moves task `task_id` to `to` on behalf of `actor`, with its effects and jobs.
    pub async fn change_status(
        &self,
        task_id: &str,
        to: Status,
        actor: Option<&str>,
    ) -> Result<StatusChangeReport> {
        crate::limits::check_id("task id", task_id)?;
        crate::limits::check_optional_name("actor", actor)?;
        let span = tracing::info_span!("change_status", task = task_id, to = to.as_str());
        let _guard = span.enter();
        // A claim or another enqueue can take a pending job between the read and the write;
        // such a lost race (the tasks unchanged) is tried again from a fresh read, while a
        // change of the tasks themselves is the caller's conflict.
        let mut tries = 0;
        let (changes, set, decisions, unsent, now) = loop {
            let planned = self.plan(task_id, to, actor).await?;
            match self.store.apply(planned.1.clone()).await {
                Ok(_) => break planned,
                Err(StoreError::Conflict(detail)) if tries < 8 && !planned.1.jobs.is_empty() => {
                    if !self.tasks_unchanged(&planned.1).await? {
                        return Err(StoreError::Conflict(detail).into());
                    }
                    tries += 1;
                }
                Err(err) => return Err(err.into()),
            }
        };
        for (task, source) in &unsent {
            self.warn_unsent(task, source);
        }
        for change in &changes {
            tracing::info!(task = %change.task_id, from = %change.from.as_str(), to = %change.to.as_str(), "status changed");
            if let Some(history) = &self.history {
                let who = actor.map(Actor::user).unwrap_or_default();
                let mut entry =
                    AuditEntry::status_changed(&change.task_id, change.from, change.to, who, now);
                if let Some(cause) = &change.cause {
                    entry = entry.details(serde_json::json!({ "cause": cause }));
                }
                history.audit(entry);
            }
            self.events.emit(Event::StatusChanged {
                change: change.clone(),
                actor: actor.map(str::to_owned),
                at: now,
            });
        }
        let jobs: Vec<Job> = set
            .jobs
            .into_iter()
            .filter_map(|w| match w {
                JobWrite::Insert { job } => Some(job),
                JobWrite::Update { .. } => None,
            })
            .collect();
        for job in &jobs {
            self.events.emit(Event::job_changed(job, now));
        }
        Ok(StatusChangeReport {
            changes,
            jobs,
            targets: decisions,
        })
    }

    /// Reads the task and its scope and plans the change set: the changes, the set, the target
    /// decisions, the tasks no target receives, and the time.
    async fn plan(&self, task_id: &str, to: Status, actor: Option<&str>) -> Result<Planned> {
        let task =
            self.store.get(task_id.to_owned()).await?.ok_or_else(|| {
                Error::NotFound(format!("task `{}`", crate::error::clip(task_id)))
            })?;
        let related = self.store.snapshot(task.scope.clone()).await?.tasks;
        let changes = self.rules.plan(&task, to, &related)?;
        let now = self.clock.try_now_ms()?;
        let mut set = ChangeSet::default();
        let mut new_jobs = Vec::new();
        let mut pending = Vec::new();
        let mut decisions = Vec::new();
        let mut unsent = Vec::new();
        for change in &changes {
            let current = related
                .iter()
                .find(|t| t.id == change.task_id)
                .unwrap_or(&task);
            let mut next = current.clone();
            next.status = change.to;
            next.version += 1;
            next.updated_at = now;
            let queued = new_jobs.len();
            for target in &self.targets {
                let skipped = target.skip_reason(&next.source);
                let job_id = if skipped.is_none() {
                    let job = job_for(target, &next, change, actor, now);
                    let id = job.id.clone();
                    new_jobs.push(job);
                    Some(id)
                } else {
                    None
                };
                decisions.push(TargetDecision {
                    task_id: next.id.clone(),
                    target: target.name.clone(),
                    job_id,
                    skipped,
                });
            }
            if new_jobs.len() > queued {
                pending.extend(super::lifecycle::pending_of(&*self.store, &next.id).await?);
            } else {
                unsent.push((next.id.clone(), next.source.clone()));
            }
            set.tasks.push(TaskWrite::Update {
                expected_version: current.version,
                task: next,
            });
        }
        set.jobs = super::lifecycle::enqueue_writes(&pending, new_jobs, now);
        Ok((changes, set, decisions, unsent, now))
    }

    /// Whether every task `set` updates is still at the version the set expects.
    async fn tasks_unchanged(&self, set: &ChangeSet) -> Result<bool> {
        for write in &set.tasks {
            if let TaskWrite::Update {
                task,
                expected_version,
            } = write
            {
                let current = self.store.get(task.id.clone()).await?;
                if current.map(|t| t.version) != Some(*expected_version) {
                    return Ok(false);
                }
            }
        }
        Ok(true)
    }

    /// Says that the status change of `task` (from `source`) reaches no provider.
    fn warn_unsent(&self, task: &str, source: &str) {
        let names: Vec<&str> = self.targets.iter().map(|t| t.name.as_str()).collect();
        if names.is_empty() {
            tracing::warn!(
                task,
                source,
                "status change enqueues no sync job: the status service has no targets"
            );
        } else {
            tracing::warn!(task, source, targets = ?names,
                "status change enqueues no sync job: no target receives tasks of this source \
                 (see the report's `targets` for why each was skipped)");
        }
    }
}

fn job_for(
    target: &Target,
    task: &Task,
    change: &StatusChange,
    actor: Option<&str>,
    now: i64,
) -> Job {
    let remote = task.fields.get("remote").cloned().unwrap_or(Value::Null);
    let mapped = target.mapping.to_provider(change.to, &remote, now);
    Job {
        id: Job::key(&task.id, &target.name, task.version),
        task_id: task.id.clone(),
        target: target.name.clone(),
        external_id: task.external_id.clone(),
        kind: task.kind.clone(),
        from: change.from,
        to: change.to,
        payload: mapped.payload,
        undo: mapped.undo.payload,
        state: JobState::Pending,
        attempts: 0,
        max_attempts: target.max_attempts,
        version: 1,
        lease: 0,
        task_version: task.version,
        run_at: now,
        lease_owner: None,
        lease_until: None,
        last_error: None,
        result: None,
        actor: actor.map(str::to_owned),
        created_at: now,
        updated_at: now,
    }
}
