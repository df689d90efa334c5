//! The SQLite store runs the session store conformance suite, in memory and on a file.
use std::sync::Arc;

use sync_sqlite::SqliteStore;

sync_core::session_store_conformance!(Arc::new(
    SqliteStore::open_in_memory().expect("open an in-memory store")
));

mod file_backed {
    use std::sync::Arc;

    use sync_sqlite::SqliteStore;

    /// A store on a fresh file; the temp dir is leaked so it outlives the test's store.
    fn file_store() -> Arc<SqliteStore> {
        let dir: &'static tempfile::TempDir =
            Box::leak(Box::new(tempfile::tempdir().expect("create a temp dir")));
        Arc::new(SqliteStore::open(dir.path().join("sessions.db")).expect("open a file store"))
    }

    sync_core::session_store_conformance!(file_store());

    /// A database written by the first build (schema version 1: tasks and scopes only) gains
    /// every later table on open.
    #[test]
    fn version_1_database_is_migrated() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("old.db");
        drop(SqliteStore::open(&path).expect("open"));
        {
            let conn = rusqlite::Connection::open(&path).expect("raw open");
            // Version 1 had only the tasks and scopes tables: drop every later one.
            let later: Vec<String> = conn
                .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT IN ('tasks', 'scopes')")
                .and_then(|mut stmt| stmt.query_map([], |row| row.get(0))?.collect())
                .expect("list tables");
            for table in later {
                conn.execute_batch(&format!("DROP TABLE {table};"))
                    .expect("drop a later table");
            }
            conn.execute_batch("PRAGMA user_version = 1;")
                .expect("downgrade to version 1");
        }
        let store: Arc<dyn sync_core::SessionStore> =
            Arc::new(SqliteStore::open(&path).expect("reopen"));
        let got = futures::executor::block_on(store.get("x".into())).expect("sessions table");
        assert!(got.is_none());
        let conn = rusqlite::Connection::open(&path).expect("raw open");
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .expect("user_version");
        let fresh = dir.path().join("fresh.db");
        drop(SqliteStore::open(&fresh).expect("open a fresh file"));
        let current: i64 = rusqlite::Connection::open(&fresh)
            .expect("raw open")
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .expect("user_version");
        assert!(
            version > 1 && version == current,
            "migrated to {version}, current {current}"
        );
    }
}
