//! The history records: runs, their items and audit entries (the queries that read them are in
//! `query`).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::model::Millis;
use crate::state::{Counters, ItemOutcome, RunKind, RunStatus};

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

impl Actor {
    /// Refuses an actor with an over-long user, IP or user agent.
    pub fn check(&self) -> crate::Result<()> {
        use crate::limits::check_optional_name;
        check_optional_name("actor user", self.user.as_deref())?;
        check_optional_name("actor ip", self.ip.as_deref())?;
        check_optional_name("actor user_agent", self.user_agent.as_deref())
    }
}

impl RunContext {
    /// Refuses a run context with an over-long actor, source id or target id.
    pub fn check(&self) -> crate::Result<()> {
        use crate::limits::check_optional_name;
        self.actor.check()?;
        check_optional_name("run context source_id", self.source_id.as_deref())?;
        check_optional_name("run context target_id", self.target_id.as_deref())
    }
}
