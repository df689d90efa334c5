//! Queue throughput (jobs per second through a worker with a no-op provider, and with one that
//! fails twice before succeeding), in memory and on SQLite; and the latency from a status
//! change to its provider call (p50/p99, printed from a separate timing loop).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use futures::executor::block_on;
use sync_core::retry::{
    Backoff, BreakerConfig, Job, JobState, QueueStore, StatusService, Target, Worker, WorkerConfig,
};
use sync_core::transition::{ProviderKind, StatusMapping};
use sync_core::{
    ChangeSet, Clock, DesiredTask, Listing, ManualClock, MemoryStore, NullSink, ProviderClient,
    ProviderError, PushReceipt, Status, StatusPush, SystemClock, Task, TaskWrite,
};
use sync_sqlite::SqliteStore;

const JOBS: usize = 20_000;

/// Answers every call at once; with `fail_first`, each job's first two attempts fail (503).
struct Noop {
    fail_first: bool,
    calls: AtomicU64,
    /// When the last call arrived (latency runs).
    last_call: Mutex<Option<Instant>>,
}

#[async_trait]
impl ProviderClient for Noop {
    fn name(&self) -> String {
        "todo".into()
    }
    async fn list(&self, _scope: String) -> Result<Listing, ProviderError> {
        Ok(Listing::complete("todo", Vec::new()))
    }
    async fn push(&self, change: StatusPush) -> Result<PushReceipt, ProviderError> {
        *self.last_call.lock().unwrap() = Some(Instant::now());
        self.calls.fetch_add(1, Ordering::Relaxed);
        if self.fail_first && change.attempt <= 2 {
            return Err(ProviderError::Unavailable {
                provider: "todo".into(),
                status: 503,
                message: "busy".into(),
            });
        }
        Ok(PushReceipt::default())
    }
}

fn job(i: usize) -> Job {
    let task_id = Task::hub_id("todo", &format!("t{i}"));
    Job {
        id: Job::key(&task_id, "todo", 2),
        task_id,
        target: "todo".into(),
        external_id: format!("t{i}"),
        kind: "task".into(),
        from: Status::Pending,
        to: Status::Completed,
        payload: serde_json::json!({"status": "completed"}),
        undo: serde_json::json!({"status": "notStarted"}),
        state: JobState::Pending,
        attempts: 0,
        max_attempts: Some(5),
        version: 1,
        lease: 0,
        task_version: 2,
        run_at: 0,
        lease_owner: None,
        lease_until: None,
        last_error: None,
        result: None,
        actor: None,
        created_at: 0,
        updated_at: 0,
    }
}

fn enqueue(store: &dyn QueueStore, n: usize) {
    for chunk in (0..n).collect::<Vec<_>>().chunks(1_000) {
        let jobs = chunk
            .iter()
            .map(|&i| sync_core::retry::JobWrite::Insert { job: job(i) })
            .collect();
        block_on(store.apply(ChangeSet {
            jobs,
            ..ChangeSet::default()
        }))
        .unwrap();
    }
}

/// Drains `n` enqueued jobs; the clock jumps over backoff waits so only work is timed.
fn drain(store: Arc<dyn QueueStore>, fail_first: bool) -> Duration {
    let clock = Arc::new(ManualClock::new(0));
    let provider = Arc::new(Noop {
        fail_first,
        calls: AtomicU64::new(0),
        last_call: Mutex::new(None),
    });
    let config = WorkerConfig {
        batch: 512,
        concurrency: 64,
        backoff: Backoff {
            base_ms: 1,
            max_ms: 1,
            ..Backoff::default()
        },
        // Every job failing twice would open the breaker: this measures retries, not breaking.
        breaker: BreakerConfig {
            failure_threshold: u32::MAX,
            ..BreakerConfig::default()
        },
        ..WorkerConfig::default()
    };
    let worker = Worker::new(store, clock.clone(), Arc::new(NullSink), config)
        .unwrap()
        .with_provider(provider);
    let start = Instant::now();
    let mut done = 0;
    while done < JOBS {
        let tick = block_on(worker.run_once()).unwrap();
        done += tick.succeeded;
        if tick.claimed == 0 {
            let next = block_on(worker.next_wake()).unwrap().expect("jobs left");
            clock.set(next.max(clock.now_ms()));
        }
    }
    start.elapsed()
}

fn sqlite(dir: &tempfile::TempDir, name: &str) -> Arc<SqliteStore> {
    let path = dir.path().join(name);
    let _ = std::fs::remove_file(&path);
    Arc::new(SqliteStore::open(path).unwrap())
}

fn throughput(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let mut group = c.benchmark_group("queue_jobs");
    group.throughput(Throughput::Elements(JOBS as u64));
    group.sample_size(10);
    for fail_first in [false, true] {
        let label = if fail_first { "fail_twice" } else { "noop" };
        group.bench_function(format!("memory/{label}"), |b| {
            b.iter_custom(|iters| {
                (0..iters)
                    .map(|_| {
                        let store = Arc::new(MemoryStore::new());
                        enqueue(&*store, JOBS);
                        drain(store, fail_first)
                    })
                    .sum()
            })
        });
        group.bench_function(format!("sqlite_file/{label}"), |b| {
            b.iter_custom(|iters| {
                (0..iters)
                    .map(|i| {
                        let store = sqlite(&dir, &format!("q{i}.db"));
                        enqueue(&*store, JOBS);
                        drain(store, fail_first)
                    })
                    .sum()
            })
        });
    }
    group.finish();
}

/// Status change → provider call, one at a time on an idle queue (what a user clicking
/// "complete" waits for before the provider hears of it, minus the host's polling delay).
fn latency(store: Arc<dyn QueueStore>, label: &str) {
    let inserts = (0..2_000)
        .map(|i| {
            let d = DesiredTask::new(format!("t{i}"), format!("Task {i}")).status(Status::Pending);
            TaskWrite::Insert {
                task: Task::from_desired(&format!("s{}", i % 100), "todo", &d, 0),
            }
        })
        .collect();
    block_on(store.apply(ChangeSet {
        tasks: inserts,
        ..ChangeSet::default()
    }))
    .unwrap();
    let service =
        StatusService::new(store.clone(), Arc::new(SystemClock), Arc::new(NullSink)).with_target(
            Target::new("todo", StatusMapping::new(ProviderKind::MsTodo)),
        );
    let provider = Arc::new(Noop {
        fail_first: false,
        calls: AtomicU64::new(0),
        last_call: Mutex::new(None),
    });
    let worker = Worker::new(
        store,
        Arc::new(SystemClock),
        Arc::new(NullSink),
        WorkerConfig::default(),
    )
    .unwrap()
    .with_provider(provider.clone());
    let mut samples: Vec<Duration> = (0..2_000)
        .map(|i| {
            let start = Instant::now();
            let id = Task::hub_id("todo", &format!("t{i}"));
            block_on(service.change_status(&id, Status::InProgress, None)).unwrap();
            block_on(worker.run_once()).unwrap();
            provider.last_call.lock().unwrap().expect("called") - start
        })
        .collect();
    samples.sort();
    let pct = |p: usize| samples[samples.len() * p / 100 - 1];
    println!(
        "status_to_call/{label}: p50 {:?}, p99 {:?}, max {:?}",
        pct(50),
        pct(99),
        samples[samples.len() - 1]
    );
}

fn status_to_call(_c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    latency(Arc::new(MemoryStore::new()), "memory");
    latency(sqlite(&dir, "latency.db"), "sqlite_file");
}

criterion_group!(benches, throughput, status_to_call);
criterion_main!(benches);
