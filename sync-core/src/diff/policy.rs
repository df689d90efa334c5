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
///
/// # Deletion safety
///
/// A sync deletes the writable tasks of its source that a complete listing no longer names
/// (an incomplete listing never deletes). Let `N` be the number of the source's tasks in the
/// scope when the sync is previewed, whatever their status. More than
/// `max(max_delete_floor, floor(max_delete_ratio × N))` such deletions are a mass deletion,
/// and without `force_deletes` a mass deletion is blocked:
/// - none of those tasks is deleted (each is skipped as `mass_deletion`), and
/// - the sync creates no new task either (each is skipped as `held_by_mass_deletion`);
///   updates, rebases and overwrite's recreations still apply, since they change no count.
///
/// So a blocked sync never adds a task of its source and `N` cannot grow through it: running
/// it again, any number of times and however many new items the source lists meanwhile,
/// finds the same deletions against the same limit and stays blocked, until it is run with
/// `force_deletes` or the source lists enough of those tasks again.
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
    /// Deletions above this share of the source's tasks in the scope need `force_deletes`
    /// (see "Deletion safety" above).
    pub max_delete_ratio: f64,
    /// Up to this many deletions are never "mass" deletions.
    pub max_delete_floor: usize,
    /// Allows a mass deletion, and the creates a blocked one holds back.
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

    /// The most deletions allowed without force for a source with `total` tasks in the scope
    /// before the sync (never counting the sync's own creates: a blocked sync holds them).
    pub(crate) fn delete_limit(&self, total: usize) -> usize {
        let share = (self.max_delete_ratio * total as f64).floor() as usize;
        share.max(self.max_delete_floor)
    }
}
