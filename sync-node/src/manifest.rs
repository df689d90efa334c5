//! The core's operation manifest (binds `sync_core::manifest`): every public operation a
//! binding must offer, as JSON, so the Node suite can check each one maps to a symbol here.
//!
//! Invariant: the list is the core's own; the binding only hands it over.

use napi_derive::napi;

/// `[{module, name}]`: the core's public operations (see `sync_core::manifest`).
#[napi]
pub fn manifest() -> String {
    sync_core::manifest::to_json()
}
