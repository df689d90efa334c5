//! An in-memory [`SessionStore`]: one map under one lock.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;

use crate::store::StoreError;

use super::model::Session;
use super::store::SessionStore;

/// Sessions in process memory.
#[derive(Debug, Default)]
pub struct MemorySessionStore {
    sessions: Mutex<HashMap<String, Session>>,
}

impl MemorySessionStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Session>> {
        // Every write is a single map operation, so a poisoned lock still guards whole records.
        self.sessions.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn moved(id: &str, found: Option<u64>, expected: u64) -> StoreError {
    match found {
        Some(v) => StoreError::Conflict(format!(
            "session `{id}` is at version {v}, expected {expected}"
        )),
        None => StoreError::Conflict(format!(
            "session `{id}` does not exist (expected version {expected})"
        )),
    }
}

#[async_trait]
impl SessionStore for MemorySessionStore {
    async fn get(&self, id: String) -> Result<Option<Session>, StoreError> {
        Ok(self.lock().get(&id).cloned())
    }

    async fn insert(&self, session: Session) -> Result<(), StoreError> {
        match self.lock().entry(session.id.clone()) {
            Entry::Occupied(_) => Err(StoreError::Conflict(format!(
                "session `{}` already exists",
                session.id
            ))),
            Entry::Vacant(slot) => {
                slot.insert(session);
                Ok(())
            }
        }
    }

    async fn update(&self, session: Session, expected_version: u64) -> Result<(), StoreError> {
        let mut sessions = self.lock();
        match sessions.get_mut(&session.id) {
            Some(stored) if stored.version == expected_version => {
                *stored = session;
                Ok(())
            }
            other => Err(moved(
                &session.id,
                other.map(|s| s.version),
                expected_version,
            )),
        }
    }

    async fn delete(&self, id: String, expected_version: u64) -> Result<(), StoreError> {
        let mut sessions = self.lock();
        match sessions.get(&id).map(|s| s.version) {
            Some(v) if v == expected_version => {
                sessions.remove(&id);
                Ok(())
            }
            found => Err(moved(&id, found, expected_version)),
        }
    }
}
