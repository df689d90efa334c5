//! Task identity in the SQLite file: the migration to NUL-safe hub ids (a file written by the
//! previous schema version, re-keyed on open, then synced), and a create the file refuses for
//! good reported as an identity conflict.

use std::sync::Arc;

use futures::executor::block_on;
use rusqlite::{Connection, params};
use sync_core::history::{Actor, AuditAction, AuditEntry, AuditQuery, HistoryStore, ItemQuery};
use sync_core::retry::{Job, JobState, JobStore};
use sync_core::{
    ChangeSet, DesiredTask, Error, ErrorKind, Listing, Policy, Status, StoreError, SyncEngine,
    Task, TaskStore, TaskWrite,
};
use sync_sqlite::{SqliteHistoryStore, SqliteStore};

/// The layout of schema version 5, as the previous release created it.
const SCHEMA_5: &str = "
    CREATE TABLE tasks (
        id TEXT PRIMARY KEY NOT NULL, source TEXT NOT NULL, external_id TEXT NOT NULL,
        scope TEXT NOT NULL, kind TEXT NOT NULL, title TEXT NOT NULL, status TEXT NOT NULL,
        parent TEXT NULL, fields TEXT NOT NULL, base TEXT NULL, version INTEGER NOT NULL,
        created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
        UNIQUE (source, external_id)
    );
    CREATE INDEX tasks_scope ON tasks (scope);
    CREATE TABLE scopes (scope TEXT PRIMARY KEY NOT NULL, version INTEGER NOT NULL);
    CREATE TABLE sessions (
        id TEXT PRIMARY KEY NOT NULL, status TEXT NOT NULL, version INTEGER NOT NULL,
        body TEXT NOT NULL
    );
    CREATE TABLE jobs (
        id TEXT PRIMARY KEY NOT NULL, task_id TEXT NOT NULL, target TEXT NOT NULL,
        state TEXT NOT NULL, run_at INTEGER NOT NULL, lease_owner TEXT NULL,
        lease_until INTEGER NULL, created_at INTEGER NOT NULL, body TEXT NOT NULL
    );
    CREATE INDEX jobs_due ON jobs (state, run_at);
    CREATE INDEX jobs_lease ON jobs (state, lease_until);
    CREATE INDEX jobs_pair ON jobs (task_id, target, state);
    CREATE INDEX jobs_order ON jobs (created_at, id);
    CREATE TABLE history_runs (
        id TEXT PRIMARY KEY NOT NULL, kind TEXT NOT NULL, scope TEXT NOT NULL,
        status TEXT NOT NULL, started_at INTEGER NOT NULL, body TEXT NOT NULL
    );
    CREATE INDEX history_runs_started ON history_runs (started_at DESC, id DESC);
    CREATE INDEX history_runs_scope ON history_runs (scope, started_at DESC, id DESC);
    CREATE TABLE history_items (
        run_id TEXT NOT NULL, seq INTEGER NOT NULL, external_id TEXT NOT NULL,
        name TEXT NOT NULL, kind TEXT NOT NULL, outcome TEXT NOT NULL, target_id TEXT NULL,
        target_url TEXT NULL, error TEXT NULL, PRIMARY KEY (run_id, seq)
    ) WITHOUT ROWID;
    CREATE TABLE history_audit (
        id TEXT PRIMARY KEY NOT NULL, at INTEGER NOT NULL, entity_type TEXT NOT NULL,
        entity_id TEXT NOT NULL, body TEXT NOT NULL
    );
    CREATE INDEX history_audit_at ON history_audit (at DESC, id DESC);
    CREATE INDEX history_audit_entity ON history_audit (entity_id, entity_type, at DESC, id DESC);
    PRAGMA user_version = 5;
";

/// The id every build before NUL-safe ids gave an identity: its parts joined by a NUL.
fn old_id(source: &str, external_id: &str) -> String {
    let id = Task::legacy_hub_id(source, external_id);
    assert_eq!(id.len(), 33);
    id
}

/// Writes a task row the way schema 5 stored it (base `=`: the task's own content).
fn old_row(conn: &Connection, id: &str, source: &str, external_id: &str, scope: &str) {
    conn.execute(
        "INSERT INTO tasks VALUES (?1, ?2, ?3, ?4, 'task', ?5, 'draft', NULL, '{}', '=', 1, 10, 10)",
        params![id, source, external_id, scope, external_id.replace('\0', "␀")],
    )
    .unwrap();
}

