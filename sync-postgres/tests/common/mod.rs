//! Fixtures shared by the PostgreSQL store's tests: tasks, jobs and the change sets that
//! write them, and stores on one test database as separate instances.
#![allow(dead_code)]

use serde_json::json;
use sync_core::retry::{Job, JobState, JobWrite};
use sync_core::{ChangeSet, DesiredTask, Status, Task, TaskWrite};
use sync_postgres::{PostgresOptions, PostgresStore};

/// Task `n` of scope `q`.
pub(crate) fn task(n: usize) -> Task {
    let desired = DesiredTask::new(format!("ext-{n}"), format!("Task {n} ✓"))
        .status(Status::Completed)
        .field("n", n);
    Task::from_desired("q", "todo", &desired, 1_000)
}

/// A pending job for `task` carrying its version `task_version`, due at `run_at`.
pub(crate) fn job(task: &Task, task_version: u64, run_at: i64) -> Job {
    Job {
        id: Job::key(&task.id, "todo", task_version),
        task_id: task.id.clone(),
        target: "todo".into(),
        external_id: task.external_id.clone(),
        kind: task.kind.clone(),
        from: Status::Pending,
        to: Status::Completed,
        payload: json!({"status": "completed"}),
        undo: json!({"status": "notStarted"}),
        state: JobState::Pending,
        attempts: 0,
        max_attempts: None,
        version: 1,
        lease: 0,
        task_version,
        run_at,
        lease_owner: None,
        lease_until: None,
        last_error: None,
        result: None,
        actor: None,
        created_at: run_at,
        updated_at: run_at,
    }
}

/// The set inserting `tasks` with one pending job each (due at 0).
pub(crate) fn seed(tasks: &[Task]) -> ChangeSet {
    ChangeSet {
        guards: Vec::new(),
        tasks: tasks
            .iter()
            .map(|t| TaskWrite::Insert { task: t.clone() })
            .collect(),
        jobs: tasks
            .iter()
            .map(|t| JobWrite::Insert { job: job(t, 2, 0) })
            .collect(),
    }
}

/// A second instance on the database of `url` (a pool and runtime of its own).
pub(crate) fn instance(url: &str, listen: bool) -> PostgresStore {
    let options = PostgresOptions {
        pool_size: 4,
        listen,
        ..PostgresOptions::default()
    };
    futures::executor::block_on(PostgresStore::connect_with(url, options))
        .expect("connect another instance")
}

/// The first column of the first row `sql` returns on the database of `url`, as an `i64`
/// (a connection and runtime of its own).
pub(crate) fn query_i64(url: &str, sql: &str) -> i64 {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
            .await
            .expect("connect");
        let driver = tokio::spawn(connection);
        let row = client.query_one(sql, &[]).await.expect("query");
        let value: i64 = row.get(0);
        drop(client);
        let _ = driver.await;
        value
    })
}
