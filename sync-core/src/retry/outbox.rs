//! The outbox: a hub status change and the sync jobs it implies, written as one change set.
//!
//! Invariants:
//! - A status change is validated by the [`TransitionRules`] first; a refused one writes
//!   nothing and fails with [`Error::InvalidTransition`](crate::Error::InvalidTransition).
//! - The requested change, the effects it implies (a parent completing with its last child)
//!   and one job per change whose task's source is a registered [`Target`] are applied in ONE
//!   [`ChangeSet`], each task under a compare-and-swap on its version: either the statuses and
//!   their jobs are all written, or nothing is.
//! - A job's payload and undo payload come from the target's [`StatusMapping`], computed from
//!   the task's `remote` field (the provider's last known state, in its own field names, when
//!   the source put it there); its id (also its idempotency key) is unique per intent.
//! - Events ([`Event::StatusChanged`], then [`Event::JobChanged`]) and audit entries (with a
//!   history attached) are emitted only after the store accepted the set: an optimistic UI can
//!   show the new status at once.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::job::{Job, JobState};
use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::event::{Event, EventSink};
use crate::history::{Actor, AuditEntry, HistoryRecorder};
use crate::model::{Status, Task};
use crate::store::{ChangeSet, TaskStore, TaskWrite};
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
    /// The attempt budget of its jobs.
    pub max_attempts: u32,
}

impl Target {
    /// A target with the default attempt budget (5).
    pub fn new(name: impl Into<String>, mapping: StatusMapping) -> Self {
        Target {
            name: name.into(),
            sources: Vec::new(),
            mapping,
            max_attempts: super::Backoff::default().max_attempts,
        }
    }

    /// Also receive the status changes of tasks from `source` (a mirror of that source).
    pub fn mirroring(mut self, source: impl Into<String>) -> Self {
        self.sources.push(source.into());
        self
    }

    /// Whether tasks of `source` sync their status to this target.
    pub fn receives(&self, source: &str) -> bool {
        if self.sources.is_empty() {
            self.name == source
        } else {
            self.sources.iter().any(|s| s == source)
        }
    }
}

/// What a status change did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusChangeReport {
    /// The changes applied: the requested one first, then its effects.
    pub changes: Vec<StatusChange>,
    /// The jobs enqueued with them.
    pub jobs: Vec<Job>,
}

/// Changes task statuses in the hub and enqueues their sync jobs (see the module doc).
pub struct StatusService {
    store: Arc<dyn TaskStore>,
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
    /// A service on a store (which must also keep jobs, like [`MemoryStore`](crate::MemoryStore)
    /// and the SQLite store), with the default rules and no targets.
    pub fn new(
        store: Arc<dyn TaskStore>,
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

    /// Registers a target (a later one with the same name replaces it).
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
        let task =
            self.store.get(task_id.to_owned()).await?.ok_or_else(|| {
                Error::NotFound(format!("task `{}`", crate::error::clip(task_id)))
            })?;
        let related = self.store.snapshot(task.scope.clone()).await?.tasks;
        let changes = self.rules.plan(&task, to, &related)?;
        let now = self.clock.try_now_ms()?;
        let mut set = ChangeSet::default();
        for change in &changes {
            let current = related
                .iter()
                .find(|t| t.id == change.task_id)
                .unwrap_or(&task);
            let mut next = current.clone();
            next.status = change.to;
            next.version += 1;
            next.updated_at = now;
            for target in self.targets.iter().filter(|t| t.receives(&next.source)) {
                set.jobs.push(job_for(target, &next, change, actor, now));
            }
            set.tasks.push(TaskWrite::Update {
                expected_version: current.version,
                task: next,
            });
        }
        self.store.apply(set.clone()).await?;
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
        for job in &set.jobs {
            self.events.emit(Event::job_changed(job, now));
        }
        Ok(StatusChangeReport {
            changes,
            jobs: set.jobs,
        })
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
