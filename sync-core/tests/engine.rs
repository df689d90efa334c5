//! Engine behaviour: confirmation, stale plans, tampering, concurrency, events, bad input and
//! store faults.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use futures::executor::block_on;
use sync_core::{
    Applied, ChangeSet, CollectingSink, DesiredTask, Error, ErrorKind, Event, Identity, Listing,
    ManualClock, MemoryStore, Policy, ScopeSnapshot, StoreError, SyncEngine, Task, TaskStore,
};

fn listing(n: usize) -> Listing {
    Listing::complete(
        "files",
        (0..n)
            .map(|i| DesiredTask::new(format!("t{i}"), format!("Task {i}")))
            .collect(),
    )
}

fn engine() -> (Arc<MemoryStore>, SyncEngine) {
    let store = Arc::new(MemoryStore::new());
    (store.clone(), SyncEngine::new(store))
}

#[test]
fn unconfirmed_execute_is_refused_and_writes_nothing() {
    let (store, engine) = engine();
    let plan = block_on(engine.preview("s", &listing(3), &Policy::default())).unwrap();
    let err = block_on(engine.execute(&plan, false)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotConfirmed);
    assert_eq!(block_on(store.scope_version("s".into())).unwrap(), 0);
}

#[test]
fn a_plan_executes_once_then_is_stale() {
    let (_, engine) = engine();
    let plan = block_on(engine.preview("s", &listing(3), &Policy::default())).unwrap();
    let report = block_on(engine.execute(&plan, true)).unwrap();
    assert_eq!((report.created, report.scope_version), (3, 1));
    let err = block_on(engine.execute(&plan, true)).unwrap_err();
    assert!(
        matches!(err, Error::StalePlan { ref scope, .. } if scope == "s"),
        "{err}"
    );
    assert!(err.to_string().contains("preview again"));
}

#[test]
fn a_change_in_the_scope_makes_an_older_plan_stale() {
    let (_, engine) = engine();
    block_on(engine.execute(
        &block_on(engine.preview("s", &listing(2), &Policy::default())).unwrap(),
        true,
    ))
    .unwrap();
    let mut edited = listing(2);
    edited.items[0].content.title = "edited".into();
    let old = block_on(engine.preview("s", &edited, &Policy::default())).unwrap();
    let mut other = listing(2);
    other.items[1].content.title = "concurrent edit".into();
    let concurrent = block_on(engine.preview("s", &other, &Policy::default())).unwrap();
    block_on(engine.execute(&concurrent, true)).unwrap();
    let err = block_on(engine.execute(&old, true)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::StalePlan);
}

#[test]
fn two_concurrent_executes_of_one_plan_exactly_one_wins() {
    let (store, engine) = engine();
    let plan = block_on(engine.preview("s", &listing(50), &Policy::default())).unwrap();
    let results: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..2)
            .map(|_| s.spawn(|| block_on(engine.execute(&plan, true))))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let ok = results.iter().filter(|r| r.is_ok()).count();
    let stale = results
        .iter()
        .filter(|r| matches!(r, Err(Error::StalePlan { .. })))
        .count();
    assert_eq!((ok, stale), (1, 1), "{results:?}");
    assert_eq!(
        block_on(store.snapshot("s".into())).unwrap().tasks.len(),
        50
    );
}

