//! Workers sharing one store: one breaker and one rate limit per provider across instances
//! (a 429 seen by one pauses the provider for all), heartbeats that keep a long call's job,
//! and the loop that an enqueue wakes at once and a failing store does not stop.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::Poll;

use async_trait::async_trait;
use futures::executor::block_on;
use futures::future::BoxFuture;
use serde_json::json;
use sync_core::retry::{
    BreakerConfig, JobQuery, JobState, JobStore, RateLimiterConfig, Sleep, StatusService, Target,
    Worker, WorkerConfig,
};
use sync_core::transition::{ProviderKind, StatusMapping};
use sync_core::{
    ChangeSet, Clock, DesiredTask, Listing, ManualClock, MemoryStore, NullSink, ProviderClient,
    ProviderError, PushReceipt, Status, StatusPush, Task, TaskStore, TaskWrite,
};

/// How the provider answers a call, by external id.
type Answer = Box<dyn Fn(&str) -> Result<(), ProviderError> + Send + Sync>;

/// A provider answering every call with `answer` (by external id), counting calls.
struct Provider {
    calls: Mutex<Vec<String>>,
    answer: Answer,
    /// When set, a call lasts until the clock reaches its start plus this many ms.
    takes_ms: Option<(Arc<ManualClock>, i64)>,
}

impl Provider {
    fn new(answer: impl Fn(&str) -> Result<(), ProviderError> + Send + Sync + 'static) -> Self {
        Provider {
            calls: Mutex::new(Vec::new()),
            answer: Box::new(answer),
            takes_ms: None,
        }
    }
    fn ok() -> Self {
        Provider::new(|_| Ok(()))
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
        if let Some((clock, takes)) = &self.takes_ms {
            let until = clock.now_ms() + takes;
            futures::future::poll_fn(|cx| {
                if clock.now_ms() >= until {
                    Poll::Ready(())
                } else {
                    cx.waker().wake_by_ref();
                    Poll::Pending
                }
            })
            .await;
        }
        (self.answer)(&change.external_id).map(|()| PushReceipt { remote: json!({}) })
    }
}

fn unavailable() -> ProviderError {
    ProviderError::Unavailable {
        provider: "todo".into(),
        status: 503,
        message: "down".into(),
    }
}

struct Hub {
    store: Arc<MemoryStore>,
    clock: Arc<ManualClock>,
    service: StatusService,
}

fn hub(tasks: &[&str]) -> Hub {
    let store = Arc::new(MemoryStore::new());
    let clock = Arc::new(ManualClock::new(1_000_000));
    let inserts = tasks
        .iter()
        .map(|id| {
            let d = DesiredTask::new(*id, format!("Task {id}")).status(Status::Pending);
            TaskWrite::Insert {
                task: Task::from_desired("inbox", "todo", &d, 0),
            }
        })
        .collect();
    block_on(store.apply(ChangeSet {
        tasks: inserts,
        ..ChangeSet::default()
    }))
    .unwrap();
    let service = StatusService::new(store.clone(), clock.clone(), Arc::new(NullSink)).with_target(
        Target::new("todo", StatusMapping::new(ProviderKind::MsTodo)),
    );
    Hub {
        store,
        clock,
        service,
    }
}

impl Hub {
    fn complete(&self, external: &str) {
        let id = Task::hub_id("todo", external);
        block_on(self.service.change_status(&id, Status::Completed, None)).unwrap();
    }
    /// A worker named `id`; `shared`: its gates are the store's.
    fn worker(
        &self,
        id: &str,
        config: WorkerConfig,
        provider: Arc<Provider>,
        shared: bool,
    ) -> Worker {
        let config = WorkerConfig {
            id: id.into(),
            ..config
        };
        let worker = Worker::new(
            self.store.clone(),
            self.clock.clone(),
            Arc::new(NullSink),
            config,
        )
        .unwrap()
        .with_provider(provider);
        if shared {
            worker.with_gates(self.store.clone())
        } else {
            worker
        }
    }
    fn job_of(&self, external: &str) -> sync_core::Job {
        let jobs = block_on(self.store.jobs(JobQuery {
            task_id: Some(Task::hub_id("todo", external)),
            ..JobQuery::default()
        }))
        .unwrap();
        jobs.into_iter().last().expect("a job for the task")
    }
}

