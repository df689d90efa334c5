//! Sync policies: what a sync may write and how it settles conflicts.

use serde::{Deserialize, Serialize};

use crate::model::{Status, Task};

/// How a field changed on both sides since the last sync is settled.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConflictStrategy {
    /// The source's value is written.
    #[default]
    SourceWins,
    /// The hub's value is kept.
    HubWins,
    /// The side changed last wins (the source's `modified_at` against the hub's `updated_at`;
    /// a source without a time counts as newer).
    NewestWins,
    /// Nothing is written for that field; the conflict stays in the plan for a person.
    Manual,
}

/// What a sync may do. Unknown keys are refused.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Policy {
    /// Statuses a sync may modify or delete; `None` means every status. Default: draft only,
    /// so formal tasks stay untouched.
    pub writable: Option<Vec<Status>>,
    /// Statuses that are never modified or deleted, whatever else the policy says.
    pub protected: Vec<Status>,
    /// Delete every writable task the listing names and create it again, instead of updating
    /// in place (deletions are counted).
    pub overwrite: bool,
    /// How field conflicts are settled when a base is known.
    pub strategy: ConflictStrategy,
    /// Deletions above this share of the source's tasks in the scope need `force_deletes`.
    pub max_delete_ratio: f64,
    /// Up to this many deletions are never "mass" deletions.
    pub max_delete_floor: usize,
    /// Allows a mass deletion.
    pub force_deletes: bool,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            writable: Some(vec![Status::Draft]),
            protected: Vec::new(),
            overwrite: false,
            strategy: ConflictStrategy::SourceWins,
            max_delete_ratio: 0.5,
            max_delete_floor: 10,
            force_deletes: false,
        }
    }
}

/// Why a policy keeps a task as it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Untouchable {
    Protected,
    NotWritable,
}

impl Policy {
    /// A policy that may write tasks of every status.
    pub fn all_writable() -> Self {
        Policy {
            writable: None,
            ..Policy::default()
        }
    }

    /// Checks the policy itself.
    pub(crate) fn validate(&self) -> crate::Result<()> {
        if !(0.0..=1.0).contains(&self.max_delete_ratio) {
            return Err(crate::Error::invalid_input(format!(
                "max_delete_ratio must be between 0 and 1, got {}",
                self.max_delete_ratio
            )));
        }
        Ok(())
    }

    pub(crate) fn check(&self, task: &Task) -> Result<(), Untouchable> {
        if self.protected.contains(&task.status) {
            return Err(Untouchable::Protected);
        }
        match &self.writable {
            Some(statuses) if !statuses.contains(&task.status) => Err(Untouchable::NotWritable),
            _ => Ok(()),
        }
    }

    /// The most deletions allowed without force for a source with `total` tasks in the scope.
    pub(crate) fn delete_limit(&self, total: usize) -> usize {
        let share = (self.max_delete_ratio * total as f64).floor() as usize;
        share.max(self.max_delete_floor)
    }
}
