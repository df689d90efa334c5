//! The history records: runs, their items and audit entries (the queries that read them are in
//! `query`).

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::model::Millis;

/// The life of a run: `pending`, `in_progress`, then one of the three final states.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Recorded, not started yet.
    Pending,
    /// Running.
    InProgress,
    /// Finished without error.
    Completed,
    /// Finished with an error (nothing of an execute was written).
    Failed,
    /// Stopped by its cancel token before anything was written.
    Cancelled,
}

impl RunStatus {
    /// Every status, in lifecycle order.
    pub const ALL: [RunStatus; 5] = [
        RunStatus::Pending,
        RunStatus::InProgress,
        RunStatus::Completed,
        RunStatus::Failed,
        RunStatus::Cancelled,
    ];

    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Pending => "pending",
            RunStatus::InProgress => "in_progress",
            RunStatus::Completed => "completed",
            RunStatus::Failed => "failed",
            RunStatus::Cancelled => "cancelled",
        }
    }

    /// Whether the run is over.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            RunStatus::Completed | RunStatus::Failed | RunStatus::Cancelled
        )
    }
}

impl fmt::Display for RunStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RunStatus {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RunStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| {
                Error::invalid_input(format!(
                    "unknown run status `{}`; expected one of: pending, in_progress, \
                     completed, failed, cancelled",
                    crate::error::clip(s)
                ))
            })
    }
}

/// What a run did: a read-only preview or an execute.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunKind {
    /// `SyncEngine::preview`.
    Preview,
    /// `SyncEngine::execute`.
    Execute,
}

impl RunKind {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            RunKind::Preview => "preview",
            RunKind::Execute => "execute",
        }
    }
}

impl fmt::Display for RunKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who started a run or made a change. Never holds a secret: no tokens, no cookies.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Actor {
    /// The user's name or id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// The client's IP address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    /// The client's user agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
}

impl Actor {
    /// An actor known by user name only.
    pub fn user(user: impl Into<String>) -> Self {
        Actor {
            user: Some(user.into()),
            ..Actor::default()
        }
    }
}

/// What the caller knows about a run that the engine does not: who, and between which
/// configured systems.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunContext {
    /// Who started it.
    #[serde(default)]
    pub actor: Actor,
    /// The id of the source's configuration (e.g. a connection id), if the host has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_id: Option<String>,
    /// The id of the target's configuration, if the host has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_id: Option<String>,
}

/// How many items of a run ended each way.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    /// Created.
    pub created: u64,
    /// Updated.
    pub updated: u64,
    /// Deleted.
    pub deleted: u64,
    /// Failed.
    pub failed: u64,
    /// Skipped (by policy, or owned by another scope).
    pub skipped: u64,
}

impl Counters {
    /// Counts one item with this outcome.
    pub fn add(&mut self, outcome: ItemOutcome) {
        match outcome {
            ItemOutcome::Created => self.created += 1,
            ItemOutcome::Updated => self.updated += 1,
            ItemOutcome::Deleted => self.deleted += 1,
            ItemOutcome::Failed => self.failed += 1,
            ItemOutcome::Skipped => self.skipped += 1,
        }
    }

    /// All items counted.
    pub fn total(&self) -> u64 {
        self.created + self.updated + self.deleted + self.failed + self.skipped
    }
}

/// One sync run (a preview or an execute) with its outcome.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Run {
    /// Unique id.
    pub id: String,
    /// Preview or execute.
    pub kind: RunKind,
    /// The hub scope.
    pub scope: String,
    /// The listing's source name.
    pub source: String,
    /// Where it is in its life.
    pub status: RunStatus,
    /// Whether the policy was in overwrite mode.
    pub overwrite: bool,
    /// Who, and between which configured systems.
    #[serde(default)]
    pub context: RunContext,
    /// When it started (from the engine's clock).
    pub started_at: Millis,
    /// When it ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<Millis>,
    /// `ended_at - started_at`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<i64>,
    /// How many items the run was to process.
    pub total_items: u64,
    /// Outcomes over all items.
    pub totals: Counters,
    /// Outcomes per item type (`epic`, `feature`, `user_story`, ...); items without a type
    /// (skipped changes) count in `totals` only.
    #[serde(default)]
    pub by_type: BTreeMap<String, Counters>,
    /// Tasks deleted to be recreated, in overwrite mode.
    pub deletions: u64,
    /// Why it failed (clipped; never a secret: it is an [`Error`]'s message).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// How one item of a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemOutcome {
    /// Created in the target.
    Created,
    /// Updated in the target.
    Updated,
    /// Deleted from the target.
    Deleted,
    /// Not written: the write failed (in an atomic execute, every write of a failed set).
    Failed,
    /// Not written: the policy or the identity rules skipped it.
    Skipped,
}