fn one_at_a_time() -> WorkerConfig {
    WorkerConfig {
        batch: 1,
        ..WorkerConfig::default()
    }
}

/// A 429 seen by A holds B back (shared), and does not when each keeps its own gates.
fn pause_reaches_the_other_worker(shared: bool) -> (Vec<String>, sync_core::Job, i64) {
    let h = hub(&["a", "b"]);
    let limited = Arc::new(Provider::new(|_| {
        Err(ProviderError::RateLimited {
            provider: "todo".into(),
            retry_after_ms: 60_000,
        })
    }));
    let other = Arc::new(Provider::ok());
    let a = h.worker("a", one_at_a_time(), limited.clone(), shared);
    let b = h.worker("b", one_at_a_time(), other.clone(), shared);
    h.complete("a");
    h.complete("b");
    let tick = block_on(a.run_once()).unwrap();
    assert_eq!(
        (tick.claimed, tick.retried),
        (1, 1),
        "A's call was rate limited"
    );
    let tick = block_on(b.run_once()).unwrap();
    assert_eq!(tick.claimed, 1);
    (other.calls(), h.job_of("b"), h.clock.now_ms())
}

#[test]
fn a_429_seen_by_one_worker_pauses_the_provider_for_the_other() {
    let (calls, job, now) = pause_reaches_the_other_worker(true);
    assert!(calls.is_empty(), "B called a paused provider: {calls:?}");
    assert_eq!(job.state, JobState::Pending);
    assert_eq!(job.attempts, 0, "a deferral burns no attempt");
    assert_eq!(job.run_at, now + 60_000, "deferred until the Retry-After");
    // Without shared gates, B knows nothing of the pause: the test can fail.
    let (calls, job, _) = pause_reaches_the_other_worker(false);
    assert_eq!(calls, vec!["b".to_owned()]);
    assert_eq!(job.state, JobState::Succeeded);
}

#[test]
fn failures_seen_by_two_workers_open_the_breaker_for_both() {
    let h = hub(&["a", "b", "c"]);
    let config = WorkerConfig {
        breaker: BreakerConfig {
            failure_threshold: 2,
            open_ms: 30_000,
        },
        ..one_at_a_time()
    };
    let down_a = Arc::new(Provider::new(|_| Err(unavailable())));
    let down_b = Arc::new(Provider::new(|_| Err(unavailable())));
    let a = h.worker("a", config.clone(), down_a.clone(), true);
    let b = h.worker("b", config, down_b.clone(), true);
    for t in ["a", "b", "c"] {
        h.complete(t);
    }
    block_on(a.run_once()).unwrap();
    block_on(b.run_once()).unwrap();
    assert_eq!(down_a.calls().len() + down_b.calls().len(), 2);
    // Two distinct jobs failed, one per worker: the shared breaker is open for both.
    let tick = block_on(a.run_once()).unwrap();
    assert_eq!((tick.claimed, tick.deferred), (1, 1), "{tick:?}");
    assert_eq!(down_a.calls(), vec!["a".to_owned()], "no call while open");
    assert_eq!(h.job_of("c").run_at, h.clock.now_ms() + 30_000);
}

#[test]
fn a_rate_limit_holds_across_workers() {
    let h = hub(&["1", "2", "3", "4", "5", "6"]);
    let config = WorkerConfig {
        batch: 3,
        limiter: Some(RateLimiterConfig {
            per_second: 1.0,
            burst: 2,
        }),
        ..WorkerConfig::default()
    };
    let pa = Arc::new(Provider::ok());
    let pb = Arc::new(Provider::ok());
    let a = h.worker("a", config.clone(), pa.clone(), true);
    let b = h.worker("b", config, pb.clone(), true);
    for t in ["1", "2", "3", "4", "5", "6"] {
        h.complete(t);
    }
    let ta = block_on(a.run_once()).unwrap();
    let tb = block_on(b.run_once()).unwrap();
    assert_eq!(
        pa.calls().len() + pb.calls().len(),
        2,
        "burst 2 for both together"
    );
    assert_eq!(
        (ta.succeeded, ta.deferred, tb.succeeded, tb.deferred),
        (2, 1, 0, 3)
    );
    // A second later one more token is there, for whichever worker asks first.
    h.clock.advance(1_000);
    let tb = block_on(b.run_once()).unwrap();
    assert_eq!(tb.succeeded, 1, "{tb:?}");
}

