//! Failures and recovery: a set that fails in the middle (an injected fault, a connection
//! killed mid-transaction) writes nothing and the store carries on; a store whose
//! connections the server terminated reconnects by itself; migrations run once, however many
//! instances start at once, and a newer schema is refused.

mod common;

use std::sync::{Arc, Barrier};
use std::time::Duration;

use futures::executor::block_on;
use sync_core::retry::{JobStore, JobWrite};
use sync_core::{ChangeSet, ScopeGuard, StoreError, Task, TaskStore, TaskWrite};
use sync_postgres::testing::TestDatabase;
use sync_postgres::{PostgresOptions, PostgresStore, SCHEMA_VERSION};

use common::{instance, job, query_i64, seed, task};

/// A set touching a stored task and its job, inserting `new` tasks with a job each.
fn mixed_set(first: &Task, new: &[Task]) -> ChangeSet {
    let stored = job(first, 2, 0);
    let mut retried = stored.clone();
    retried.run_at = 50;
    let mut tasks = vec![TaskWrite::Update {
        task: Task {
            title: "renamed".into(),
            version: 2,
            ..first.clone()
        },
        expected_version: 1,
    }];
    tasks.extend(new.iter().map(|t| TaskWrite::Insert { task: t.clone() }));
    let mut jobs = vec![JobWrite::update(&stored, retried)];
    jobs.extend(new.iter().map(|t| JobWrite::Insert { job: job(t, 2, 0) }));
    ChangeSet {
        guards: vec![ScopeGuard {
            scope: "q".into(),
            expected_version: 1,
        }],
        tasks,
        jobs,
    }
}

/// Nothing of [`mixed_set`] landed.
fn assert_untouched(store: &PostgresStore, first: &Task, new: &[Task]) {
    let stored = block_on(store.get(first.id.clone())).expect("get");
    assert_eq!(stored.as_ref(), Some(first), "the update landed");
    assert_eq!(
        block_on(store.scope_version("q".into())).expect("version"),
        1
    );
    let stored_job = block_on(store.job(job(first, 2, 0).id)).expect("job");
    assert_eq!(stored_job, Some(job(first, 2, 0)), "the job update landed");
    for t in new {
        assert_eq!(block_on(store.get(t.id.clone())).expect("get"), None);
        assert_eq!(block_on(store.job(job(t, 2, 0).id)).expect("job"), None);
    }
}

#[test]
fn a_fault_in_the_middle_of_a_set_writes_nothing() {
    let db = TestDatabase::create();
    let store = instance(&db.url, false);
    let first = task(0);
    block_on(store.apply(seed(std::slice::from_ref(&first)))).expect("seed");
    db.execute(
        "CREATE SEQUENCE fault_count;
         CREATE FUNCTION fault() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN
             IF nextval('fault_count') = 3 THEN RAISE EXCEPTION 'injected fault'; END IF;
             RETURN NEW;
         END $$;
         CREATE TRIGGER fault BEFORE INSERT ON tasks FOR EACH ROW EXECUTE FUNCTION fault();",
    )
    .expect("install the fault");
    let new: Vec<Task> = (1..=5).map(task).collect();
    match block_on(store.apply(mixed_set(&first, &new))) {
        Err(StoreError::Backend(message)) => assert!(message.contains("injected fault")),
        other => panic!("expected the injected fault, got {other:?}"),
    }
    assert_untouched(&store, &first, &new);
    // The fault fired once; the same set goes through now.
    let applied = block_on(store.apply(mixed_set(&first, &new))).expect("apply again");
    assert_eq!(applied.scope_versions, vec![("q".to_owned(), 2)]);
    assert_eq!(
        block_on(store.get(new[4].id.clone())).expect("get"),
        Some(new[4].clone())
    );
}