impl ItemOutcome {
    /// Every outcome.
    pub const ALL: [ItemOutcome; 5] = [
        ItemOutcome::Created,
        ItemOutcome::Updated,
        ItemOutcome::Deleted,
        ItemOutcome::Failed,
        ItemOutcome::Skipped,
    ];

    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            ItemOutcome::Created => "created",
            ItemOutcome::Updated => "updated",
            ItemOutcome::Deleted => "deleted",
            ItemOutcome::Failed => "failed",
            ItemOutcome::Skipped => "skipped",
        }
    }
}

impl fmt::Display for ItemOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ItemOutcome {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ItemOutcome::ALL
            .into_iter()
            .find(|o| o.as_str() == s)
            .ok_or_else(|| {
                Error::invalid_input(format!("unknown item outcome `{}`", crate::error::clip(s)))
            })
    }
}

/// One processed task of a run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    /// Position in the run, from 0; unique within the run.
    pub seq: u64,
    /// The task's id in its source.
    pub external_id: String,
    /// Its title.
    pub name: String,
    /// Its item type; empty when unknown (a skipped change does not carry one).
    pub kind: String,
    /// How it ended.
    pub outcome: ItemOutcome,
    /// Its id in the target (for a hub sync, the hub id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_id: Option<String>,
    /// Its URL in the target, if the target has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_url: Option<String>,
    /// Why it failed or was skipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The items of one run, as a store receives them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunItems {
    /// The run.
    pub run_id: String,
    /// Its items (any seq order; a seq written twice keeps the last).
    pub items: Vec<Item>,
}

/// What an audit entry records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    /// A run started.
    SyncStarted,
    /// A run completed.
    SyncCompleted,
    /// A run failed.
    SyncFailed,
    /// A run was cancelled.
    SyncCancelled,
    /// A task's status changed (`from`, `to`).
    StatusChanged,
    /// Someone retried a dead job by hand.
    JobRetried,
    /// Someone discarded a dead job by hand.
    JobDiscarded,
}

impl AuditAction {
    /// Every action.
    pub const ALL: [AuditAction; 7] = [
        AuditAction::SyncStarted,
        AuditAction::SyncCompleted,
        AuditAction::SyncFailed,
        AuditAction::SyncCancelled,
        AuditAction::StatusChanged,
        AuditAction::JobRetried,
        AuditAction::JobDiscarded,
    ];

    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::SyncStarted => "sync_started",
            AuditAction::SyncCompleted => "sync_completed",
            AuditAction::SyncFailed => "sync_failed",
            AuditAction::SyncCancelled => "sync_cancelled",
            AuditAction::StatusChanged => "status_changed",
            AuditAction::JobRetried => "job_retried",
            AuditAction::JobDiscarded => "job_discarded",
        }
    }
}

impl fmt::Display for AuditAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One audit entry: who did what to which entity, when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Unique id; the recorder assigns one when it is empty.
    pub id: String,
    /// When (from the clock of whoever made the change).
    pub at: Millis,
    /// What happened.
    pub action: AuditAction,
    /// The entity's type: `sync` (a run), `task`, `job`.
    pub entity_type: String,
    /// The entity's id.
    pub entity_id: String,
    /// Who.
    #[serde(default)]
    pub actor: Actor,
    /// The state before (a status change).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// The state after.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// More, as JSON (a summary, an error message). Never a secret.
    #[serde(default)]
    pub details: serde_json::Value,
}

impl AuditEntry {
    /// An entry without id (the recorder assigns one), from/to or details.
    pub fn new(
        action: AuditAction,
        entity_type: impl Into<String>,
        entity_id: impl Into<String>,
        actor: Actor,
        at: Millis,
    ) -> Self {
        AuditEntry {
            id: String::new(),
            at,
            action,
            entity_type: entity_type.into(),
            entity_id: entity_id.into(),
            actor,
            from: None,
            to: None,
            details: serde_json::Value::Null,
        }
    }

    /// A task's status change, `from` → `to`.
    pub fn status_changed(
        task_id: impl Into<String>,
        from: impl fmt::Display,
        to: impl fmt::Display,
        actor: Actor,
        at: Millis,
    ) -> Self {
        AuditEntry {
            from: Some(from.to_string()),
            to: Some(to.to_string()),
            ..AuditEntry::new(AuditAction::StatusChanged, "task", task_id, actor, at)
        }
    }

    /// A dead job retried by hand.
    pub fn job_retried(job_id: impl Into<String>, actor: Actor, at: Millis) -> Self {
        AuditEntry::new(AuditAction::JobRetried, "job", job_id, actor, at)
    }

    /// A dead job discarded by hand.
    pub fn job_discarded(job_id: impl Into<String>, actor: Actor, at: Millis) -> Self {
        AuditEntry::new(AuditAction::JobDiscarded, "job", job_id, actor, at)
    }

    /// Sets the details.
    pub fn details(mut self, details: serde_json::Value) -> Self {
        self.details = details;
        self
    }
}
