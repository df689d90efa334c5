//! The in-memory store runs the store conformance suite.
use std::sync::Arc;

sync_core::task_store_conformance!(Arc::new(sync_core::MemoryStore::new()));
