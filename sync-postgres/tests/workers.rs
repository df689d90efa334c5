//! The core's workers on two instances of one PostgreSQL database, as on two machines: a
//! status change made through one instance wakes an idle worker on the other (its only wake-up
//! is the `NOTIFY`), and a 429 seen by one worker pauses the provider for the other through the
//! gates kept in the database.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use futures::executor::block_on;
use futures::future::BoxFuture;
use serde_json::json;
use sync_core::retry::WorkerConfig;
use sync_core::retry::{JobQuery, JobState, JobStore, Sleep, StatusService, Target, Worker};
use sync_core::transition::{ProviderKind, StatusMapping};
use sync_core::{
    ChangeSet, DesiredTask, Listing, ManualClock, NullSink, ProviderClient, ProviderError,
    PushReceipt, Status, StatusPush, Task, TaskStore, TaskWrite,
};
use sync_postgres::testing::TestDatabase;
use sync_postgres::{PostgresOptions, PostgresStore};

/// A provider answering every call with `answer`, recording the external ids it was sent.
struct Provider {
    calls: Mutex<Vec<String>>,
    answer: fn() -> Result<(), ProviderError>,
}

impl Provider {
    fn new(answer: fn() -> Result<(), ProviderError>) -> Arc<Self> {
        Arc::new(Provider {
            calls: Mutex::new(Vec::new()),
            answer,
        })
    }
    fn calls(&self) -> Vec<String> {
        self.calls.lock().unwrap().clone()
    }
}

#[async_trait]
impl ProviderClient for Provider {
    fn name(&self) -> String {
        "todo".into()
    }
    async fn list(&self, _scope: String) -> Result<Listing, ProviderError> {
        Ok(Listing::complete("todo", Vec::new()))
    }
    async fn push(&self, change: StatusPush) -> Result<PushReceipt, ProviderError> {
        self.calls.lock().unwrap().push(change.external_id.clone());
        (self.answer)().map(|()| PushReceipt { remote: json!({}) })
    }
}

fn connect(url: &str, listen: bool) -> Arc<PostgresStore> {
    let options = PostgresOptions {
        pool_size: 4,
        listen,
        ..PostgresOptions::default()
    };
    Arc::new(block_on(PostgresStore::connect_with(url, options)).expect("connect"))
}

/// Tasks `externals` in scope `inbox`, pending.
fn seed(store: &PostgresStore, externals: &[&str]) {
    let tasks = externals
        .iter()
        .map(|e| TaskWrite::Insert {
            task: Task::from_desired(
                "inbox",
                "todo",
                &DesiredTask::new(*e, format!("Task {e}")).status(Status::Pending),
                0,
            ),
        })
        .collect();
    block_on(store.apply(ChangeSet {
        tasks,
        ..ChangeSet::default()
    }))
    .expect("seed");
}

fn service(store: Arc<PostgresStore>, clock: Arc<ManualClock>) -> StatusService {
    StatusService::new(store, clock, Arc::new(NullSink)).with_target(Target::new(
        "todo",
        StatusMapping::new(ProviderKind::MsTodo),
    ))
}

fn complete(service: &StatusService, external: &str) {
    let id = Task::hub_id("todo", external);
    block_on(service.change_status(&id, Status::Completed, None)).expect("change status");
}

fn last_job(store: &PostgresStore, external: &str) -> sync_core::Job {
    let jobs = block_on(store.jobs(JobQuery {
        task_id: Some(Task::hub_id("todo", external)),
        ..JobQuery::default()
    }))
    .expect("jobs");
    jobs.into_iter().last().expect("a job for the task")
}

/// A sleep that never ends on its own: only a wake hint or `stop` ends an idle wait.
fn forever() -> Arc<Sleep> {
    Arc::new(|_| Box::pin(futures::future::pending()) as BoxFuture<'static, ()>)
}

#[test]
fn an_idle_worker_wakes_when_another_instance_enqueues() {
    let db = TestDatabase::create();
    let (a, b) = (connect(&db.url, false), connect(&db.url, true));
    let clock = Arc::new(ManualClock::new(1_000_000));
    seed(&a, &["a"]);
    let provider = Provider::new(|| Ok(()));
    let config = WorkerConfig {
        id: "b".into(),
        poll_ms: sync_core::retry::MAX_DELAY_MS,
        ..WorkerConfig::default()
    };
    let worker = Worker::new(b.clone(), clock.clone(), Arc::new(NullSink), config)
        .expect("worker")
        .with_provider(provider.clone())
        .with_gates(b.clone());
    let hint = b.wake_hint().expect("hint");
    assert!(hint.wait_since(0, Duration::from_secs(10)), "B listens");
    let (stop_tx, stop_rx) = futures::channel::oneshot::channel::<()>();
    let runner = std::thread::spawn(move || {
        block_on(worker.run(&*forever(), async {
            let _ = stop_rx.await;
        }))
    });
    // Let the worker go idle first (its sleep never ends: only a hint wakes it).
    std::thread::sleep(Duration::from_millis(200));
    complete(&service(a.clone(), clock), "a");
    for _ in 0..1_000 {
        if !provider.calls().is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(
        provider.calls(),
        vec!["a".to_owned()],
        "B's worker was woken"
    );
    stop_tx.send(()).expect("stop");
    let total = runner.join().expect("runner");
    assert_eq!(total.succeeded, 1);
    assert_eq!(last_job(&a, "a").state, JobState::Succeeded);
}

#[test]
fn a_429_on_one_instance_pauses_the_provider_for_the_other() {
    let db = TestDatabase::create();
    let (a, b) = (connect(&db.url, false), connect(&db.url, false));
    let clock = Arc::new(ManualClock::new(1_000_000));
    seed(&a, &["a", "b"]);
    let limited = Provider::new(|| {
        Err(ProviderError::RateLimited {
            provider: "todo".into(),
            retry_after_ms: 60_000,
        })
    });
    let other = Provider::new(|| Ok(()));
    let worker = |id: &str, store: &Arc<PostgresStore>, provider: Arc<Provider>| {
        let config = WorkerConfig {
            id: id.into(),
            batch: 1,
            ..WorkerConfig::default()
        };
        Worker::new(store.clone(), clock.clone(), Arc::new(NullSink), config)
            .expect("worker")
            .with_provider(provider)
            .with_gates(store.clone())
    };
    let wa = worker("a", &a, limited.clone());
    let wb = worker("b", &b, other.clone());
    let statuses = service(a.clone(), clock.clone());
    complete(&statuses, "a");
    complete(&statuses, "b");
    let tick = block_on(wa.run_once()).expect("tick a");
    assert_eq!((tick.claimed, tick.retried), (1, 1), "A was rate limited");
    let tick = block_on(wb.run_once()).expect("tick b");
    assert_eq!(tick.claimed, 1);
    assert!(other.calls().is_empty(), "B called a paused provider");
    let deferred = last_job(&b, "b");
    assert_eq!(
        (deferred.state, deferred.attempts, deferred.run_at),
        (JobState::Pending, 0, 1_000_000 + 60_000),
        "deferred until the Retry-After, no attempt burnt"
    );
}
