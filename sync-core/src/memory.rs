//! An in-memory [`TaskStore`] and [`JobStore`] for tests and ephemeral hosts.
//!
//! Invariants: the same as every store (see [`crate::store`] and [`crate::retry::JobStore`]);
//! atomicity comes from validating a whole change set against an overlay before committing any
//! of it, under one lock that also guards the job table.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;

use crate::model::{Millis, Task};
use crate::retry::table::JobTable;
use crate::retry::{Job, JobQuery, JobStore};
use crate::store::{
    Applied, ChangeSet, GateRecord, GateStore, Identity, JobState, LocalGates, RefusedInsert,
    ScopeSnapshot, StoreError, TaskStore, TaskWrite, WakeHint,
};

/// (source, external_id, version) of a record during validation.
type Row<'a> = (&'a str, &'a str, u64);

#[derive(Debug, Default)]
struct Inner {
    tasks: HashMap<String, Task>,
    identities: HashMap<(String, String), String>,
    scopes: HashMap<String, Scope>,
    jobs: JobTable,
}

#[derive(Debug, Default)]
struct Scope {
    version: u64,
    ids: HashSet<String>,
}

/// A store that keeps everything in process memory.
#[derive(Debug, Default)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
    gates: LocalGates,
    wake: Arc<WakeHint>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave a half-applied set (we commit only after
        // validation), so the data behind a poisoned lock is still consistent.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Inner {
    /// Checks every write against the current state plus the earlier writes of the same set.
    fn validate(&self, changes: &ChangeSet) -> Result<(), StoreError> {
        for guard in &changes.guards {
            let actual = self.scopes.get(&guard.scope).map_or(0, |s| s.version);
            if actual != guard.expected_version {
                return Err(StoreError::Conflict(format!(
                    "scope `{}` is at version {actual}, expected {}",
                    guard.scope, guard.expected_version
                )));
            }
        }
        self.jobs.validate(&changes.jobs)?;
        // id -> Some((source, external_id, version)) if present after the writes so far,
        // None if deleted by one of them.
        let mut overlay: HashMap<&str, Option<Row<'_>>> = HashMap::new();
        let mut taken: HashMap<(&str, &str), bool> = HashMap::new();
        for write in &changes.tasks {
            match write {
                TaskWrite::Insert { task } => {
                    let key = (task.source.as_str(), task.external_id.as_str());
                    let identity_taken = taken.get(&key).copied().unwrap_or_else(|| {
                        self.identities
                            .contains_key(&(key.0.to_owned(), key.1.to_owned()))
                    });
                    if let Some((source, external_id, _)) = self.current(&overlay, &task.id) {
                        return Err(StoreError::Duplicate(RefusedInsert::id_held_by(
                            task,
                            source,
                            external_id,
                        )));
                    }
                    if identity_taken {
                        return Err(StoreError::Duplicate(RefusedInsert::of(
                            task,
                            "a task with this source and external id exists",
                        )));
                    }
                    overlay.insert(&task.id, Some((key.0, key.1, task.version)));
                    taken.insert(key, true);
                }
                TaskWrite::Update {
                    task,
                    expected_version,
                } => {
                    match self.current(&overlay, &task.id) {
                        Some((_, _, v)) if v == *expected_version => {}
                        found => return Err(version_conflict(&task.id, *expected_version, found)),
                    }
                    overlay.insert(
                        &task.id,
                        Some((&task.source, &task.external_id, task.version)),
                    );
                }
                TaskWrite::Delete {
                    id,
                    expected_version,
                    ..
                } => {
                    match self.current(&overlay, id) {
                        Some((source, external_id, v)) if v == *expected_version => {
                            taken.insert((source, external_id), false);
                        }
                        found => return Err(version_conflict(id, *expected_version, found)),
                    }
                    overlay.insert(id, None);
                }
            }
        }
        Ok(())
    }

    fn current<'a>(
        &'a self,
        overlay: &HashMap<&'a str, Option<Row<'a>>>,
        id: &str,
    ) -> Option<Row<'a>> {
        match overlay.get(id) {
            Some(state) => *state,
            None => self
                .tasks
                .get(id)
                .map(|t| (t.source.as_str(), t.external_id.as_str(), t.version)),
        }
    }

    fn remove(&mut self, id: &str) {
        if let Some(old) = self.tasks.remove(id) {
            self.identities.remove(&(old.source, old.external_id));
            if let Some(scope) = self.scopes.get_mut(&old.scope) {
                scope.ids.remove(id);
            }
        }
    }

    fn put(&mut self, task: Task) {
        self.remove(&task.id);
        self.identities.insert(
            (task.source.clone(), task.external_id.clone()),
            task.id.clone(),
        );
        self.scopes
            .entry(task.scope.clone())
            .or_default()
            .ids
            .insert(task.id.clone());
        self.tasks.insert(task.id.clone(), task);
    }
}

