//! The session engine: a store, a clock and an event sink around the pure operations.

use std::sync::Arc;

use tracing::debug;

use crate::clock::Clock;
use crate::error::{Error, Result, clip};
use crate::event::{Event, EventSink};
use crate::limits::{self, Limits, MAX_ID_BYTES};
use crate::model::Millis;
use crate::store::StoreError;

use super::model::{Cycle, Session};
use super::ops;
use super::store::SessionStore;
use crate::state::SessionState;

/// How many times an operation re-reads and retries after losing a version race before it
/// gives up with [`Error::Conflict`]. Every lost race is another writer's success, so the
/// system always progresses; the bound only stops a store that reports conflicts forever. It
/// is high because one descheduled caller can lose dozens of races in a row on a busy machine.
pub const MAX_ATTEMPTS: usize = 10_000;

/// Runs session operations against a store: read, check, apply the pure operation, write with
/// a version check, retry on a conflict, emit an event. Cheap to clone, safe to share.
///
/// Every session read from the store passes [`ops::check`] (a corrupt one is
/// [`Error::Store`], never a panic); every id and cycle list a caller sends is held to the
/// [`limits`](crate::limits) before the store is asked; the first clock reading of each
/// operation may fail (a host clock), failing the operation before it writes.
#[derive(Clone)]
pub struct SessionEngine {
    store: Arc<dyn SessionStore>,
    clock: Arc<dyn Clock>,
    events: Arc<dyn EventSink>,
    limits: Limits,
}

impl std::fmt::Debug for SessionEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionEngine").finish_non_exhaustive()
    }
}

fn not_found(id: &str) -> Error {
    Error::NotFound(format!("session `{}`", clip(id)))
}

impl SessionEngine {
    /// An engine on a store, a clock and an event sink (the sink is also the cross-instance bus
    /// seam: see [`crate::session`]).
    pub fn new(
        store: Arc<dyn SessionStore>,
        clock: Arc<dyn Clock>,
        events: Arc<dyn EventSink>,
    ) -> Self {
        SessionEngine {
            store,
            clock,
            events,
            limits: Limits::default(),
        }
    }

    /// Holds created sessions to these limits (the number of cycles) instead of the defaults.
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn SessionStore> {
        &self.store
    }

    fn emit(&self, state: SessionState, operation: &str, at: Millis) {
        self.events.emit(Event::SessionChanged {
            session: state,
            operation: operation.to_owned(),
            at,
        });
    }

    /// The stored session, checked: over-long ids never reach the store, and a session that
    /// is not the one asked for or not consistent is refused.
    async fn load(&self, id: &str) -> Result<Session> {
        limits::check_len("session id", id, MAX_ID_BYTES)?;
        let session = self
            .store
            .get(id.to_owned())
            .await?
            .ok_or_else(|| not_found(id))?;
        if session.id != id {
            return Err(Error::Store(format!(
                "the session store returned session `{}` for `{}`",
                clip(&session.id),
                clip(id)
            )));
        }
        ops::check(&session)?;
        Ok(session)
    }

    /// Read, apply `op`, compare-and-swap, retry on a lost race; emits one event on success.
    async fn mutate<F>(&self, id: &str, operation: &str, op: F) -> Result<Session>
    where
        F: Fn(&Session, Millis) -> Result<Session>,
    {
        for attempt in 1..=MAX_ATTEMPTS {
            let current = self.load(id).await?;
            let now = self.clock.try_now_ms()?;
            let changed = op(&current, now)?;
            match self.store.update(changed.clone(), current.version).await {
                Ok(()) => {
                    let at = changed.last_seen;
                    self.emit(ops::state(&changed, at), operation, at);
                    return Ok(changed);
                }
                Err(StoreError::Conflict(detail)) => {
                    debug!(attempt, %detail, "session version moved; retrying");
                }
                Err(other) => return Err(other.into()),
            }
        }
        Err(Error::Conflict(format!(
            "session `{}`: {operation} lost {MAX_ATTEMPTS} version races in a row",
            clip(id)
        )))
    }

    /// Creates and stores a new session (a conflict if the id exists).
    pub async fn create(&self, id: String, cycles: Vec<Cycle>) -> Result<Session> {
        let now = self.clock.try_now_ms()?;
        let session = ops::create_within(id, cycles, now, &self.limits)?;
        self.store.insert(session.clone()).await?;
        self.emit(ops::state(&session, now), "create", now);
        Ok(session)
    }

    /// Starts a created session.
    pub async fn start(&self, id: &str) -> Result<Session> {
        self.mutate(id, "start", ops::start).await
    }

    /// Switches a running session to `to`, or to the next cycle (wrapping) for `None`.
    pub async fn switch(&self, id: &str, to: Option<&str>) -> Result<Session> {
        self.mutate(id, "switch", |s, now| ops::switch(s, to, now))
            .await
    }

    /// Pauses a running session.
    pub async fn pause(&self, id: &str) -> Result<Session> {
        self.mutate(id, "pause", ops::pause).await
    }

    /// Resumes a paused session.
    pub async fn resume(&self, id: &str) -> Result<Session> {
        self.mutate(id, "resume", ops::resume).await
    }

    /// Completes a running or paused session.
    pub async fn complete(&self, id: &str) -> Result<Session> {
        self.mutate(id, "complete", ops::complete).await
    }

    /// The stored session.
    pub async fn get(&self, id: &str) -> Result<Session> {
        self.load(id).await
    }

    /// The session's live view now; writes nothing.
    pub async fn state(&self, id: &str) -> Result<SessionState> {
        let session = self.load(id).await?;
        Ok(ops::state(&session, self.clock.try_now_ms()?))
    }

    /// Deletes a session (in any state); returns its final view.
    pub async fn delete(&self, id: &str) -> Result<SessionState> {
        for attempt in 1..=MAX_ATTEMPTS {
            let current = self.load(id).await?;
            let now = self.clock.try_now_ms()?;
            let last = ops::delete(&current, now)?;
            match self.store.delete(id.to_owned(), current.version).await {
                Ok(()) => {
                    let at = last.at;
                    self.emit(last.clone(), "delete", at);
                    return Ok(last);
                }
                Err(StoreError::Conflict(detail)) => {
                    debug!(attempt, %detail, "session version moved; retrying delete");
                }
                Err(other) => return Err(other.into()),
            }
        }
        Err(Error::Conflict(format!(
            "session `{}`: delete lost {MAX_ATTEMPTS} version races in a row",
            clip(id)
        )))
    }
}