/// A sleep on the manual clock: advances it and yields once.
fn manual_sleep(clock: Arc<ManualClock>) -> Arc<Sleep> {
    Arc::new(move |ms| {
        let clock = clock.clone();
        let mut yielded = false;
        Box::pin(futures::future::poll_fn(move |cx| {
            if yielded {
                return Poll::Ready(());
            }
            yielded = true;
            clock.advance(i64::try_from(ms).unwrap());
            cx.waker().wake_by_ref();
            Poll::Pending
        })) as BoxFuture<'static, ()>
    })
}

/// A call three leases long, while worker B keeps trying to claim: with heartbeats A keeps
/// the job; without, B takes it over and A's late result is dropped.
fn long_call(beating: bool) -> (usize, usize, sync_core::Job) {
    let h = hub(&["slow"]);
    let config = WorkerConfig {
        lease_ms: 3_000,
        ..WorkerConfig::default()
    };
    let slow = Arc::new(Provider {
        takes_ms: Some((h.clock.clone(), 9_000)),
        ..Provider::ok()
    });
    let fast = Arc::new(Provider::ok());
    let a = h.worker("a", config.clone(), slow, true);
    let b = h.worker("b", config, fast.clone(), true);
    h.complete("slow");
    let stolen = AtomicUsize::new(0);
    // B polls for work on every step of A's sleeps (same thread, interleaved).
    let sleep_clock = h.clock.clone();
    let b_ref = &b;
    let stolen_ref = &stolen;
    let sleep: Arc<Sleep> = {
        let inner = manual_sleep(sleep_clock);
        Arc::new(move |ms| inner(ms))
    };
    let tick = block_on(async {
        let run = async {
            if beating {
                a.run_once_beating(&*sleep).await
            } else {
                a.run_once().await
            }
        };
        let mut run = std::pin::pin!(run);
        loop {
            if let Some(tick) = futures::FutureExt::now_or_never(&mut run) {
                return tick;
            }
            if !beating {
                h.clock.advance(500);
            }
            let t = b_ref.run_once().await.unwrap();
            stolen_ref.fetch_add(t.claimed, Ordering::SeqCst);
        }
    })
    .unwrap();
    let _ = &fast;
    (
        tick.lease_lost,
        stolen.load(Ordering::SeqCst),
        h.job_of("slow"),
    )
}

#[test]
fn heartbeats_keep_a_long_call_s_job() {
    let (lost, stolen, job) = long_call(true);
    assert_eq!(
        (lost, stolen),
        (0, 0),
        "B took a job whose worker was alive"
    );
    assert_eq!(job.state, JobState::Succeeded);
    assert_eq!(job.attempts, 1);
    // Without heartbeats the job is recovered by B and A's late result changes nothing.
    let (lost, stolen, job) = long_call(false);
    assert_eq!((lost, stolen), (1, 1));
    assert_eq!(
        (job.state, job.lease),
        (JobState::Succeeded, 2),
        "B finished it"
    );
}

