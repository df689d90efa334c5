//! The memory store and the process-local gates pass the gate store suite.
use std::sync::Arc;

sync_core::gate_store_conformance!(Arc::new(sync_core::MemoryStore::new()));

mod local {
    use std::sync::Arc;

    sync_core::gate_store_conformance!(Arc::new(sync_core::store::LocalGates::new()));
}
