//! A status change in the hub delivered to a provider by the worker, on the SQLite store: the
//! new status and its sync job are one atomic write (the outbox); the provider, implemented
//! here, fails the first delivery with a 503; the worker retries it after the 1 s backoff (on a
//! hand-moved clock, so the example does not wait) and the task's sync status becomes `synced`.
//!
//! ```sh
//! cargo run -p sync-sqlite --example status_worker
//! ```
//!
//! The hub database lives in a temporary directory. Exits non-zero when anything is wrong.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use sync_core::retry::Target;
use sync_core::transition::{ProviderKind, StatusMapping};
use sync_core::{
    Clock, DesiredTask, JobState, JobStore, Listing, ManualClock, NullSink, Policy, ProviderClient,
    ProviderError, PushReceipt, Status, StatusPush, StatusService, SyncEngine, SyncStatus, Task,
    Worker, WorkerConfig,
};
use sync_sqlite::SqliteStore;

type Failure = Box<dyn std::error::Error>;

/// A to-do service that is down for its first call, then applies every change it receives.
struct TodoService {
    calls: Mutex<Vec<StatusPush>>,
}

#[async_trait]
impl ProviderClient for TodoService {
    fn name(&self) -> String {
        "todo".into()
    }

    async fn list(&self, _scope: String) -> Result<Listing, ProviderError> {
        Ok(Listing::complete("todo", Vec::new()))
    }

    async fn push(&self, change: StatusPush) -> Result<PushReceipt, ProviderError> {
        let mut calls = self.calls.lock().unwrap_or_else(|p| p.into_inner());
        calls.push(change.clone());
        if calls.len() == 1 {
            return Err(ProviderError::Unavailable {
                provider: "todo".into(),
                status: 503,
                message: "down for maintenance".into(),
            });
        }
        Ok(PushReceipt {
            remote: change.payload,
        })
    }
}

fn check(ok: bool, what: &str) -> Result<(), Failure> {
    if ok { Ok(()) } else { Err(what.into()) }
}

fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Failure> {
    let work = tempfile::tempdir()?;
    let store = Arc::new(SqliteStore::open(work.path().join("hub.db"))?);
    let clock = Arc::new(ManualClock::new(1_700_000_000_000));
    let events = Arc::new(NullSink);
    let todo = Arc::new(TodoService {
        calls: Mutex::new(Vec::new()),
    });

    futures::executor::block_on(async {
        // One pending task from the to-do service, synced into the hub.
        let listing = Listing::complete(
            "todo",
            vec![DesiredTask::new("buy-milk", "Buy milk").status(Status::Pending)],
        );
        let engine = SyncEngine::new(store.clone()).with_clock(clock.clone());
        let plan = engine.preview("home", &listing, &Policy::default()).await?;
        engine.execute(&plan, true).await?;
        let task_id = Task::hub_id("todo", "buy-milk");

        // Start it in the hub: status and sync job in one change set.
        let service = StatusService::new(store.clone(), clock.clone(), events.clone()).with_target(
            Target::new("todo", StatusMapping::new(ProviderKind::MsTodo)),
        );
        let report = service
            .change_status(&task_id, Status::InProgress, Some("ana"))
            .await?;
        let job = report.jobs.first().ok_or("a job is queued")?;
        println!(
            "status changed to in_progress; job {} queued for `{}` with payload {}",
            job.id, job.target, job.payload
        );

        let worker = Worker::new(
            store.clone(),
            clock.clone(),
            events,
            WorkerConfig::default(),
        )?
        .with_provider(todo.clone());
        let tick = worker.run_once().await?;
        println!(
            "first delivery: {} claimed, {} retried (the service answered 503)",
            tick.claimed, tick.retried
        );
        check(tick.retried == 1, "the 503 is retried")?;
        let wake = worker.next_wake().await?.ok_or("the retry is scheduled")?;
        println!("retry due in {} ms", wake - clock.now_ms());
        clock.set(wake);

        let tick = worker.run_once().await?;
        println!("second delivery: {} succeeded", tick.succeeded);
        check(tick.succeeded == 1, "the retry succeeds")?;
        let job = store.job(job.id.clone()).await?.ok_or("the job is kept")?;
        println!(
            "job {} is {} after {} attempts",
            job.id,
            job.state.as_str(),
            job.attempts
        );
        check(job.state == JobState::Succeeded, "the job succeeded")?;
        let status = sync_core::retry::sync_status(&*store, &task_id).await?;
        println!("sync status: {status:?}");
        check(
            status == vec![("todo".to_owned(), SyncStatus::Synced)],
            "the task is synced",
        )?;
        let calls = todo.calls.lock().unwrap_or_else(|p| p.into_inner());
        check(
            calls.len() == 2 && calls[0].idempotency_key == calls[1].idempotency_key,
            "both attempts carry the job's idempotency key",
        )?;
        println!(
            "the service received {} calls with one idempotency key",
            calls.len()
        );
        Ok(())
    })
}
