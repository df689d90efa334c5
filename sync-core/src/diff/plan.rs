//! The plan a preview returns and an execute applies.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::{Status, Task};

/// What a sync would do to a scope, computed read-only.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// The hub scope.
    pub scope: String,
    /// The source the listing came from.
    pub source: String,
    /// The scope version the plan was computed from.
    pub scope_version: u64,
    /// Whether the plan was computed in overwrite mode.
    pub overwrite: bool,
    /// Tasks to create.
    pub creates: Vec<Create>,
    /// Tasks to update, field by field.
    pub updates: Vec<Update>,
    /// Tasks to delete.
    pub deletes: Vec<Delete>,
    /// Tasks whose content is already right but whose sync base moves (no visible change).
    pub rebases: Vec<Rebase>,
    /// Fields changed on both sides since the last sync, with how each was settled.
    pub conflicts: Vec<Conflict>,
    /// Changes the policy did not allow, each with its reason.
    pub skipped: Vec<Skipped>,
    /// Totals.
    pub counts: PlanCounts,
    /// Fingerprint of the scope version and of every write in the plan.
    pub token: String,
}

impl Plan {
    /// Whether executing the plan would write nothing.
    pub fn is_empty(&self) -> bool {
        self.creates.is_empty()
            && self.updates.is_empty()
            && self.deletes.is_empty()
            && self.rebases.is_empty()
    }
}

/// A task to create.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Create {
    /// The new record; its times are set when the plan is executed.
    pub task: Task,
}

/// One field's change.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FieldChange {
    /// `kind`, `title`, `status`, `parent` or `fields.<name>`.
    pub field: String,
    /// The hub's value now (`null` when absent).
    pub before: serde_json::Value,
    /// The value after the sync (`null` when removed).
    pub after: serde_json::Value,
}

/// A task to update.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Update {
    /// Hub id.
    pub id: String,
    /// External id.
    pub external_id: String,
    /// Item type.
    pub kind: String,
    /// The version the task must still have.
    pub expected_version: u64,
    /// The fields that change.
    pub changes: Vec<FieldChange>,
    /// The record after the update (its `updated_at` is set when executed).
    pub after: Task,
}

/// Why a task is deleted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeleteReason {
    /// The source no longer lists it.
    Gone,
    /// Overwrite mode deletes it and creates it again.
    Overwrite,
}

/// A task to delete.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Delete {
    /// Hub id.
    pub id: String,
    /// External id.
    pub external_id: String,
    /// Item type.
    pub kind: String,
    /// Title, for display.
    pub title: String,
    /// Hub status.
    pub status: Status,
    /// The version the task must still have.
    pub expected_version: u64,
    /// Why.
    pub reason: DeleteReason,
}

/// A task whose sync base moves while its content stays.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Rebase {
    /// The record after the rebase.
    pub after: Task,
    /// The version the task must still have.
    pub expected_version: u64,
}

/// How a conflict was settled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    /// The source's value is written.
    Source,
    /// The hub's value is kept.
    Hub,
    /// Left for a person: nothing written for this field.
    Manual,
}

/// A field changed on both sides since the last sync.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conflict {
    /// Hub id.
    pub id: String,
    /// External id.
    pub external_id: String,
    /// The field.
    pub field: String,
    /// Its value at the last sync.
    pub base: serde_json::Value,
    /// The hub's value.
    pub hub: serde_json::Value,
    /// The source's value.
    pub source: serde_json::Value,
    /// How it was settled.
    pub resolution: Resolution,
}

/// Why a change was not planned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum SkipReason {
    /// The task's status is not writable under the policy.
    NotWritable {
        /// Its status.
        status: Status,
    },
    /// The task's status is protected.
    Protected {
        /// Its status.
        status: Status,
    },
    /// The listing names this external id more than once; the first one counts.
    DuplicateInListing,
    /// The identity already exists in another scope; a sync never creates it twice.
    OwnedByOtherScope {
        /// The scope that has it.
        scope: String,
    },
    /// The listing is incomplete, so absence proves nothing.
    IncompleteListing,
    /// Too many deletions at once without `force_deletes`.
    MassDeletion {
        /// Deletions the plan would have made.
        deletes: usize,
        /// The most allowed without force.
        limit: usize,
    },
    /// Not created: the sync's deletions are blocked as a mass deletion, and while they are
    /// the sync creates nothing (see [`crate::Policy`]).
    HeldByMassDeletion {
        /// Deletions the plan would have made.
        deletes: usize,
        /// The most allowed without force.
        limit: usize,
    },
}

impl std::fmt::Display for SkipReason {
    /// A short human reason, as tools and history items show it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SkipReason::NotWritable { status } => write!(f, "status `{status}` is not writable"),
            SkipReason::Protected { status } => write!(f, "status `{status}` is protected"),
            SkipReason::DuplicateInListing => f.write_str("listed more than once"),
            SkipReason::OwnedByOtherScope { scope } => {
                write!(f, "already synced into scope `{scope}`")
            }
            SkipReason::IncompleteListing => f.write_str("listing incomplete: not deleting"),
            SkipReason::MassDeletion { deletes, limit } => {
                write!(f, "{deletes} deletions exceed the limit of {limit}")
            }
            SkipReason::HeldByMassDeletion { deletes, limit } => write!(
                f,
                "not created while {deletes} deletions exceeding the limit of {limit} are blocked"
            ),
        }
    }
}

/// A change that was not planned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    /// External id.
    pub external_id: String,
    /// Hub id, when the hub has the task.
    pub id: Option<String>,
    /// Title, for display.
    pub title: String,
    /// Why.
    #[serde(flatten)]
    pub reason: SkipReason,
}

/// Per item type counters.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KindCounts {
    /// Creates.
    pub creates: usize,
    /// Updates.
    pub updates: usize,
    /// Deletes.
    pub deletes: usize,
}

/// Plan totals.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanCounts {
    /// Creates.
    pub creates: usize,
    /// Updates.
    pub updates: usize,
    /// Deletes.
    pub deletes: usize,
    /// Listed tasks that need no visible change (rebases included).
    pub unchanged: usize,
    /// Conflicting fields.
    pub conflicts: usize,
    /// Skipped changes.
    pub skipped: usize,
    /// Per item type.
    pub by_kind: BTreeMap<String, KindCounts>,
}
