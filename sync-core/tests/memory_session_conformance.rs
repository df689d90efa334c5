//! The in-memory session store runs the session store conformance suite.
use std::sync::Arc;

sync_core::session_store_conformance!(Arc::new(sync_core::MemorySessionStore::new()));
