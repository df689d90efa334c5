//! The storage traits a host implements, and the change set every write travels in.
//!
//! Contract for every [`TaskStore`] (checked by the conformance suite):
//! - [`TaskStore::apply`] is atomic: either every write of the [`ChangeSet`] lands or none does.
//! - Before writing it checks every [`ScopeGuard`] (the scope's version equals the expected one)
//!   and every update and delete (the record's version equals `expected_version`); an insert
//!   whose id or `(source, external_id)` exists is a conflict too. Any failed check fails the
//!   whole set with [`StoreError::Conflict`] and writes nothing.
//! - Writes are applied in order (an overwrite deletes a record and inserts it again in one set).
//! - Every applied set bumps the version of each scope it touches by exactly one.
//! - [`TaskStore::snapshot`] is a consistent read: its tasks are exactly those of the scope at
//!   the returned version.
//!
//! Arguments are owned and serializable so that a Python or JavaScript object can implement the
//! trait through a binding.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::model::Task;

/// A store's failure, by what the engine can do about it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum StoreError {
    /// A version check or unique key failed; nothing was written.
    #[error("{0}")]
    Conflict(String),
    /// The backend failed (I/O, connection, corrupt data); nothing was written.
    #[error("{0}")]
    Backend(String),
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
    /// Sync jobs to enqueue with these writes (the outbox); each supersedes the pending job of
    /// its (task, target). Stores without a job queue refuse a set with jobs.
    #[serde(default)]
    pub jobs: Vec<crate::retry::Job>,
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
