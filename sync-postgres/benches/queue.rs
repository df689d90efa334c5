//! The outbound queue on PostgreSQL through the core alone (no binding), the same work as the
//! Node bench in `bench/postgres`: N tasks in scopes of 100 are seeded (not timed); the enqueue
//! is one `StatusService::change_status` per task, 32 in flight; then two workers, each on its
//! own store (its own pool, as two processes would have), drain the queue with `Worker::run`,
//! timed until no job is pending or running. Modes: a provider answering at once, and one
//! failing each job's first two attempts (503) with a 1 ms backoff. Each mode gets a fresh
//! database (dropped at the end).
//!
//! `cargo bench -p sync-postgres --features testing --bench queue` (QUEUE_JOBS: N, default
//! 20,000; QUEUE_RUNS: runs, default 1; QUEUE_SCOPE: tasks per scope, default 100;
//! QUEUE_ORDER=scoped: see [`order`]; QUEUE_PROFILE=1: see [`profile`]; QUEUE_GATES=local: each worker keeps its own
//! breaker in memory instead of the store's shared one). Prints one line per run and mode; no assertions on
//! time, but the counts are checked.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use futures::StreamExt;
use futures::executor::block_on;
use futures::future::BoxFuture;
use sync_core::retry::{
    Backoff, BreakerConfig, JobQuery, JobState, JobStore, Sleep, StatusService, Target, Worker,
    WorkerConfig,
};
use sync_core::transition::{ProviderKind, StatusMapping};
use sync_core::{
    ChangeSet, DesiredTask, Listing, NullSink, ProviderClient, ProviderError, PushReceipt, Status,
    StatusPush, SystemClock, Task, TaskStore, TaskWrite,
};
use sync_postgres::PostgresStore;
use sync_postgres::testing::TestDatabase;

/// Tasks per scope (QUEUE_SCOPE, default 100).
fn scope_size() -> usize {
    env("QUEUE_SCOPE", 100).max(1)
}
const ENQUEUE_IN_FLIGHT: usize = 32;
const WORKERS: usize = 2;

/// Answers at once; with `fail_first`, each job's first two attempts fail (503).
struct Noop {
    fail_first: bool,
    calls: AtomicUsize,
    done: AtomicUsize,
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
        self.calls.fetch_add(1, Ordering::Relaxed);
        if self.fail_first && change.attempt <= 2 {
            return Err(ProviderError::Unavailable {
                provider: "todo".into(),
                status: 503,
                message: "busy".into(),
            });
        }
        self.done.fetch_add(1, Ordering::Relaxed);
        Ok(PushReceipt::default())
    }
}

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn connect(url: &str) -> Arc<PostgresStore> {
    Arc::new(block_on(PostgresStore::connect(url)).expect("connect"))
}

fn seed(store: &PostgresStore, n: usize) -> Vec<String> {
    let mut ids = Vec::with_capacity(n);
    for chunk in (0..n).collect::<Vec<_>>().chunks(1_000) {
        let tasks = chunk
            .iter()
            .map(|&i| {
                let desired =
                    DesiredTask::new(format!("t{i}"), format!("Task {i}")).status(Status::Pending);
                let task =
                    Task::from_desired(&format!("s{}", i / scope_size()), "todo", &desired, 0);
                ids.push(task.id.clone());
                TaskWrite::Insert { task }
            })
            .collect();
        block_on(store.apply(ChangeSet {
            tasks,
            ..ChangeSet::default()
        }))
        .expect("seed");
    }
    ids
}

/// The order of the status changes, as in the Node bench: by default (`spread`) one task of
/// each scope in turn, so the changes in flight are in different scopes; `QUEUE_ORDER=scoped`
/// goes through the tasks scope by scope, so the changes in flight contend for their scope.
fn order(ids: Vec<String>) -> Vec<String> {
    if std::env::var("QUEUE_ORDER").as_deref() == Ok("scoped") {
        return ids;
    }
    let size = scope_size();
    let scopes = ids.len().div_ceil(size);
    let mut spread = Vec::with_capacity(ids.len());
    for position in 0..size {
        for scope in 0..scopes {
            if let Some(id) = ids.get(scope * size + position) {
                spread.push(id.clone());
            }
        }
    }
    spread
}

/// `QUEUE_PROFILE=1`: before the run, the pieces of a status change timed one at a time
/// (sequential, `PROFILE_CALLS` each, on tasks the run then changes anyway): what one change
/// costs in store calls, without contention.
const PROFILE_CALLS: usize = 200;

