//! The states and counters that runs, items and sessions report: the vocabulary shared by
//! [`history`](crate::history), [`session`](crate::session) and the [`event`](crate::event)s
//! hosts subscribe to. Records only; it imports nothing but the base (model, error), so the
//! modules that emit events sit above the events they emit.

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

/// Where a session is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionStatus {
    /// Created, not started.
    Created,
    /// Counting time for the current cycle.
    Running,
    /// Not counting time.
    Paused,
    /// Finished; only reads and delete are allowed.
    Completed,
}

impl SessionStatus {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            SessionStatus::Created => "created",
            SessionStatus::Running => "running",
            SessionStatus::Paused => "paused",
            SessionStatus::Completed => "completed",
        }
    }
}

impl fmt::Display for SessionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One cycle's time in a [`SessionState`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CycleTime {
    /// Cycle id.
    pub id: String,
    /// Cycle name.
    pub name: String,
    /// Time spent in it, including the open segment, in ms.
    pub elapsed_ms: u64,
}

/// A session's live view at one instant (computed, never stored).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionState {
    /// Session id.
    pub id: String,
    /// Life state.
    pub status: SessionStatus,
    /// Index of the current cycle.
    pub current_index: usize,
    /// Id of the current cycle.
    pub current_cycle: String,
    /// Every cycle with its time.
    pub cycles: Vec<CycleTime>,
    /// Time spent running (sum of `cycles`), in ms.
    pub running_ms: u64,
    /// Time spent paused, including an open pause, in ms.
    pub paused_ms: u64,
    /// Wall time since start (running + paused), in ms.
    pub elapsed_ms: u64,
    /// Switches applied.
    pub switch_count: u64,
    /// The session's version.
    pub version: u64,
    /// The instant this view was computed for (after clamping).
    pub at: Millis,
    /// When it was created.
    pub created_at: Millis,
    /// When it was started.
    pub started_at: Option<Millis>,
    /// When it was completed.
    pub completed_at: Option<Millis>,
}

/// Why a pull kept its plan for a person (see `crate::pull`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case", deny_unknown_fields)]
pub enum HoldReason {
    /// The rule says never to execute on its own.
    AutoExecuteOff,
    /// The plan reports conflicts.
    Conflicts {
        /// How many.
        conflicts: usize,
    },
    /// The plan deletes more than the rule allows.
    TooManyDeletes {
        /// Deletions planned.
        deletes: usize,
        /// The rule's limit.
        limit: usize,
    },
    /// The policy blocked the plan's deletions as a mass deletion.
    MassDeletion {
        /// Deletions the source implies.
        deletes: usize,
        /// The policy's limit.
        limit: usize,
    },
}

impl HoldReason {
    /// The snake_case name, as in the serde `reason` tag.
    pub fn as_str(&self) -> &'static str {
        match self {
            HoldReason::AutoExecuteOff => "auto_execute_off",
            HoldReason::Conflicts { .. } => "conflicts",
            HoldReason::TooManyDeletes { .. } => "too_many_deletes",
            HoldReason::MassDeletion { .. } => "mass_deletion",
        }
    }
}
