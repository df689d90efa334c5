//! Bad input, as every binding hands it to the core: unknown keys in every options type, sizes
//! over the limits, corrupt sessions from a store, failing host clocks. Each is a typed error,
//! never a panic, and changes nothing.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use futures::executor::block_on;
use serde_json::{Value, json};
use sync_core::history::{Actor, AuditQuery, ItemQuery, RunContext, RunQuery};
use sync_core::retry::{
    Backoff, BreakerConfig, DeadLetters, JobQuery, RateLimiterConfig, StatusService, Target,
    TargetSpec, Worker, WorkerConfig,
};
use sync_core::session::{self, Cycle, Session};
use sync_core::transition::{ProviderKind, StatusMapping, TransitionRules};
use sync_core::{
    ChangeSet, CollectingSink, DesiredTask, Error, ErrorKind, Event, FallibleClock, HostClock,
    Limits, Listing, ManualClock, MemorySessionStore, MemoryStore, Millis, Policy, RunOptions,
    SessionEngine, SessionStore, Status, StoreError, SyncEngine, Task, TaskStore, TaskWrite, input,
};

fn invalid(err: Error, needle: &str) {
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    assert!(err.to_string().contains(needle), "`{needle}` not in: {err}");
}

/// Parses `value` with one extra key as `T` and expects the unknown-key error.
fn refuses_extra<T: serde::de::DeserializeOwned + std::fmt::Debug>(
    what: &str,
    value: Value,
    place: &str,
) {
    assert!(
        input::from_value::<T>(what, value.clone()).is_ok(),
        "{what}: the valid form must parse"
    );
    let mut bad = value;
    bad.as_object_mut()
        .expect("an object")
        .insert("bogus_key".into(), json!(1));
    let err = input::from_value::<T>(what, bad).unwrap_err();
    assert!(err.to_string().contains("known keys: "), "{err}");
    invalid(err, &format!("unknown key `bogus_key` in {place}"));
}

#[test]
fn every_options_type_refuses_an_unknown_key_naming_the_known_ones() {
    refuses_extra::<Policy>("policy", json!({"force_deletes": true}), "policy");
    refuses_extra::<Listing>(
        "listing",
        json!({"source": "s", "items": [], "complete": true}),
        "listing",
    );
    refuses_extra::<DesiredTask>(
        "desired task",
        json!({"external_id": "a", "kind": "task", "title": "A"}),
        "listing item (desired task)",
    );
    refuses_extra::<WorkerConfig>("worker config", json!({"id": "w"}), "worker config");
    refuses_extra::<Backoff>("backoff", json!({"max_attempts": 2}), "backoff");
    refuses_extra::<BreakerConfig>("breaker", json!({"open_ms": 5}), "breaker");
    refuses_extra::<RateLimiterConfig>("rate limiter", json!({"burst": 2}), "rate limiter");
    refuses_extra::<TargetSpec>("target", json!({"name": "t", "kind": "ms_todo"}), "target");
    refuses_extra::<RunContext>("run context", json!({"source_id": "c"}), "run context");
    refuses_extra::<Actor>("actor", json!({"user": "ana"}), "actor");
    refuses_extra::<RunQuery>("run query", json!({"limit": 5}), "run query");
    refuses_extra::<ItemQuery>(
        "item query",
        json!({"run_id": "r", "limit": 5}),
        "item query",
    );
    refuses_extra::<AuditQuery>("audit query", json!({"limit": 5}), "audit query");
    refuses_extra::<JobQuery>("job query", json!({"limit": 5}), "job query");
    refuses_extra::<Cycle>("cycle", json!({"id": "a", "name": "A"}), "cycle");
    refuses_extra::<Limits>("limits", json!({"max_cycles": 5}), "limits");
    refuses_extra::<TransitionRules>(
        "transition rules",
        json!({"allowed": [], "guards": [], "effects": []}),
        "transition rules",
    );
}

#[test]
fn a_provider_error_a_host_raises_refuses_unknown_keys() {
    let good = json!({"class": "rate_limited", "provider": "p", "retry_after_ms": 5});
    assert!(input::from_value::<sync_core::ProviderError>("provider error", good).is_ok());
    let typo = json!({"class": "rate_limited", "provider": "p", "retry_after": 5});
    let err = input::from_value::<sync_core::ProviderError>("provider error", typo).unwrap_err();
    invalid(
        err,
        "unknown key `retry_after` in provider error; known keys: ",
    );
}