fn profile(store: &PostgresStore, service: &StatusService, ids: &[String]) {
    let ids = &ids[..PROFILE_CALLS.min(ids.len())];
    let time = |label: &str, f: &dyn Fn(&String)| {
        let t = Instant::now();
        for id in ids {
            f(id);
        }
        let each = t.elapsed().as_secs_f64() * 1e6 / ids.len() as f64;
        println!("  profile: {label:<44} {each:8.0} us each");
    };
    time("get(task)", &|id| {
        block_on(store.get(id.clone())).expect("get");
    });
    let scope_of = |id: &String| {
        block_on(store.get(id.clone()))
            .expect("get")
            .expect("task")
            .scope
    };
    let scopes: Vec<String> = ids.iter().map(scope_of).collect();
    let next = std::cell::Cell::new(0);
    time("snapshot(scope)", &|_| {
        let scope = scopes[next.get()].clone();
        next.set(next.get() + 1);
        block_on(store.snapshot(scope)).expect("snapshot");
    });
    time("jobs(task, pending)", &|id| {
        block_on(store.jobs(JobQuery {
            state: Some(JobState::Pending),
            task_id: Some(id.clone()),
            ..JobQuery::default()
        }))
        .expect("jobs");
    });
    time("change_status (all of it, then the commit)", &|id| {
        block_on(service.change_status(id, Status::Completed, None)).expect("change");
    });
}

/// `QUEUE_PROFILE=1`, in a database of its own: what a status change of 1,000 tasks in one
/// change set would cost (each task's status update and its job insert, written as
/// `change_status` writes them, one set): the floor of a bulk status change, which the core
/// does not offer.
fn profile_bulk() {
    const TASKS: usize = 1_000;
    const SETS: usize = 5;
    let db = TestDatabase::create();
    let store = connect(&db.url);
    seed(&store, TASKS * SETS);
    let mut total = Duration::ZERO;
    for set in 0..SETS {
        let mut changes = ChangeSet::default();
        for scope in set * TASKS / scope_size()..(set + 1) * TASKS / scope_size() {
            let snapshot = block_on(store.snapshot(format!("s{scope}"))).expect("snapshot");
            for task in snapshot.tasks {
                let mut next = task.clone();
                next.status = Status::Completed;
                next.version += 1;
                let job = sync_core::Job {
                    id: sync_core::Job::key(&next.id, "todo", next.version),
                    task_id: next.id.clone(),
                    target: "todo".into(),
                    external_id: next.external_id.clone(),
                    kind: next.kind.clone(),
                    from: Status::Pending,
                    to: Status::Completed,
                    payload: serde_json::json!({"status": "completed"}),
                    undo: serde_json::json!({"status": "notStarted"}),
                    state: JobState::Pending,
                    attempts: 0,
                    max_attempts: Some(5),
                    version: 1,
                    lease: 0,
                    task_version: next.version,
                    run_at: 0,
                    lease_owner: None,
                    lease_until: None,
                    last_error: None,
                    result: None,
                    actor: None,
                    created_at: 0,
                    updated_at: 0,
                };
                changes.tasks.push(TaskWrite::Update {
                    expected_version: task.version,
                    task: next,
                });
                changes
                    .jobs
                    .push(sync_core::retry::JobWrite::Insert { job });
            }
        }
        let t = Instant::now();
        block_on(store.apply(changes)).expect("bulk set");
        total += t.elapsed();
    }
    println!(
        "  profile: one set of {TASKS} status updates + {TASKS} job inserts: {:.0} ms each ({:.0} status changes/s)",
        total.as_secs_f64() * 1e3 / SETS as f64,
        (TASKS * SETS) as f64 / total.as_secs_f64()
    );
}

fn unfinished(store: &PostgresStore) -> usize {
    [JobState::Pending, JobState::Running]
        .into_iter()
        .map(|state| {
            block_on(store.jobs(JobQuery {
                state: Some(state),
                limit: 1,
                ..JobQuery::default()
            }))
            .expect("jobs")
            .len()
        })
        .sum()
}

