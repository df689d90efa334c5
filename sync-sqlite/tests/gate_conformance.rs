//! The SQLite store passes the gate store suite, and two stores on one file share their gates
//! (as two processes on one machine do).
use std::sync::Arc;

use sync_sqlite::SqliteStore;

sync_core::gate_store_conformance!(Arc::new(
    SqliteStore::open_in_memory().expect("open an in-memory store")
));

#[test]
fn two_stores_on_one_file_share_their_gates() {
    use sync_core::store::GateStore;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gates.db");
    let a = SqliteStore::open(&path).unwrap();
    let b = SqliteStore::open(&path).unwrap();
    futures::executor::block_on(async {
        a.put_gate("todo".into(), "{\"x\":1}".into(), 0)
            .await
            .unwrap();
        let seen = b
            .gate("todo".into())
            .await
            .unwrap()
            .expect("B sees A's gate");
        assert_eq!((seen.version, seen.body.as_str()), (1, "{\"x\":1}"));
        b.put_gate("todo".into(), "{\"x\":2}".into(), 1)
            .await
            .unwrap();
        let stale = a.put_gate("todo".into(), "{\"x\":3}".into(), 1).await;
        assert!(
            matches!(stale, Err(sync_core::StoreError::Conflict(_))),
            "{stale:?}"
        );
    });
}
