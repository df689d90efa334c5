//! Sync history and the audit log: best effort, queryable, cancellable runs.
//!
//! This module owns the history records ([`Run`] with its status, times, counters and context;
//! [`Item`] per processed task; [`AuditEntry`]), the [`HistoryStore`] trait with its queries
//! (cursor pagination, filters by status, kind, scope and time, audit by entity) and the
//! in-memory [`MemoryHistoryStore`], the best-effort [`HistoryRecorder`] with its
//! [`HistoryPump`], the [`CancelToken`] and the [`RunOptions`] a caller passes to
//! `SyncEngine::preview_with` / `execute_with`. The engine's run recording lives in
//! `tracker.rs`.
//!
//! Invariants:
//! - History never fails, blocks or slows a sync: the engine hands records to the recorder,
//!   which queues them (bounded; dropped with a warning when full) and returns; only the pump,
//!   run by the host, awaits the store, and its failures are logged, never propagated.
//!   There is no async runtime here: the host spawns the pump on its own.
//! - A run goes `pending` → `in_progress` → `completed` | `failed` | `cancelled`; its start,
//!   end and duration come from the engine's [`Clock`](crate::Clock). Each record of a run is
//!   its whole state, so the store keeps the newest and a lost record loses nothing else.
//! - An execute records one item per planned write and per skipped task; its writes are one
//!   atomic change set, so either every write item is `created`/`updated`/`deleted` or every
//!   one is `failed` with the apply's error. A cancelled run wrote nothing and has no items.
//! - Nothing secret is recorded: errors are [`Error`](crate::Error) messages (which never hold
//!   secrets), clipped; the actor is a user name, an IP and a user agent.
//!
//! Audit entries from elsewhere (status changes, manual retry or discard of a dead job) go
//! through [`HistoryRecorder::audit`] with [`AuditEntry::status_changed`],
//! [`AuditEntry::job_retried`] or [`AuditEntry::job_discarded`].

mod cancel;
mod memory;
mod model;
mod query;
mod recorder;
mod store;
pub(crate) mod tracker;

#[cfg(feature = "conformance")]
pub mod conformance;

pub use crate::state::{Counters, ItemOutcome, RunKind, RunStatus};
pub use cancel::CancelToken;
pub use memory::MemoryHistoryStore;
pub use model::{Actor, AuditAction, AuditEntry, Item, Run, RunContext, RunItems};
pub use query::{AuditQuery, Cursor, DEFAULT_LIMIT, ItemQuery, MAX_LIMIT, Page, RunQuery};
pub use recorder::{HistoryPump, HistoryRecorder, ITEM_CHUNK, RecorderConfig, RecorderStats};
pub use store::{HistoryBatch, HistoryStore};
pub use tracker::RunOptions;