#[test]
fn a_tampered_plan_is_refused() {
    let (store, engine) = engine();
    let mut items = listing(3);
    for (i, item) in items.items.iter_mut().enumerate() {
        item.content
            .fields
            .insert("estimate".into(), serde_json::json!(i as f64 + 0.5));
        item.content
            .fields
            .insert("tags".into(), serde_json::json!(["a", i]));
    }
    let plan = block_on(engine.preview("s", &items, &Policy::default())).unwrap();
    type Tamper = fn(&mut sync_core::Plan);
    let tampers: [(&str, Tamper); 7] = [
        ("title", |p| p.creates[0].task.title = "injected".into()),
        ("a field value", |p| {
            p.creates[1]
                .task
                .fields
                .insert("estimate".into(), serde_json::json!(99));
        }),
        ("a field's type", |p| {
            p.creates[1]
                .task
                .fields
                .insert("estimate".into(), serde_json::json!("1.5"));
        }),
        ("a dropped write", |p| {
            p.creates.pop();
        }),
        ("reordered writes", |p| p.creates.swap(0, 2)),
        ("the status", |p| {
            p.creates[2].task.status = sync_core::Status::Completed
        }),
        ("the scope version", |p| p.scope_version += 1),
    ];
    for (what, tamper) in tampers {
        let mut tampered = plan.clone();
        tamper(&mut tampered);
        let err = block_on(engine.execute(&tampered, true)).unwrap_err();
        assert_eq!(
            err.kind(),
            ErrorKind::InvalidInput,
            "tampered {what}: {err}"
        );
        assert_eq!(block_on(store.scope_version("s".into())).unwrap(), 0);
    }
    assert_eq!(block_on(engine.execute(&plan, true)).unwrap().created, 3);
}

#[test]
fn a_plan_survives_a_json_round_trip() {
    let (_, engine) = engine();
    let mut items = listing(4);
    for (i, item) in items.items.iter_mut().enumerate() {
        let value = serde_json::json!({"f": i as f64 / 3.0, "n": -(i as i64), "big": u64::MAX});
        item.content.fields.insert("mixed".into(), value);
    }
    let plan = block_on(engine.preview("s", &items, &Policy::default())).unwrap();
    let back: sync_core::Plan =
        serde_json::from_str(&serde_json::to_string(&plan).unwrap()).unwrap();
    assert_eq!(back, plan);
    assert_eq!(block_on(engine.execute(&back, true)).unwrap().created, 4);
}

#[test]
fn execute_stamps_times_from_the_clock_and_emits_an_event() {
    let store = Arc::new(MemoryStore::new());
    let clock = Arc::new(ManualClock::new(1_000));
    let sink = Arc::new(CollectingSink::default());
    let engine = SyncEngine::new(store.clone())
        .with_clock(clock.clone())
        .with_events(sink.clone());
    let plan = block_on(engine.preview("s", &listing(1), &Policy::default())).unwrap();
    clock.advance(500);
    block_on(engine.execute(&plan, true)).unwrap();
    let task = block_on(store.get(Task::hub_id("files", "t0")))
        .unwrap()
        .unwrap();
    assert_eq!(
        (task.created_at, task.updated_at, task.version),
        (1_500, 1_500, 1)
    );
    // Run progress events (RunStarted, RunItem, RunFinished) are checked in tests/history.rs.
    let events: Vec<Event> = sink
        .take()
        .into_iter()
        .filter(|e| matches!(e, Event::SyncExecuted { .. }))
        .collect();
    assert!(
        matches!(
            &events[..],
            [Event::SyncExecuted {
                created: 1,
                scope_version: 1,
                at: 1_500,
                ..
            }]
        ),
        "{events:?}"
    );
}

