//! The SQLite store runs the job store conformance suite, in memory and on a file.
use std::sync::Arc;

use sync_sqlite::SqliteStore;

sync_core::job_store_conformance!(Arc::new(
    SqliteStore::open_in_memory().expect("open an in-memory store")
));

mod file_backed {
    use std::sync::Arc;

    use sync_sqlite::SqliteStore;

    /// A store on a fresh file; the temp dir is leaked so it outlives the test's store.
    fn file_store() -> Arc<SqliteStore> {
        let dir: &'static tempfile::TempDir =
            Box::leak(Box::new(tempfile::tempdir().expect("create a temp dir")));
        Arc::new(SqliteStore::open(dir.path().join("jobs.db")).expect("open a file store"))
    }

    sync_core::job_store_conformance!(file_store());
}
