//! Sessions: a timed walk through an ordered list of cycles.
//!
//! This module owns the [`Session`] record and its time accounting, the pure operations on it
//! ([`create`], [`start`], [`switch`], [`pause`], [`resume`], [`complete`], [`delete`] and the
//! read-only [`state`]), the [`SessionStore`] trait with its in-memory implementation, and the
//! [`SessionEngine`] that ties a store, a [`Clock`](crate::Clock) and an
//! [`EventSink`](crate::EventSink) together.
//!
//! Invariants:
//! - Times are integer milliseconds taken from the clock passed in; nothing here reads the
//!   wall clock. A clock that goes backwards is clamped at the last instant the session
//!   recorded (and logged), so no duration is ever negative.
//! - At every instant `t` (clamped), the sum of the per-cycle times equals the running time,
//!   which equals `t - started_at - paused` exactly (for a completed session `t` is
//!   `completed_at`). Pause time is excluded from cycle and running time.
//! - Each operation validates its precondition and fails with
//!   [`Error::InvalidState`](crate::Error::InvalidState) without changing anything; a completed
//!   session accepts only reads and delete.
//! - Every change bumps `version` by exactly one; stores write it with a compare-and-swap, and
//!   the engine re-reads and retries on a conflict, so concurrent operations on one session are
//!   serialized and no switch is lost.
//! - The engine emits one [`Event::SessionChanged`](crate::Event::SessionChanged) per applied
//!   change, after the store accepted it.
//! - A session read from any store (a host's above all) is checked for consistency once, by
//!   the engine ([`check`]), before an operation uses it: a corrupt one is
//!   [`Error::Store`](crate::Error::Store), never a panic. Ids, cycle counts and cycle names
//!   are held to the [`limits`](crate::limits).
//!
//! # Cross-instance fan-out (the bus seam)
//!
//! There is no separate bus trait: the [`EventSink`](crate::EventSink) given to
//! [`SessionEngine::new`] *is* the bus. A host that runs several instances implements
//! `EventSink` by publishing each serialized [`Event`](crate::Event) to its broker (for example a
//! Redis pub/sub channel; `emit` must queue and return, never block) and has every instance
//! subscribe and forward what it receives to its local WebSocket clients. The core stays free of
//! I/O and of any broker crate.

mod engine;
mod memory;
mod model;
mod ops;
mod store;

#[cfg(feature = "conformance")]
pub mod conformance;

pub use crate::state::{CycleTime, SessionState, SessionStatus};
pub use engine::{MAX_ATTEMPTS, SessionEngine};
pub use memory::MemorySessionStore;
pub use model::{Cycle, ServerTime, Session, server_time};
pub use ops::{
    check, complete, create, create_within, delete, pause, resume, start, state, switch,
};
pub use store::SessionStore;
