//! Durability, atomicity under an injected failure, and the engine end to end on SQLite.
use std::sync::Arc;

use futures::executor::block_on;
use sync_core::{
    ChangeSet, DesiredTask, Listing, Policy, StoreError, SyncEngine, Task, TaskStore, TaskWrite,
};
use sync_sqlite::SqliteStore;

fn task(scope: &str, external_id: &str) -> Task {
    let desired = DesiredTask::new(external_id, format!("Task {external_id}")).field("n", 1);
    Task::from_desired(scope, "src", &desired, 1_000)
}

fn inserts(tasks: &[Task]) -> ChangeSet {
    ChangeSet {
        jobs: Vec::new(),
        guards: Vec::new(),
        tasks: tasks
            .iter()
            .map(|t| TaskWrite::Insert { task: t.clone() })
            .collect(),
    }
}

#[test]
fn data_survives_close_and_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tasks.db");
    let tasks: Vec<Task> = (0..50).map(|i| task("s", &format!("e{i}"))).collect();
    {
        let store = SqliteStore::open(&path).unwrap();
        let applied = block_on(store.apply(inserts(&tasks))).unwrap();
        assert_eq!(applied.scope_versions, vec![("s".to_owned(), 1)]);
    }
    let store = SqliteStore::open(&path).unwrap();
    let mut snapshot = block_on(store.snapshot("s".into())).unwrap();
    snapshot.tasks.sort_by(|a, b| a.id.cmp(&b.id));
    let mut want = tasks;
    want.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(snapshot.version, 1);
    assert_eq!(snapshot.tasks, want);
}

#[test]
fn injected_failure_mid_apply_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tasks.db");
    let store = SqliteStore::open(&path).unwrap();
    let first = task("s", "first");
    block_on(store.apply(inserts(std::slice::from_ref(&first)))).unwrap();

    // A second connection to the same file installs a trigger that fails one insert.
    {
        let other = rusqlite::Connection::open(&path).unwrap();
        other
            .execute_batch(
                "CREATE TRIGGER boom BEFORE INSERT ON tasks WHEN NEW.external_id = 'boom' \
                 BEGIN SELECT RAISE(ABORT, 'injected'); END;",
            )
            .unwrap();
    }

    let set = ChangeSet {
        jobs: Vec::new(),
        guards: Vec::new(),
        tasks: vec![
            TaskWrite::Insert {
                task: task("s", "a"),
            },
            TaskWrite::Update {
                task: Task {
                    title: "changed".into(),
                    version: 2,
                    ..first.clone()
                },
                expected_version: 1,
            },
            TaskWrite::Insert {
                task: task("s", "boom"),
            },
            TaskWrite::Insert {
                task: task("s", "b"),
            },
        ],
    };
    let err = block_on(store.apply(set)).unwrap_err();
    match &err {
        StoreError::Backend(message) | StoreError::Conflict(message) => {
            assert!(message.contains("injected"), "unclear error: {message}")
        }
        StoreError::Duplicate(refused) => panic!("not a refused insert: {refused}"),
    }

    let snapshot = block_on(store.snapshot("s".into())).unwrap();
    assert_eq!(snapshot.version, 1, "the scope version moved");
    assert_eq!(
        snapshot.tasks,
        vec![first],
        "a write of the failed set landed"
    );

    // The store stays usable after the rollback.
    let applied = block_on(store.apply(inserts(&[task("s", "later")]))).unwrap();
    assert_eq!(applied.scope_versions, vec![("s".to_owned(), 2)]);
}

#[test]
fn engine_end_to_end_with_stale_plan() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("tasks.db")).unwrap();
    let engine = SyncEngine::new(Arc::new(store));
    let items: Vec<DesiredTask> = (0..1000)
        .map(|i| DesiredTask::new(format!("ext-{i}"), format!("Item {i}")))
        .collect();
    let listing = Listing::complete("files", items);
    let policy = Policy::default();

    let plan = block_on(engine.preview("project", &listing, &policy)).unwrap();
    assert_eq!(plan.creates.len(), 1000);
    block_on(engine.execute(&plan, true)).unwrap();

    let again = block_on(engine.preview("project", &listing, &policy)).unwrap();
    assert!(
        again.is_empty(),
        "a second preview is not empty: {:?}",
        again.counts
    );
    let snapshot = block_on(engine.store().snapshot("project".into())).unwrap();
    assert_eq!(snapshot.tasks.len(), 1000);

    match block_on(engine.execute(&plan, true)) {
        Err(sync_core::Error::StalePlan { .. }) => {}
        other => panic!("re-executing a used plan: expected a stale plan, got {other:?}"),
    }
}

#[test]
fn find_identities_handles_thousands_of_ids() {
    let store = SqliteStore::open_in_memory().unwrap();
    let tasks: Vec<Task> = (0..3000).map(|i| task("s", &format!("e{i}"))).collect();
    block_on(store.apply(inserts(&tasks))).unwrap();
    let ids: Vec<String> = (0..4000).map(|i| format!("e{i}")).collect();
    let found = block_on(store.find_identities("src".into(), ids)).unwrap();
    assert_eq!(found.len(), 3000);
    assert!(found.iter().all(|i| i.scope == "s"));
}

#[test]
fn a_large_change_set_lands_whole() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("tasks.db")).unwrap();
    let tasks: Vec<Task> = (0..20_000).map(|i| task("big", &format!("e{i}"))).collect();
    let applied = block_on(store.apply(inserts(&tasks))).unwrap();
    assert_eq!(applied.scope_versions, vec![("big".to_owned(), 1)]);
    assert_eq!(
        block_on(store.snapshot("big".into())).unwrap().tasks.len(),
        20_000
    );
}