#[test]
fn bad_input_is_a_clear_error_and_changes_nothing() {
    let (store, engine) = engine();
    let policy = Policy::default();
    let cases: Vec<(&str, Listing)> = vec![
        ("", listing(1)),
        ("s", Listing::complete("", vec![])),
        (
            "s",
            Listing::complete("files", vec![DesiredTask::new("", "no id")]),
        ),
        (
            "s",
            Listing::complete("files", vec![DesiredTask::new("x".repeat(5000), "long id")]),
        ),
        (
            "s",
            Listing::complete("files", vec![DesiredTask::new("a", "t".repeat(1 << 20))]),
        ),
        (
            "s",
            Listing::complete("files", vec![DesiredTask::new("a", "t").kind(" ")]),
        ),
    ];
    for (scope, listing) in cases {
        let err = block_on(engine.preview(scope, &listing, &policy)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
        assert!(
            err.to_string().len() < 400,
            "message not clipped: {}",
            err.to_string().len()
        );
    }
    let bad = Policy {
        max_delete_ratio: 2.0,
        ..Policy::default()
    };
    assert_eq!(
        block_on(engine.preview("s", &listing(1), &bad))
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidInput
    );
    assert_eq!(block_on(store.scope_version("s".into())).unwrap(), 0);
    let err = "finished".parse::<sync_core::Status>().unwrap_err();
    assert!(
        err.to_string().contains("unknown status `finished`")
            && err.to_string().contains("in_progress")
    );
}

#[test]
fn check_sync_needed_and_verify() {
    let (_, engine) = engine();
    let policy = Policy::default();
    let l = listing(3);
    assert!(block_on(engine.check_sync_needed("s", &l, &policy)).unwrap());
    let report = block_on(engine.verify("s", &l)).unwrap();
    assert!(!report.consistent);
    assert_eq!(report.missing_in_hub.len(), 3);
    block_on(engine.execute(&block_on(engine.preview("s", &l, &policy)).unwrap(), true)).unwrap();
    assert!(!block_on(engine.check_sync_needed("s", &l, &policy)).unwrap());
    assert!(block_on(engine.verify("s", &l)).unwrap().consistent);
    let mut edited = l.clone();
    edited.items[1].content.title = "changed".into();
    edited.items.pop();
    let report = block_on(engine.verify("s", &edited)).unwrap();
    assert_eq!(report.mismatched[0].fields, vec!["title"]);
    assert_eq!(report.missing_in_source, vec!["t2"]);
}

/// A store that fails on demand: every call, or only `apply`.
struct Faulty {
    inner: MemoryStore,
    fail_reads: AtomicBool,
    fail_apply: AtomicBool,
}

impl Faulty {
    fn check(&self, flag: &AtomicBool) -> Result<(), StoreError> {
        if flag.load(Ordering::SeqCst) {
            return Err(StoreError::Backend("disk I/O error (injected)".into()));
        }
        Ok(())
    }
}

#[async_trait]
impl TaskStore for Faulty {
    async fn snapshot(&self, scope: String) -> Result<ScopeSnapshot, StoreError> {
        self.check(&self.fail_reads)?;
        self.inner.snapshot(scope).await
    }
    async fn scope_version(&self, scope: String) -> Result<u64, StoreError> {
        self.check(&self.fail_reads)?;
        self.inner.scope_version(scope).await
    }
    async fn get(&self, id: String) -> Result<Option<Task>, StoreError> {
        self.check(&self.fail_reads)?;
        self.inner.get(id).await
    }
    async fn find_identities(
        &self,
        source: String,
        ids: Vec<String>,
    ) -> Result<Vec<Identity>, StoreError> {
        self.check(&self.fail_reads)?;
        self.inner.find_identities(source, ids).await
    }
    async fn apply(&self, changes: ChangeSet) -> Result<Applied, StoreError> {
        self.check(&self.fail_apply)?;
        self.inner.apply(changes).await
    }
}

#[test]
fn store_faults_surface_as_store_errors_and_leave_the_plan_usable() {
    let store = Arc::new(Faulty {
        inner: MemoryStore::new(),
        fail_reads: AtomicBool::new(true),
        fail_apply: AtomicBool::new(false),
    });
    let engine = SyncEngine::new(store.clone());
    let err = block_on(engine.preview("s", &listing(2), &Policy::default())).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Store);
    store.fail_reads.store(false, Ordering::SeqCst);
    let plan = block_on(engine.preview("s", &listing(2), &Policy::default())).unwrap();
    store.fail_apply.store(true, Ordering::SeqCst);
    let err = block_on(engine.execute(&plan, true)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Store);
    assert!(err.to_string().contains("injected"));
    assert_eq!(block_on(store.inner.scope_version("s".into())).unwrap(), 0);
    // The failure wrote nothing, so the same plan still applies once the store recovers.
    store.fail_apply.store(false, Ordering::SeqCst);
    assert_eq!(block_on(engine.execute(&plan, true)).unwrap().created, 2);
}
