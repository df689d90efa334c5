//! The storage traits a host implements, and the change set every write travels in.
//!
//! Contract for every [`TaskStore`] (checked by the conformance suite):
//! - [`TaskStore::apply`] is atomic: either every write of the [`ChangeSet`] lands or none does.
//! - Before writing it checks every [`ScopeGuard`] (the scope's version equals the expected one)
//!   and every update and delete (the record's version equals `expected_version`); an insert
//!   whose id or `(source, external_id)` exists is refused too. Any failed check fails the
//!   whole set and writes nothing: a failed guard or version check with
//!   [`StoreError::Conflict`], a refused insert with [`StoreError::Duplicate`] naming the
//!   insert (a store that cannot tell which insert was refused may report
//!   [`StoreError::Conflict`], which a sync reports as a stale plan).
//! - Writes are applied in order (an overwrite deletes a record and inserts it again in one set).
//! - Every applied set bumps the version of each scope it touches by exactly one.
//! - [`TaskStore::snapshot`] is a consistent read: its tasks are exactly those of the scope at
//!   the returned version.
//!
//! Arguments are owned and serializable so that a Python or JavaScript object can implement the
//! trait through a binding.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

pub use crate::error::{RefusedInsert, StoreError};
use crate::model::Task;

pub mod base;
mod gate;
mod job;
mod job_store;
mod wake;

use crate::text::clip;
pub use gate::{GateRecord, GateStore, LocalGates, MAX_GATE_BODY};
pub use job::{Finish, Job, JobQuery, JobState, JobWrite, SyncStatus};
pub use job_store::{JobError, JobStore, QueueStore, without_jobs};
pub use wake::WakeHint;

impl RefusedInsert {
    /// The refused insert of `task`, with what the store knows about the key's holder.
    pub fn of(task: &Task, detail: impl Into<String>) -> Self {
        RefusedInsert {
            id: task.id.clone(),
            source: task.source.clone(),
            external_id: task.external_id.clone(),
            detail: detail.into(),
        }
    }

    /// The refused insert of `task` whose hub id is held by the task of another identity.
    pub fn id_held_by(task: &Task, source: &str, external_id: &str) -> Self {
        RefusedInsert::of(
            task,
            format!(
                "its hub id is held by the task of source `{}`, external id `{}`",
                clip(source),
                clip(external_id)
            ),
        )
    }
}

/// All tasks of a scope at one scope version.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeSnapshot {
    /// The scope's version: 0 for a scope never written, +1 on every applied change set.
    pub version: u64,
    /// The scope's tasks, in any order.
    pub tasks: Vec<Task>,
}

/// Where an identity lives in the hub.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// External id in the queried source.
    pub external_id: String,
    /// Hub id.
    pub id: String,
    /// The scope that owns it.
    pub scope: String,
}

/// "Apply only if this scope is still at this version."
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeGuard {
    /// The scope.
    pub scope: String,
    /// Its version when the writer read it.
    pub expected_version: u64,
}

/// One write to the task table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum TaskWrite {
    /// Insert a new record (its `version` is 1). Conflicts if its id or identity exists.
    Insert {
        /// The new record.
        task: Task,
    },
    /// Replace a record whose version is `expected_version` (the new one has `version + 1`).
    Update {
        /// The new record.
        task: Task,
        /// The version it must have now.
        expected_version: u64,
    },
    /// Delete a record whose version is `expected_version`.
    Delete {
        /// Hub id.
        id: String,
        /// Its scope (so the store can bump the scope version without reading it).
        scope: String,
        /// The version it must have now.
        expected_version: u64,
    },
}

impl TaskWrite {
    /// The scope this write touches.
    pub fn scope(&self) -> &str {
        match self {
            TaskWrite::Insert { task } | TaskWrite::Update { task, .. } => &task.scope,
            TaskWrite::Delete { scope, .. } => scope,
        }
    }
}

/// Everything one operation writes, applied atomically.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeSet {
    /// Scope versions that must still hold.
    pub guards: Vec<ScopeGuard>,
    /// Task writes, in order.
    pub tasks: Vec<TaskWrite>,
    /// Job writes, in order, applied with the task writes (the outbox: a status change and
    /// its sync jobs land together). Each is checked like a task write (an insert's id must be
    /// free, an update's `expected_version` must hold), and after the set a (task, target) has
    /// at most one `pending` job; any failed check fails the whole set with
    /// [`StoreError::Conflict`]. Job writes touch no scope. Stores without a job queue refuse
    /// a set with jobs.
    #[serde(default)]
    pub jobs: Vec<JobWrite>,
}

impl ChangeSet {
    /// For a store that keeps no sync jobs (a host store without the job store methods):
    /// refuses a set that carries jobs, so an outbox is never dropped silently. `hint` says
    /// what to use instead.
    pub fn refuse_jobs(&self, hint: &str) -> Result<(), StoreError> {
        if self.jobs.is_empty() {
            return Ok(());
        }
        Err(StoreError::Backend(format!(
            "this store keeps no jobs, so it refuses a change set carrying {} job(s); nothing \
             was written; {hint}",
            self.jobs.len()
        )))
    }

    /// The distinct scopes this set touches (guards and writes), in first-seen order.
    pub fn touched_scopes(&self) -> Vec<String> {
        let mut scopes: Vec<String> = Vec::new();
        let all = self.guards.iter().map(|g| g.scope.as_str());
        for scope in all.chain(self.tasks.iter().map(TaskWrite::scope)) {
            if !scopes.iter().any(|s| s == scope) {
                scopes.push(scope.to_owned());
            }
        }
        scopes
    }
}

/// What an applied change set produced.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applied {
    /// Each touched scope with its new version.
    pub scope_versions: Vec<(String, u64)>,
}

/// Where the hub keeps its tasks. See the module doc for the contract.
#[async_trait]
pub trait TaskStore: Send + Sync {
    /// All tasks of a scope and the scope's version, read consistently.
    async fn snapshot(&self, scope: String) -> Result<ScopeSnapshot, StoreError>;

    /// The scope's version alone (0 if never written): a cheap staleness check.
    async fn scope_version(&self, scope: String) -> Result<u64, StoreError>;

    /// One task by hub id.
    async fn get(&self, id: String) -> Result<Option<Task>, StoreError>;

    /// Which of these external ids of `source` exist, in any scope.
    async fn find_identities(
        &self,
        source: String,
        external_ids: Vec<String>,
    ) -> Result<Vec<Identity>, StoreError>;

    /// Applies a change set atomically, or fails and writes nothing.
    async fn apply(&self, changes: ChangeSet) -> Result<Applied, StoreError>;
}
