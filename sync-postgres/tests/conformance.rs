//! The PostgreSQL store runs every store conformance suite of the core (tasks, jobs, sessions,
//! gates, history), each case on a fresh database of its own that is dropped afterwards.
use std::sync::Arc;

use sync_postgres::PostgresStore;
use sync_postgres::testing::TestDatabase;

/// A store on a fresh database, dropped with the store's last handle.
fn fresh() -> PostgresStore {
    TestDatabase::create().store()
}

mod tasks {
    use super::*;

    sync_core::task_store_conformance!(Arc::new(fresh()));
}

mod jobs {
    use super::*;

    sync_core::job_store_conformance!(Arc::new(fresh()));
}

mod sessions {
    use super::*;

    sync_core::session_store_conformance!(Arc::new(fresh()));
}

mod gates {
    use super::*;

    sync_core::gate_store_conformance!(Arc::new(fresh()));
}

mod history {
    use super::*;

    sync_core::history_store_conformance!(Arc::new(fresh().history()));
}
