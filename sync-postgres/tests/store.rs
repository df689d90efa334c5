//! What the PostgreSQL store shows its callers beyond the conformance suites: refused inserts
//! named as the engine needs them, identities with NULs, passwords kept out of every message,
//! a store used and dropped inside other async runtimes, and large sets in few round trips.

mod common;

use std::time::Instant;

use futures::executor::block_on;
use sync_core::store::RefusedInsert;
use sync_core::{ChangeSet, DesiredTask, StoreError, Task, TaskStore, TaskWrite};
use sync_postgres::testing::TestDatabase;
use sync_postgres::{PostgresOptions, PostgresStore};

use common::{instance, seed, task};

fn insert(tasks: &[Task]) -> ChangeSet {
    ChangeSet {
        tasks: tasks
            .iter()
            .map(|t| TaskWrite::Insert { task: t.clone() })
            .collect(),
        ..ChangeSet::default()
    }
}

#[test]
fn refused_inserts_name_the_insert_and_the_holder() {
    let store = TestDatabase::create().store();
    let a = task(1);
    block_on(store.apply(insert(std::slice::from_ref(&a)))).expect("insert");
    let hijack = Task {
        external_id: "someone else".into(),
        ..a.clone()
    };
    match block_on(store.apply(insert(std::slice::from_ref(&hijack)))) {
        Err(StoreError::Duplicate(r)) => {
            assert_eq!(
                r,
                RefusedInsert::id_held_by(&hijack, &a.source, &a.external_id)
            )
        }
        other => panic!("an id held by another identity: {other:?}"),
    }
    let twin = Task {
        id: "t-other".into(),
        ..a.clone()
    };
    match block_on(store.apply(insert(&[task(2), twin.clone()]))) {
        Err(StoreError::Duplicate(r)) => {
            assert_eq!(r.id, "t-other");
            assert!(r.detail.contains(&a.id), "names the holder: {}", r.detail);
        }
        other => panic!("an identity held by another id: {other:?}"),
    }
    assert_eq!(block_on(store.get(task(2).id)).expect("get"), None);
    match block_on(store.apply(insert(std::slice::from_ref(&a)))) {
        Err(StoreError::Duplicate(r)) => assert_eq!(r, RefusedInsert::of(&a, r.detail.clone())),
        other => panic!("the same task again: {other:?}"),
    }
    // An update that would take another task's identity is a conflict.
    let b = task(3);
    block_on(store.apply(insert(std::slice::from_ref(&b)))).expect("insert b");
    let taking = TaskWrite::Update {
        task: Task {
            external_id: a.external_id.clone(),
            version: 2,
            ..b.clone()
        },
        expected_version: 1,
    };
    let result = block_on(store.apply(ChangeSet {
        tasks: vec![taking],
        ..ChangeSet::default()
    }));
    assert!(matches!(result, Err(StoreError::Conflict(_))), "{result:?}");
}

#[test]
fn identities_and_text_with_nuls_round_trip() {
    let store = TestDatabase::create().store();
    let desired = DesiredTask::new("b\0c", "title \0 with a NUL").field("k\0", "v\0");
    let odd = Task::from_desired("scope\0x", "a\0", &desired, 1);
    let plain = Task::from_desired("scope\0x", "a", &DesiredTask::new("\0b\0c", "x"), 1);
    block_on(store.apply(insert(&[odd.clone(), plain.clone()]))).expect("insert");
    assert_eq!(
        block_on(store.get(odd.id.clone())).expect("get"),
        Some(odd.clone())
    );
    let mut snapshot = block_on(store.snapshot("scope\0x".into())).expect("snapshot");
    snapshot.tasks.sort_by(|x, y| x.id.cmp(&y.id));
    let mut want = vec![odd.clone(), plain];
    want.sort_by(|x, y| x.id.cmp(&y.id));
    assert_eq!(snapshot.tasks, want);
    let found = block_on(store.find_identities("a\0".into(), vec!["b\0c".into()])).expect("find");
    assert_eq!(found.len(), 1);
    assert_eq!(
        (found[0].id.as_str(), found[0].scope.as_str()),
        (odd.id.as_str(), "scope\0x")
    );
}

