//! The in-memory history store runs the history store conformance suite.
use std::sync::Arc;

use sync_core::MemoryHistoryStore;

sync_core::history_store_conformance!(Arc::new(MemoryHistoryStore::new()));

/// `run_all`, the entry binding hosts call with their own store, passes on the memory store.
#[test]
fn run_all_passes_on_the_memory_store() {
    let failures = futures::executor::block_on(sync_core::history::conformance::run_all(|| {
        Arc::new(MemoryHistoryStore::new())
    }));
    assert!(failures.is_empty(), "{failures:?}");
    assert_eq!(sync_core::history::conformance::CASES.len(), 7);
}