fn job(id: &str, task_id: &str) -> Job {
    Job {
        id: id.into(),
        task_id: task_id.into(),
        target: "files".into(),
        external_id: "b\0c".into(),
        kind: "task".into(),
        from: Status::Draft,
        to: Status::Pending,
        payload: serde_json::json!({"status": "pending"}),
        undo: serde_json::Value::Null,
        state: JobState::Pending,
        attempts: 0,
        max_attempts: Some(5),
        version: 0,
        lease: 0,
        task_version: 0,
        run_at: 10,
        lease_owner: None,
        lease_until: None,
        last_error: None,
        result: None,
        actor: None,
        created_at: 10,
        updated_at: 10,
    }
}

/// A schema 5 file: `a`/`b\0c` under its old id (with a job, a history item and an audit entry
/// naming it), a task without a NUL, and a NUL identity whose id a host chose.
fn write_schema_5(path: &std::path::Path) -> String {
    let conn = Connection::open(path).unwrap();
    conn.execute_batch(SCHEMA_5).unwrap();
    let old = old_id("a", "b\0c");
    old_row(&conn, &old, "a", "b\0c", "s1");
    old_row(&conn, &old_id("files", "plain"), "files", "plain", "s1");
    old_row(&conn, "chosen-by-host", "x\0y", "z", "s3");
    conn.execute("INSERT INTO scopes VALUES ('s1', 3), ('s3', 1)", [])
        .unwrap();
    let queued = job("job-1", &old);
    conn.execute(
        "INSERT INTO jobs VALUES (?1, ?2, 'files', 'pending', 10, NULL, NULL, 10, ?3)",
        params![queued.id, old, serde_json::to_string(&queued).unwrap()],
    )
    .unwrap();
    conn.execute(
        "INSERT INTO history_items VALUES ('run-1', 0, 'b', 'B', 'task', 'created', ?1, NULL, NULL)",
        [&old],
    )
    .unwrap();
    let entry = AuditEntry {
        id: "audit-1".into(),
        ..AuditEntry::new(
            AuditAction::StatusChanged,
            "task",
            &old,
            Actor::default(),
            10,
        )
    };
    conn.execute(
        "INSERT INTO history_audit VALUES ('audit-1', 10, 'task', ?1, ?2)",
        params![old, serde_json::to_string(&entry).unwrap()],
    )
    .unwrap();
    old
}

