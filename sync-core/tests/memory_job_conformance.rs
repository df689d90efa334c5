//! The job store conformance suite on the in-memory store.

sync_core::job_store_conformance!(std::sync::Arc::new(sync_core::MemoryStore::new()));
