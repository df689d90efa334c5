//! The core's operation manifest (mirrors `sync_core::manifest`): [`manifest`] hands the list
//! of the core's public operations to the host languages, whose test suites map every entry to
//! the binding's symbol, so an operation this binding lacks is a failing test.

/// The core's public operations as JSON text, `[{"module": "retry", "name": "classify"}, ...]`.
#[uniffi::export]
pub fn manifest() -> String {
    sync_core::manifest::to_json()
}
