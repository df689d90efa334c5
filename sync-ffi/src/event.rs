//! Events: the [`EventSink`] foreign trait a host implements to receive every state change the
//! core emits (syncs, session changes, status changes, job changes, runs), for its own fan-out
//! (a UI, a WebSocket, a log).
//!
//! Events cross as JSON text, the core's serde form (`{"type": "session_changed", ...}`), the
//! same shape the HTTP server's SSE stream and the other bindings carry, so a host parses one
//! documented format instead of a record per event kind. Invariants: an event is delivered after
//! the change it reports was applied; the sink cannot fail the operation (whatever it raises
//! is dropped).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use crate::error::TasksyncError;

/// Receives events as JSON text. Called on the binding's runtime threads: return quickly
/// (queue the event and return). An exception it raises is dropped: it never fails the
/// operation that emitted.
#[uniffi::export(with_foreign)]
pub trait EventSink: Send + Sync {
    /// One event, as JSON (`type` names its kind: `sync_executed`, `session_changed`,
    /// `status_changed`, `job_changed`, `run_started`, `run_item`, `run_finished`).
    // Fallible on purpose: for an infallible callback uniffi panics when the host raises,
    // which would fail the emitting operation; a declared error lets us drop it instead.
    fn emit(&self, event_json: String) -> Result<(), TasksyncError>;
}

/// The core's `EventSink` over a host's.
struct Foreign(Arc<dyn EventSink>);

impl sync_core::EventSink for Foreign {
    fn emit(&self, event: sync_core::Event) {
        // The sink contract: a failing sink loses its notification, never the change; that
        // includes a panic while the event is serialised or the host's answer lifted (caught
        // here, as the change is already applied when the core emits).
        let _ = catch_unwind(AssertUnwindSafe(|| {
            // Serialising the core's event (plain data, string keys) cannot fail; if it ever
            // did, the notification is dropped.
            if let Ok(text) = serde_json::to_string(&event) {
                let _ = self.0.emit(text);
            }
        }));
    }
}

/// The host's sink, or one that drops every event.
pub(crate) fn core_sink(events: Option<Arc<dyn EventSink>>) -> Arc<dyn sync_core::EventSink> {
    match events {
        Some(events) => Arc::new(Foreign(events)),
        None => Arc::new(sync_core::NullSink),
    }
}