#[test]
fn an_unknown_key_nested_in_an_options_object_names_its_part() {
    for (part, value) in [
        ("backoff", json!({"backoff": {"max_attempt": 1}})),
        ("breaker", json!({"breaker": {"threshold": 1}})),
        ("rate limiter", json!({"limiter": {"rate": 1}})),
    ] {
        let err = input::from_value::<WorkerConfig>("worker config", value).unwrap_err();
        invalid(err, &format!("in {part} (worker config); known keys: "));
    }
    let listing = json!({"source": "s", "complete": true,
        "items": [{"external_id": "a", "kind": "task", "title": "A", "statuss": "draft"}]});
    let err = input::from_value::<Listing>("listing", listing).unwrap_err();
    invalid(err, "unknown key `statuss` in listing item (listing)");
    let context = json!({"actor": {"user": "ana", "usr_agent": "x"}});
    let err = input::from_value::<RunContext>("run context", context).unwrap_err();
    invalid(err, "unknown key `usr_agent` in actor (run context)");
}

#[test]
fn a_known_key_list_is_the_types_own_fields() {
    let keys = input::known_keys::<Policy>();
    assert!(keys.contains(&"force_deletes") && keys.contains(&"max_delete_ratio"));
    assert_eq!(keys.len(), 7);
    assert_eq!(
        input::known_keys::<DesiredTask>(),
        &[
            "external_id",
            "kind",
            "title",
            "status",
            "parent",
            "fields",
            "modified_at"
        ]
    );
}

/// A session store that counts what it is asked to write.
#[derive(Default)]
struct Counting {
    inner: MemorySessionStore,
    writes: AtomicUsize,
}

#[async_trait]
impl SessionStore for Counting {
    async fn get(&self, id: String) -> Result<Option<Session>, StoreError> {
        self.inner.get(id).await
    }
    async fn insert(&self, session: Session) -> Result<(), StoreError> {
        self.writes.fetch_add(1, Ordering::SeqCst);
        self.inner.insert(session).await
    }
    async fn update(&self, session: Session, expected: u64) -> Result<(), StoreError> {
        self.writes.fetch_add(1, Ordering::SeqCst);
        self.inner.update(session, expected).await
    }
    async fn delete(&self, id: String, expected: u64) -> Result<(), StoreError> {
        self.writes.fetch_add(1, Ordering::SeqCst);
        self.inner.delete(id, expected).await
    }
}

fn sessions(store: Arc<Counting>) -> SessionEngine {
    SessionEngine::new(
        store,
        Arc::new(ManualClock::new(1_000)),
        Arc::new(CollectingSink::default()),
    )
}

#[test]
fn a_ten_megabyte_session_id_is_refused_and_nothing_is_stored() {
    let store = Arc::new(Counting::default());
    let engine = sessions(store.clone());
    let huge = "s".repeat(10 * 1024 * 1024);
    let cycles = vec![Cycle::new("a", "A")];
    let err = block_on(engine.create(huge.clone(), cycles)).unwrap_err();
    invalid(
        err,
        "session id is 10485760 bytes long, the limit is 1024 bytes",
    );
    for result in [
        block_on(engine.start(&huge)).map(drop),
        block_on(engine.switch(&huge, None)).map(drop),
        block_on(engine.get(&huge)).map(drop),
        block_on(engine.state(&huge)).map(drop),
        block_on(engine.delete(&huge)).map(drop),
    ] {
        invalid(result.unwrap_err(), "session id is 10485760 bytes long");
    }
    assert_eq!(store.writes.load(Ordering::SeqCst), 0);
}

#[test]
fn cycle_names_and_counts_are_limited_and_the_count_can_be_raised() {
    let store = Arc::new(Counting::default());
    let engine = sessions(store.clone());
    let long_name = vec![Cycle::new("a", "n".repeat(2_000))];
    invalid(
        block_on(engine.create("s".into(), long_name)).unwrap_err(),
        "cycle name is 2000 bytes long, the limit is 1024",
    );
    let many: Vec<Cycle> = (0..1_001).map(|i| Cycle::new(i.to_string(), "c")).collect();
    invalid(
        block_on(engine.create("s".into(), many.clone())).unwrap_err(),
        "1001 entries, the limit is 1000 (raise it with `max_cycles`)",
    );
    let long_switch = "c".repeat(5_000);
    assert_eq!(store.writes.load(Ordering::SeqCst), 0);
    let raised = engine.with_limits(Limits {
        max_cycles: 2_000,
        ..Limits::default()
    });
    block_on(raised.create("s".into(), many)).unwrap();
    block_on(raised.start("s")).unwrap();
    invalid(
        block_on(raised.switch("s", Some(&long_switch))).unwrap_err(),
        "cycle id is 5000 bytes long",
    );
}

fn running() -> Session {
    let s = session::create(
        "s1",
        vec![Cycle::new("a", "A"), Cycle::new("b", "B")],
        1_000,
    );
    let s = session::start(&s.unwrap(), 2_000).unwrap();
    session::switch(&s, None, 2_500).unwrap()
}