/// A sleep that never ends on its own: only a wake hint or `stop` ends an idle wait.
fn forever() -> Arc<Sleep> {
    Arc::new(|_| Box::pin(futures::future::pending()) as BoxFuture<'static, ()>)
}

#[test]
fn an_idle_worker_wakes_when_a_status_change_enqueues_a_job() {
    let h = Arc::new(hub(&["a"]));
    let provider = Arc::new(Provider::ok());
    let config = WorkerConfig {
        poll_ms: sync_core::retry::MAX_DELAY_MS,
        ..WorkerConfig::default()
    };
    let worker = Arc::new(h.worker("w", config, provider.clone(), true));
    let (stop_tx, stop_rx) = futures::channel::oneshot::channel::<()>();
    let runner = {
        let worker = worker.clone();
        std::thread::spawn(move || {
            block_on(worker.run(&*forever(), async {
                let _ = stop_rx.await;
            }))
        })
    };
    // The worker is idle with a sleep that never ends: only the enqueue can wake it.
    h.complete("a");
    for _ in 0..1_000 {
        if !provider.calls().is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert_eq!(
        provider.calls(),
        vec!["a".to_owned()],
        "the enqueue woke the worker"
    );
    stop_tx.send(()).unwrap();
    let total = runner.join().unwrap();
    assert_eq!(total.succeeded, 1);
    assert_eq!(h.job_of("a").state, JobState::Succeeded);
}

/// A store whose first `fail` claims fail (the database is restarting).
struct Flaky {
    inner: Arc<MemoryStore>,
    fail: AtomicUsize,
}

#[async_trait]
impl TaskStore for Flaky {
    async fn snapshot(&self, s: String) -> Result<sync_core::ScopeSnapshot, sync_core::StoreError> {
        self.inner.snapshot(s).await
    }
    async fn scope_version(&self, s: String) -> Result<u64, sync_core::StoreError> {
        self.inner.scope_version(s).await
    }
    async fn get(&self, id: String) -> Result<Option<Task>, sync_core::StoreError> {
        TaskStore::get(&*self.inner, id).await
    }
    async fn find_identities(
        &self,
        source: String,
        ids: Vec<String>,
    ) -> Result<Vec<sync_core::Identity>, sync_core::StoreError> {
        self.inner.find_identities(source, ids).await
    }
    async fn apply(&self, c: ChangeSet) -> Result<sync_core::Applied, sync_core::StoreError> {
        self.inner.apply(c).await
    }
}

#[async_trait]
impl JobStore for Flaky {
    async fn claim(
        &self,
        owner: String,
        now: i64,
        lease_ms: u64,
        limit: usize,
    ) -> Result<Vec<sync_core::Job>, sync_core::StoreError> {
        if self
            .fail
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
        {
            return Err(sync_core::StoreError::Backend("connection refused".into()));
        }
        self.inner.claim(owner, now, lease_ms, limit).await
    }
    async fn job(&self, id: String) -> Result<Option<sync_core::Job>, sync_core::StoreError> {
        self.inner.job(id).await
    }
    async fn jobs(&self, q: JobQuery) -> Result<Vec<sync_core::Job>, sync_core::StoreError> {
        self.inner.jobs(q).await
    }
    async fn next_due(&self) -> Result<Option<i64>, sync_core::StoreError> {
        self.inner.next_due().await
    }
}

#[test]
fn the_loop_outlives_store_failures_and_stops_when_asked() {
    let h = hub(&["a"]);
    h.complete("a");
    let flaky = Arc::new(Flaky {
        inner: h.store.clone(),
        fail: AtomicUsize::new(3),
    });
    let provider = Arc::new(Provider::ok());
    let worker = Worker::new(
        flaky.clone(),
        h.clock.clone(),
        Arc::new(NullSink),
        WorkerConfig::default(),
    )
    .unwrap()
    .with_provider(provider.clone());
    let pauses = Arc::new(Mutex::new(Vec::new()));
    let sleep: Arc<Sleep> = {
        let (clock, pauses) = (h.clock.clone(), pauses.clone());
        Arc::new(move |ms| {
            pauses.lock().unwrap().push(ms);
            clock.advance(i64::try_from(ms).unwrap());
            Box::pin(futures::future::ready(())) as BoxFuture<'static, ()>
        })
    };
    // Stops once the provider got its call.
    let delivered = futures::future::poll_fn(|cx| {
        if provider.calls().is_empty() {
            cx.waker().wake_by_ref();
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    });
    let total = block_on(worker.run(&*sleep, delivered));
    assert_eq!(total.succeeded, 1, "{total:?}");
    assert_eq!(
        &pauses.lock().unwrap()[..3],
        &[100, 200, 400],
        "pauses double"
    );
    assert_eq!(flaky.fail.load(Ordering::SeqCst), 0);
    assert_eq!(h.job_of("a").state, JobState::Succeeded);
}
