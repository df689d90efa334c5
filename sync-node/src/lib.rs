//! tasksync binding for Node (napi-rs v3).
//!
//! Thin by design: every module converts arguments (JSON text from the JS wrapper in `js/`),
//! calls the core and maps its errors; no sync logic lives here. Modules mirror `sync-core`
//! module for module (`engine.rs` binds `sync_core::engine`, `session.rs` binds
//! `sync_core::session`, `retry/worker.rs` binds `sync_core::retry::worker`, `pull.rs` binds
//! `sync_core::pull`, ...), and two name the built-in crates: `providers.rs` binds
//! `sync_providers::config`, `fs.rs` binds `sync_fs`; the one
//! support file, `host_call.rs`, is how every module reaches a JS host object.
//!
//! Invariants:
//! - Nothing blocks the JS thread: every store, engine and host call runs as a future on the
//!   napi tokio runtime and resolves a Promise, except session operations on the in-memory
//!   store, which cannot block and run inline (see [`session::run`]).
//! - No panic crosses the boundary: every entry point runs under [`error::guard`] (async) or
//!   [`error::guard_sync`], which turn a panic into an error with code `panic`.
//! - Every core error reaches JS with its stable `ErrorKind::code` (see [`error`]).
#![deny(missing_docs)]

// mimalloc for the core's allocations: a sync builds and drops hundreds of thousands of small
// strings and maps, and glibc's malloc spent a third of a 100,000-task preview + execute in
// malloc/free and fresh-page faults (BENCHMARKS.md). Host allocations are not affected.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub mod clock;
pub mod conformance;
pub mod diff;
pub mod engine;
pub mod error;
pub mod event;
pub mod fs;
pub mod history;
pub mod host_call;
pub mod input;
pub mod log;
pub mod manifest;
pub mod model;
pub mod provider;
pub mod providers;
pub mod pull;
pub mod retry;
pub mod session;
pub mod store;
pub mod transition;

/// The stable code a binding gives an error of this kind (`stale_plan`, ...).
pub fn error_code(kind: sync_core::ErrorKind) -> &'static str {
    kind.code()
}
