//! Events: every state change the engine makes, for WebSocket/SSE fan-out.
//!
//! Invariant: an event is emitted only after the change it reports was durably applied, and
//! sinks must not block (queue and return); a sink cannot fail the operation that emitted.

use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::model::Millis;
use crate::session::SessionState;

/// A state change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Event {
    /// A sync plan was applied.
    SyncExecuted {
        /// The scope.
        scope: String,
        /// The source.
        source: String,
        /// Tasks created.
        created: usize,
        /// Tasks updated.
        updated: usize,
        /// Tasks deleted.
        deleted: usize,
        /// The scope's version after the sync.
        scope_version: u64,
        /// When.
        at: Millis,
    },
    /// A session was created, changed or deleted (`operation`: `create`, `start`, `switch`,
    /// `pause`, `resume`, `complete` or `delete`).
    SessionChanged {
        /// The session's view right after the change (for `delete`, its last view).
        session: SessionState,
        /// The operation.
        operation: String,
        /// When.
        at: Millis,
    },
}

/// Receives events. Implementations must return quickly.
pub trait EventSink: Send + Sync {
    /// Takes one event.
    fn emit(&self, event: Event);
}

/// Drops every event.
#[derive(Clone, Copy, Debug, Default)]
pub struct NullSink;

impl EventSink for NullSink {
    fn emit(&self, _event: Event) {}
}

/// Keeps every event in memory (tests, examples).
#[derive(Debug, Default)]
pub struct CollectingSink(Mutex<Vec<Event>>);

impl CollectingSink {
    /// Takes the events collected so far.
    pub fn take(&self) -> Vec<Event> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

impl EventSink for CollectingSink {
    fn emit(&self, event: Event) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).push(event);
    }
}