/// A host clock that fails every reading, counting them.
#[derive(Default)]
struct Broken(AtomicUsize);

impl FallibleClock for Broken {
    fn read(&self) -> Result<Millis, String> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Err("RuntimeError: the clock is broken".into())
    }
}

fn broken() -> Arc<HostClock<Broken>> {
    Arc::new(HostClock::new(Broken::default()))
}

fn clock_failed(result: Result<impl std::fmt::Debug, Error>) {
    let err = result.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Store, "{err}");
    assert!(
        err.to_string()
            .contains("the host clock failed: RuntimeError"),
        "{err}"
    );
}

#[test]
fn a_failing_host_clock_fails_sessions_before_they_write() {
    let store = Arc::new(Counting::default());
    let engine = SessionEngine::new(store.clone(), broken(), Arc::new(CollectingSink::default()));
    clock_failed(block_on(
        engine.create("s".into(), vec![Cycle::new("a", "A")]),
    ));
    assert_eq!(store.writes.load(Ordering::SeqCst), 0);
    clock_failed(sync_core::server_time(&*broken()));
    // A session stored while the clock worked: every operation then fails, nothing changes.
    block_on(store.inner.insert(running())).unwrap();
    for result in [
        block_on(engine.switch("s1", None)).map(drop),
        block_on(engine.pause("s1")).map(drop),
        block_on(engine.complete("s1")).map(drop),
        block_on(engine.state("s1")).map(drop),
        block_on(engine.delete("s1")).map(drop),
    ] {
        clock_failed(result);
    }
    assert_eq!(store.writes.load(Ordering::SeqCst), 0);
    assert_eq!(block_on(store.get("s1".into())).unwrap(), Some(running()));
}

fn task_store() -> Arc<MemoryStore> {
    let store = Arc::new(MemoryStore::new());
    let d = DesiredTask::new("a", "A").status(Status::Pending);
    let insert = TaskWrite::Insert {
        task: Task::from_desired("inbox", "todo", &d, 0),
    };
    block_on(store.apply(ChangeSet {
        tasks: vec![insert],
        ..ChangeSet::default()
    }))
    .unwrap();
    store
}

#[test]
fn a_failing_host_clock_fails_syncs_status_changes_and_workers_before_they_write() {
    let store = task_store();
    let events = Arc::new(CollectingSink::default());
    let listing = Listing::complete("todo", vec![DesiredTask::new("b", "B")]);
    let good = SyncEngine::new(store.clone());
    let plan = block_on(good.preview("inbox", &listing, &Policy::all_writable())).unwrap();
    let engine = SyncEngine::new(store.clone())
        .with_clock(broken())
        .with_events(events.clone());
    clock_failed(block_on(engine.preview(
        "inbox",
        &listing,
        &Policy::default(),
    )));
    clock_failed(block_on(engine.execute(&plan, true)));
    assert!(events.take().is_empty(), "a run was started");
    assert_eq!(block_on(store.scope_version("inbox".into())).unwrap(), 1);

    let service = StatusService::new(store.clone(), broken(), events.clone()).with_target(
        Target::new("todo", StatusMapping::new(ProviderKind::MsTodo)),
    );
    let task = Task::hub_id("todo", "a");
    clock_failed(block_on(service.change_status(
        &task,
        Status::Completed,
        None,
    )));
    let stored = block_on(store.get(task.clone())).unwrap().unwrap();
    assert_eq!(stored.status, Status::Pending);

    let worker = Worker::new(
        store.clone(),
        broken(),
        events.clone(),
        WorkerConfig::default(),
    );
    clock_failed(block_on(worker.unwrap().run_once()));
    let dead = DeadLetters::new(store.clone(), broken(), events.clone());
    clock_failed(block_on(dead.retry("job-1", Actor::default())));
    clock_failed(block_on(dead.discard("job-1", Actor::default())));
    assert!(events.take().is_empty());
}

#[test]
fn listing_sizes_are_limited_and_configurable() {
    let store = task_store();
    let engine = SyncEngine::new(store.clone()).with_limits(Limits {
        max_listing_items: 2,
        ..Limits::default()
    });
    let items: Vec<DesiredTask> = (0..3)
        .map(|i| DesiredTask::new(i.to_string(), "t"))
        .collect();
    let listing = Listing::complete("todo", items);
    let policy = Policy::default();
    invalid(
        block_on(engine.preview("inbox", &listing, &policy)).unwrap_err(),
        "the listing has 3 entries, the limit is 2 (raise it with `max_listing_items`)",
    );
    invalid(
        block_on(engine.check_sync_needed("inbox", &listing, &policy)).unwrap_err(),
        "the limit is 2",
    );
    invalid(
        block_on(engine.verify("inbox", &listing)).unwrap_err(),
        "the limit is 2",
    );
    let fat = DesiredTask::new("f", "F").field("blob", "x".repeat(2 * 1024 * 1024));
    let fat = Listing::complete("todo", vec![fat]);
    invalid(
        block_on(SyncEngine::new(store.clone()).preview("inbox", &fat, &policy)).unwrap_err(),
        "listing item 0 (`f`): fields are more than 1048576 bytes",
    );
    let parent = DesiredTask::new("p", "P").parent("x".repeat(5_000));
    let parent = Listing::complete("todo", vec![parent]);
    invalid(
        block_on(SyncEngine::new(store).preview("inbox", &parent, &policy)).unwrap_err(),
        "parent is 5000 bytes long",
    );
}

