//! tasksync binding for Node (napi-rs).
//!
//! This crate is a placeholder in the workspace layout: the binding itself is built by its own
//! issue. Bindings stay thin (conversion and error mapping only) and mirror `sync-core`'s
//! modules file for file. Until then it pins the one mapping every binding shares: the stable
//! error code of each core error kind.
#![deny(missing_docs)]

/// The stable code a binding gives an error of this kind (`stale_plan`, ...).
pub fn error_code(kind: sync_core::ErrorKind) -> &'static str {
    kind.code()
}