#[test]
fn a_schema_5_file_is_rekeyed_on_open_and_syncs_both_formerly_shared_identities() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hub.db");
    let old = write_schema_5(&path);
    let new = Task::hub_id("a", "b\0c");
    assert_ne!(old, new);
    // The identity that shared the old id with `a`/`b\0c`.
    assert_eq!(old, old_id("a\0b", "c"));

    let store = Arc::new(SqliteStore::open(&path).unwrap());
    let version: i64 = Connection::open(&path)
        .unwrap()
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .unwrap();
    assert_eq!(version, 8, "every step up to the provider gates ran");

    // The NUL identity moved to its NUL-safe id, with everything naming it.
    assert!(block_on(store.get(old.clone())).unwrap().is_none());
    let moved = block_on(store.get(new.clone()))
        .unwrap()
        .expect("re-keyed task");
    assert_eq!(
        (moved.source.as_str(), moved.external_id.as_str()),
        ("a", "b\0c")
    );
    let queued = block_on(store.job("job-1".into()))
        .unwrap()
        .expect("job kept");
    assert_eq!(queued.task_id, new);
    assert_eq!(queued.id, "job-1", "the idempotency key must not change");
    assert_eq!(
        block_on(sync_core::retry::sync_status(&*store, &new))
            .unwrap()
            .len(),
        1,
        "the job no longer finds its task"
    );
    // A job written before rows had versions is claimed and finished like any other.
    let claimed = block_on(store.claim("w".into(), 20, 1_000, 10)).unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!((claimed[0].version, claimed[0].lease), (1, 1));
    let result = sync_core::retry::Finish::Succeeded {
        id: "job-1".into(),
        remote: serde_json::json!({}),
    };
    let after = block_on(sync_core::retry::finish(
        &*store,
        "w",
        30,
        vec![(claimed[0].clone(), result)],
    ))
    .unwrap();
    assert_eq!(
        after[0].as_ref().map(|j| j.state),
        Some(JobState::Succeeded)
    );
    let history = SqliteHistoryStore::open(&path).unwrap();
    let items = block_on(history.items(ItemQuery::first("run-1", 10))).unwrap();
    assert_eq!(items.items[0].target_id.as_deref(), Some(new.as_str()));
    let query = AuditQuery {
        entity_id: Some(new.clone()),
        ..AuditQuery::default()
    };
    let audit = block_on(history.audit(query)).unwrap();
    assert_eq!(audit.items.len(), 1);
    assert_eq!(audit.items[0].entity_id, new);

    // Ids without a NUL and ids a host chose stay as they were.
    let plain = block_on(store.get(old_id("files", "plain"))).unwrap();
    assert_eq!(plain.expect("plain task").external_id, "plain");
    assert!(
        block_on(store.get("chosen-by-host".into()))
            .unwrap()
            .is_some()
    );
    assert_eq!(block_on(store.scope_version("s1".into())).unwrap(), 3);

    // Syncing: the moved task is in sync, the old rows update, the other identity is created.
    let engine = SyncEngine::new(store.clone());
    let policy = Policy::default();
    let nul = Listing::complete("a", vec![DesiredTask::new("b\0c", "b␀c")]);
    assert!(
        block_on(engine.preview("s1", &nul, &policy))
            .unwrap()
            .is_empty()
    );
    let renamed = Listing::complete("files", vec![DesiredTask::new("plain", "Renamed")]);
    let plan = block_on(engine.preview("s1", &renamed, &policy)).unwrap();
    assert_eq!(block_on(engine.execute(&plan, true)).unwrap().updated, 1);
    let other = Listing::complete("a\0b", vec![DesiredTask::new("c", "C")]);
    let plan = block_on(engine.preview("s2", &other, &policy)).unwrap();
    assert_eq!(block_on(engine.execute(&plan, true)).unwrap().created, 1);
    assert!(
        block_on(engine.preview("s2", &other, &policy))
            .unwrap()
            .is_empty()
    );
    drop(store);

    // Opening again migrates nothing more.
    let store = SqliteStore::open(&path).unwrap();
    assert!(block_on(store.get(new)).unwrap().is_some());
}

#[test]
fn a_create_whose_hub_id_a_row_of_another_identity_holds_is_an_identity_conflict() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hub.db");
    let store = Arc::new(SqliteStore::open(&path).unwrap());
    // Another tool wrote a row under the id `files`/`a` derives to.
    Connection::open(&path)
        .unwrap()
        .execute(
            "INSERT INTO tasks VALUES (?1, 'legacy', 'x', 'imported', 'task', 'Old', 'draft', \
             NULL, '{}', NULL, 1, 10, 10)",
            [Task::hub_id("files", "a")],
        )
        .unwrap();
    let engine = SyncEngine::new(store.clone());
    let listing = Listing::complete("files", vec![DesiredTask::new("a", "A")]);
    for _ in 0..2 {
        let plan = block_on(engine.preview("p", &listing, &Policy::default())).unwrap();
        let err = block_on(engine.execute(&plan, true)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::IdentityConflict, "{err}");
        let Error::IdentityConflict(refused) = &err else {
            panic!("{err:?}");
        };
        assert_eq!(refused.external_id, "a");
        assert!(err.to_string().contains("`legacy`"), "{err}");
    }
    assert_eq!(block_on(store.scope_version("p".into())).unwrap(), 0);
}

#[test]
fn a_taken_identity_is_reported_as_the_refused_insert() {
    let store = SqliteStore::open_in_memory().unwrap();
    let task = Task::from_desired("s", "files", &DesiredTask::new("a", "A"), 1);
    let insert = |task: Task| ChangeSet {
        guards: vec![],
        jobs: vec![],
        tasks: vec![TaskWrite::Insert { task }],
    };
    block_on(store.apply(insert(task.clone()))).unwrap();
    let twin = Task {
        id: "other-id".into(),
        ..task.clone()
    };
    match block_on(store.apply(insert(twin))) {
        Err(StoreError::Duplicate(refused)) => {
            assert_eq!(refused.id, "other-id");
            assert_eq!(
                (refused.source.as_str(), refused.external_id.as_str()),
                ("files", "a")
            );
        }
        other => panic!("expected a refused insert, got {other:?}"),
    }
}