#[test]
fn an_over_long_run_context_is_refused_before_the_run_is_recorded() {
    let store = task_store();
    let events = Arc::new(CollectingSink::default());
    let engine = SyncEngine::new(store).with_events(events.clone());
    let listing = Listing::complete("todo", vec![]);
    let context = RunContext {
        actor: Actor {
            user_agent: Some("u".repeat(1_000_000)),
            ..Actor::default()
        },
        ..RunContext::default()
    };
    let options = RunOptions::new().context(context);
    let err = block_on(engine.preview_with("inbox", &listing, &Policy::default(), &options));
    invalid(err.unwrap_err(), "actor user_agent is 1000000 bytes long");
    let huge_scope = "s".repeat(2_000);
    let err = block_on(engine.preview(&huge_scope, &listing, &Policy::default()));
    invalid(err.unwrap_err(), "scope is 2000 bytes long");
    assert!(
        !events
            .take()
            .iter()
            .any(|e| matches!(e, Event::RunStarted { .. })),
        "a refused input started a run"
    );
}

#[test]
fn status_changes_and_dead_letters_limit_ids_and_actors() {
    let store = task_store();
    let events = Arc::new(CollectingSink::default());
    let clock = Arc::new(ManualClock::new(5));
    let service = StatusService::new(store.clone(), clock.clone(), events.clone());
    let task = Task::hub_id("todo", "a");
    let actor = "a".repeat(10_000);
    invalid(
        block_on(service.change_status(&task, Status::Completed, Some(&actor))).unwrap_err(),
        "actor is 10000 bytes long",
    );
    invalid(
        block_on(service.change_status(&"t".repeat(5_000), Status::Completed, None)).unwrap_err(),
        "task id is 5000 bytes long",
    );
    let stored = block_on(store.get(task)).unwrap().unwrap();
    assert_eq!(stored.status, Status::Pending);
    let dead = DeadLetters::new(store, clock, events);
    invalid(
        block_on(dead.retry(&"j".repeat(5_000), Actor::default())).unwrap_err(),
        "job id is 5000 bytes long",
    );
    let who = Actor {
        ip: Some("1".repeat(5_000)),
        ..Actor::default()
    };
    invalid(
        block_on(dead.discard("job-1", who)).unwrap_err(),
        "actor ip is 5000 bytes long",
    );
    let config = WorkerConfig {
        id: "w".repeat(5_000),
        ..WorkerConfig::default()
    };
    invalid(
        config.validate().unwrap_err(),
        "worker id is 5000 bytes long",
    );
}

#[test]
fn history_queries_limit_their_strings() {
    let query = RunQuery {
        scope: Some("s".repeat(5_000)),
        ..RunQuery::default()
    };
    invalid(query.validate().unwrap_err(), "scope is 5000 bytes long");
    let query = AuditQuery {
        entity_id: Some("e".repeat(5_000)),
        ..AuditQuery::default()
    };
    invalid(
        query.validate().unwrap_err(),
        "entity_id is 5000 bytes long",
    );
    let query = ItemQuery::first("r".repeat(5_000), 10);
    invalid(query.validate().unwrap_err(), "run id is 5000 bytes long");
}

#[test]
fn a_target_spec_becomes_a_target_only_within_the_limits() {
    let spec = |v: Value| input::from_value::<TargetSpec>("target", v).unwrap();
    let t =
        spec(json!({"name": "todo", "kind": "ms_todo", "maxAttempts": 3, "sources": ["files"]}))
            .into_target()
            .unwrap();
    assert_eq!(
        (t.max_attempts, t.sources.as_slice()),
        (Some(3), &["files".to_owned()][..])
    );
    for (bad, needle) in [
        (
            json!({"name": "", "kind": "ms_todo"}),
            "target `name` must not be empty",
        ),
        (
            json!({"name": "n".repeat(2_000), "kind": "ms_todo"}),
            "target name is 2000 bytes",
        ),
        (
            json!({"name": "t", "kind": "ms_todo", "max_attempts": 0}),
            "at least 1",
        ),
    ] {
        invalid(spec(bad).into_target().unwrap_err(), needle);
    }
}