#[test]
fn passwords_never_show() {
    let secret = "s3cr3t-pw";
    let quick = PostgresOptions {
        connect_timeout_ms: 2_000,
        pool_size: 1,
        listen: false,
    };
    let urls = [
        format!("postgres://ana:{secret}@127.0.0.1:1/hub"),
        format!("postgres://ana:{secret}@127.0.0.1:notaport/hub"),
        format!("host=127.0.0.1 port=1 user=ana password={secret} dbname=hub"),
        format!("host=127.0.0.1 port=1 user=ana password='{secret}' bogus=1"),
    ];
    for url in &urls {
        let err = block_on(PostgresStore::connect_with(url, quick.clone()))
            .expect_err("nothing listens there");
        let shown = format!("{err} / {err:?}");
        assert!(!shown.contains(secret), "{shown}");
        assert!(matches!(err, StoreError::Backend(_)), "{shown}");
    }
    // Trust authentication takes any password: a store that connected keeps it out of Debug.
    let db = TestDatabase::create();
    let url = db
        .url
        .replacen("postgres@", &format!("postgres:{secret}@"), 1);
    assert!(
        url.contains(secret),
        "the test URL carries the password: {url}"
    );
    let store = block_on(PostgresStore::connect_with(&url, quick)).expect("connect");
    let debug = format!("{store:?}");
    assert!(!debug.contains(secret) && debug.contains("***"), "{debug}");
    assert!(!format!("{:?}", store.history()).contains(secret));
}

#[test]
fn a_store_is_awaited_and_dropped_inside_other_runtimes() {
    for multi in [false, true] {
        let runtime = if multi {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
        } else {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
        }
        .expect("a host runtime");
        runtime.block_on(async {
            let db = TestDatabase::create();
            let store = PostgresStore::connect_with(
                &db.url,
                PostgresOptions {
                    pool_size: 2,
                    ..PostgresOptions::default()
                },
            )
            .await
            .expect("connect inside the host runtime");
            store.apply(seed(&[task(1)])).await.expect("apply");
            assert_eq!(store.scope_version("q".into()).await.expect("version"), 1);
            let clone = store.clone();
            drop(store);
            assert!(clone.get(task(1).id).await.expect("get").is_some());
            // The last handle goes inside the async context: no panic, no blocking.
            drop(clone);
        });
    }
}

#[test]
fn large_sets_apply_in_one_transaction() {
    let store = TestDatabase::create().store();
    let tasks: Vec<Task> = (0..10_000).map(task).collect();
    let started = Instant::now();
    block_on(store.apply(insert(&tasks))).expect("insert 10,000");
    let inserted = started.elapsed();
    let started = Instant::now();
    let snapshot = block_on(store.snapshot("q".into())).expect("snapshot");
    let read = started.elapsed();
    assert_eq!((snapshot.version, snapshot.tasks.len()), (1, 10_000));
    let updates = tasks
        .iter()
        .map(|t| TaskWrite::Update {
            task: Task {
                title: format!("{} (renamed)", t.title),
                version: 2,
                ..t.clone()
            },
            expected_version: 1,
        })
        .collect();
    let started = Instant::now();
    block_on(store.apply(ChangeSet {
        tasks: updates,
        ..ChangeSet::default()
    }))
    .expect("update 10,000");
    let updated = started.elapsed();
    eprintln!("10,000 tasks: insert {inserted:?}, snapshot {read:?}, update {updated:?}");
    let last = block_on(store.get(tasks[9_999].id.clone())).expect("get");
    assert_eq!(last.map(|t| t.version), Some(2));
}

#[test]
fn other_instances_see_committed_sets_only() {
    let db = TestDatabase::create();
    let (a, b) = (instance(&db.url, false), instance(&db.url, false));
    block_on(a.apply(seed(&[task(1), task(2)]))).expect("seed");
    let snapshot = block_on(b.snapshot("q".into())).expect("snapshot");
    assert_eq!((snapshot.version, snapshot.tasks.len()), (1, 2));
}