fn version_conflict(id: &str, expected: u64, found: Option<Row<'_>>) -> StoreError {
    StoreError::Conflict(match found {
        Some((_, _, v)) => format!("task `{id}` is at version {v}, expected {expected}"),
        None => format!("task `{id}` does not exist (expected version {expected})"),
    })
}

#[async_trait]
impl TaskStore for MemoryStore {
    async fn snapshot(&self, scope: String) -> Result<ScopeSnapshot, StoreError> {
        let inner = self.lock();
        Ok(match inner.scopes.get(&scope) {
            None => ScopeSnapshot::default(),
            Some(s) => ScopeSnapshot {
                version: s.version,
                tasks: s
                    .ids
                    .iter()
                    .filter_map(|id| inner.tasks.get(id).cloned())
                    .collect(),
            },
        })
    }

    async fn scope_version(&self, scope: String) -> Result<u64, StoreError> {
        Ok(self.lock().scopes.get(&scope).map_or(0, |s| s.version))
    }

    async fn get(&self, id: String) -> Result<Option<Task>, StoreError> {
        Ok(self.lock().tasks.get(&id).cloned())
    }

    async fn find_identities(
        &self,
        source: String,
        external_ids: Vec<String>,
    ) -> Result<Vec<Identity>, StoreError> {
        let inner = self.lock();
        let mut found = Vec::new();
        for external_id in external_ids {
            let key = (source.clone(), external_id);
            if let Some(task) = inner
                .identities
                .get(&key)
                .and_then(|id| inner.tasks.get(id))
            {
                found.push(Identity {
                    external_id: key.1,
                    id: task.id.clone(),
                    scope: task.scope.clone(),
                });
            }
        }
        Ok(found)
    }

    async fn apply(&self, changes: ChangeSet) -> Result<Applied, StoreError> {
        let mut inner = self.lock();
        inner.validate(&changes)?;
        let scopes = changes.touched_scopes();
        for write in changes.tasks {
            match write {
                TaskWrite::Insert { task } | TaskWrite::Update { task, .. } => inner.put(task),
                TaskWrite::Delete { id, .. } => inner.remove(&id),
            }
        }
        let wake = changes
            .jobs
            .iter()
            .any(|w| w.job().state == JobState::Pending);
        for write in changes.jobs {
            inner.jobs.write(write);
        }
        let mut applied = Applied::default();
        for scope in scopes {
            let state = inner.scopes.entry(scope.clone()).or_default();
            state.version += 1;
            applied.scope_versions.push((scope, state.version));
        }
        drop(inner);
        if wake {
            self.wake.raise();
        }
        Ok(applied)
    }
}

#[async_trait]
impl JobStore for MemoryStore {
    async fn claim(
        &self,
        owner: String,
        now: Millis,
        lease_ms: u64,
        limit: usize,
    ) -> Result<Vec<Job>, StoreError> {
        Ok(self.lock().jobs.claim(&owner, now, lease_ms, limit))
    }

    async fn job(&self, id: String) -> Result<Option<Job>, StoreError> {
        Ok(self.lock().jobs.get(&id))
    }

    async fn jobs(&self, query: JobQuery) -> Result<Vec<Job>, StoreError> {
        Ok(self.lock().jobs.list(&query))
    }

    async fn next_due(&self) -> Result<Option<Millis>, StoreError> {
        Ok(self.lock().jobs.next_due())
    }

    fn wake_hint(&self) -> Option<Arc<WakeHint>> {
        Some(self.wake.clone())
    }
}

#[async_trait]
impl GateStore for MemoryStore {
    async fn gate(&self, target: String) -> Result<Option<GateRecord>, StoreError> {
        self.gates.gate(target).await
    }

    async fn put_gate(
        &self,
        target: String,
        body: String,
        expected_version: u64,
    ) -> Result<(), StoreError> {
        self.gates.put_gate(target, body, expected_version).await
    }
}