fn tokio_sleep() -> Arc<Sleep> {
    Arc::new(|ms| Box::pin(tokio::time::sleep(Duration::from_millis(ms))) as BoxFuture<'static, ()>)
}

/// One run of one mode: (enqueue, drain).
fn measure(n: usize, fail_first: bool) -> (Duration, Duration) {
    let db = TestDatabase::create();
    let store = connect(&db.url);
    let ids = order(seed(&store, n));
    let mut target = Target::new("todo", StatusMapping::new(ProviderKind::MsTodo));
    target.max_attempts = Some(5);
    let service = StatusService::new(store.clone(), Arc::new(SystemClock), Arc::new(NullSink))
        .with_target(target);
    let provider = Arc::new(Noop {
        fail_first,
        calls: AtomicUsize::new(0),
        done: AtomicUsize::new(0),
    });
    // The workers' stores are connected (and their pools warmed by a first, empty batch)
    // before the clock starts.
    let mut stops = Vec::new();
    let mut starts = Vec::new();
    let mut threads = Vec::new();
    for index in 0..WORKERS {
        let worker_store = connect(&db.url);
        let config = WorkerConfig {
            id: format!("bench-{index}"),
            batch: 512,
            concurrency: 64,
            backoff: Backoff {
                base_ms: 1,
                max_ms: 1,
                max_attempts: 5,
                ..Backoff::default()
            },
            breaker: BreakerConfig {
                failure_threshold: u32::MAX,
                ..BreakerConfig::default()
            },
            ..WorkerConfig::default()
        };
        let worker = Worker::new(
            worker_store.clone(),
            Arc::new(SystemClock),
            Arc::new(NullSink),
            config,
        )
        .expect("worker")
        .with_provider(provider.clone());
        // As the bindings do: the breaker and limiter state is the store's, shared by both
        // workers (QUEUE_GATES=local: each worker's own, in memory).
        let worker = if std::env::var("QUEUE_GATES").as_deref() == Ok("local") {
            worker
        } else {
            worker.with_gates(worker_store.clone())
        };
        block_on(worker.run_once()).expect("warm-up batch");
        let (start_tx, start_rx) = futures::channel::oneshot::channel::<()>();
        let (stop_tx, stop_rx) = futures::channel::oneshot::channel::<()>();
        starts.push(start_tx);
        stops.push(stop_tx);
        threads.push(std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let _ = start_rx.await;
                worker
                    .run(&*tokio_sleep(), async {
                        let _ = stop_rx.await;
                    })
                    .await
            })
        }));
    }

    let profiled = if std::env::var("QUEUE_PROFILE").as_deref() == Ok("1") {
        profile(&store, &service, &ids);
        profile_bulk();
        PROFILE_CALLS.min(n)
    } else {
        0
    };
    let t0 = Instant::now();
    block_on(
        futures::stream::iter(ids[profiled..].iter())
            .map(|id| service.change_status(id, Status::Completed, None))
            .buffer_unordered(ENQUEUE_IN_FLIGHT)
            .for_each(|report| {
                assert_eq!(report.expect("status change").jobs.len(), 1);
                futures::future::ready(())
            }),
    );
    let enqueue = t0.elapsed();
    let t1 = Instant::now();
    for start in starts {
        start.send(()).expect("start");
    }
    while provider.done.load(Ordering::Relaxed) < n {
        std::thread::sleep(Duration::from_millis(1));
    }
    while unfinished(&store) > 0 {
        std::thread::sleep(Duration::from_millis(1));
    }
    let drain = t1.elapsed();
    for stop in stops {
        stop.send(()).expect("stop");
    }
    let succeeded: usize = threads
        .into_iter()
        .map(|t| t.join().expect("worker thread").succeeded)
        .sum();
    let per_job = if fail_first { 3 } else { 1 };
    assert_eq!(succeeded, n, "every job succeeded once");
    assert_eq!(provider.calls.load(Ordering::Relaxed), n * per_job);
    (enqueue, drain)
}

fn main() {
    // `cargo bench` passes `--bench`; any other filter argument is ignored.
    let n = env("QUEUE_JOBS", 20_000);
    let runs = env("QUEUE_RUNS", 1);
    println!(
        "queue on PostgreSQL, core only: N={n}, scopes of {}, order {}, {WORKERS} workers (own stores), batch 512, 64 calls in flight, enqueue {ENQUEUE_IN_FLIGHT} in flight",
        scope_size(),
        std::env::var("QUEUE_ORDER").unwrap_or_else(|_| "spread".into()),
    );
    for run in 1..=runs {
        for (mode, fail_first) in [("noop", false), ("fail2", true)] {
            let (enqueue, drain) = measure(n, fail_first);
            let total = enqueue + drain;
            println!(
                "run {run} {mode:5}: enqueue {:6.0} ms, drain {:6.0} ms, {:6.0} jobs/s end to end ({:6.0} jobs/s drain)",
                enqueue.as_secs_f64() * 1e3,
                drain.as_secs_f64() * 1e3,
                n as f64 / total.as_secs_f64(),
                n as f64 / drain.as_secs_f64(),
            );
        }
    }
}