#[test]
fn a_connection_killed_mid_set_writes_nothing() {
    let db = TestDatabase::create();
    let store = instance(&db.url, false);
    let first = task(0);
    block_on(store.apply(seed(std::slice::from_ref(&first)))).expect("seed");
    db.execute(
        "CREATE FUNCTION stall() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN
             IF NEW.external_id = convert_to('ext-3', 'UTF8') THEN PERFORM pg_sleep(60); END IF;
             RETURN NEW;
         END $$;
         CREATE TRIGGER stall BEFORE INSERT ON tasks FOR EACH ROW EXECUTE FUNCTION stall();",
    )
    .expect("install the stall");
    let new: Vec<Task> = (1..=5).map(task).collect();
    let applying = {
        let (store, set) = (store.clone(), mixed_set(&first, &new));
        std::thread::spawn(move || block_on(store.apply(set)))
    };
    // Kill the backend while it sits inside the set's transaction.
    for _ in 0..400 {
        if applying.is_finished() {
            break;
        }
        db.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND wait_event = 'PgSleep'",
        )
        .expect("terminate");
        std::thread::sleep(Duration::from_millis(50));
    }
    match applying.join().expect("the applying thread") {
        Err(StoreError::Backend(_)) => {}
        other => panic!("expected a backend failure, got {other:?}"),
    }
    db.execute("DROP TRIGGER stall ON tasks")
        .expect("remove the stall");
    assert_untouched(&store, &first, &new);
    block_on(store.apply(mixed_set(&first, &new))).expect("the store carries on");
}

#[test]
fn the_store_reconnects_after_the_server_ends_its_connections() {
    let db = TestDatabase::create();
    let store = instance(&db.url, true);
    let hint = store.wake_hint().expect("hint");
    assert!(
        hint.wait_since(0, Duration::from_secs(10)),
        "listener started"
    );
    let first = task(0);
    block_on(store.apply(seed(std::slice::from_ref(&first)))).expect("seed");
    // Open every connection of the pool.
    let reads = (0..4).map(|_| store.get(first.id.clone()));
    for read in block_on(futures::future::join_all(reads)) {
        read.expect("read");
    }
    let seen = hint.seen();
    db.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .expect("terminate every connection");
    let mut failures = 0;
    let mut recovered = false;
    for _ in 0..100 {
        match block_on(store.get(first.id.clone())) {
            Ok(found) => {
                assert_eq!(found, Some(first.clone()));
                recovered = true;
                break;
            }
            Err(StoreError::Backend(_)) => failures += 1,
            Err(other) => panic!("a lost connection is a backend failure, not {other:?}"),
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        recovered,
        "the store never reconnected ({failures} failures)"
    );
    eprintln!("reads failed {failures} time(s) before the store reconnected");
    block_on(store.apply(mixed_set(&first, &[task(1)]))).expect("writes work again");
    assert!(
        hint.wait_since(seen, Duration::from_secs(10)),
        "the listener did not come back"
    );
}

#[test]
fn connecting_again_migrates_nothing() {
    let db = TestDatabase::create();
    let first = task(0);
    {
        let store = instance(&db.url, false);
        block_on(store.apply(seed(std::slice::from_ref(&first)))).expect("seed");
    }
    let store = instance(&db.url, false);
    assert_eq!(
        block_on(store.get(first.id.clone())).expect("get"),
        Some(first)
    );
    let steps = query_i64(&db.url, "SELECT count(*) FROM tasksync_schema_migrations");
    assert_eq!(steps, i64::from(SCHEMA_VERSION));
}

#[test]
fn instances_starting_at_once_migrate_once() {
    let db = TestDatabase::create();
    let barrier = Arc::new(Barrier::new(4));
    let starts: Vec<_> = (0..4)
        .map(|_| {
            let (url, barrier) = (db.url.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                instance(&url, false)
            })
        })
        .collect();
    let stores: Vec<PostgresStore> = starts
        .into_iter()
        .map(|s| s.join().expect("every instance starts"))
        .collect();
    let rows = query_i64(&db.url, "SELECT count(*) FROM tasksync_schema_migrations");
    let versions = query_i64(
        &db.url,
        "SELECT count(DISTINCT version) FROM tasksync_schema_migrations",
    );
    assert_eq!((rows, versions), (i64::from(SCHEMA_VERSION), rows));
    block_on(stores[3].apply(seed(&[task(0)]))).expect("the schema is usable");
}

#[test]
fn a_newer_schema_is_refused() {
    let db = TestDatabase::create();
    drop(instance(&db.url, false));
    db.execute(&format!(
        "INSERT INTO tasksync_schema_migrations (version) VALUES ({})",
        SCHEMA_VERSION + 1
    ))
    .expect("pretend a newer build migrated");
    let options = PostgresOptions {
        pool_size: 1,
        listen: false,
        ..PostgresOptions::default()
    };
    match block_on(PostgresStore::connect_with(&db.url, options)) {
        Err(StoreError::Backend(message)) => {
            assert!(message.contains("newer than this build"), "{message}")
        }
        other => panic!("a newer schema must be refused, got {other:?}"),
    }
}
