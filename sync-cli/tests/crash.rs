//! The crash test: worker processes on one SQLite file are killed (SIGKILL) at random moments,
//! many times, over a few thousand jobs. Afterwards no job is lost (every one succeeded and
//! reached the provider), none is stuck (nothing pending or running), and none was applied
//! twice: the journal provider is idempotent by key, and every repeated call is a recovered
//! lease of a killed worker.

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use futures::executor::block_on;
use sync_core::retry::{JobQuery, JobState, JobStore, StatusService, Target};
use sync_core::transition::{ProviderKind, StatusMapping};
use sync_core::{
    ChangeSet, DesiredTask, NullSink, Status, SystemClock, Task, TaskStore, TaskWrite,
};
use sync_sqlite::SqliteStore;

const JOBS: usize = 2_000;
const KILLS: usize = 30;

fn worker(db: &Path, journal: &Path, id: &str, until_idle: bool) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tasksync"));
    cmd.arg("--db")
        .arg(db)
        .arg("worker")
        .arg("--provider")
        .arg(format!("todo=journal:{}", journal.display()))
        .args(["--id", id, "--lease-ms", "300", "--batch", "16"])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if until_idle {
        cmd.arg("--until-idle");
    }
    cmd
}

/// A small deterministic generator (xorshift) for the kill moments.
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[test]
fn killed_workers_lose_nothing_and_apply_nothing_twice() {
    let dir = tempfile::tempdir().unwrap();
    let (db, journal) = (dir.path().join("hub.db"), dir.path().join("journal.db"));
    {
        let store = Arc::new(SqliteStore::open(&db).unwrap());
        let inserts = (0..JOBS)
            .map(|i| {
                let d =
                    DesiredTask::new(format!("t{i}"), format!("Task {i}")).status(Status::Pending);
                // Small scopes keep each status change's read of its scope cheap.
                let scope = format!("s{}", i % 50);
                TaskWrite::Insert {
                    task: Task::from_desired(&scope, "todo", &d, 0),
                }
            })
            .collect();
        block_on(store.apply(ChangeSet {
            tasks: inserts,
            ..ChangeSet::default()
        }))
        .unwrap();
        let service = StatusService::new(store.clone(), Arc::new(SystemClock), Arc::new(NullSink))
            .with_target(Target::new(
                "todo",
                StatusMapping::new(ProviderKind::MsTodo),
            ));
        for i in 0..JOBS {
            let id = Task::hub_id("todo", &format!("t{i}"));
            block_on(service.change_status(&id, Status::Completed, None)).unwrap();
        }
    }

    let mut seed = 0x00c0_ffee_u64;
    for round in 0..KILLS {
        // Two workers compete for the same file; one of them dies at a random moment.
        let mut victim = worker(&db, &journal, &format!("victim-{round}"), false)
            .spawn()
            .unwrap();
        let mut peer = worker(&db, &journal, &format!("peer-{round}"), false)
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(5 + next(&mut seed) % 60));
        victim.kill().unwrap(); // SIGKILL
        victim.wait().unwrap();
        std::thread::sleep(Duration::from_millis(next(&mut seed) % 20));
        peer.kill().unwrap();
        peer.wait().unwrap();
    }
    // Let a last worker finish everything, recovering the leases the killed ones held.
    let status = worker(&db, &journal, "final", true).status().unwrap();
    assert!(status.success());

    let store = SqliteStore::open(&db).unwrap();
    let jobs = block_on(store.jobs(JobQuery {
        limit: JOBS * 2,
        ..JobQuery::default()
    }))
    .unwrap();
    assert_eq!(jobs.len(), JOBS, "one job per status change");
    let stuck: Vec<_> = jobs
        .iter()
        .filter(|j| j.state != JobState::Succeeded)
        .collect();
    assert!(
        stuck.is_empty(),
        "{} jobs not succeeded, e.g. {:?}",
        stuck.len(),
        stuck.first()
    );

    let conn = rusqlite::Connection::open(&journal).unwrap();
    let (keys, calls): (i64, i64) = conn
        .query_row("SELECT count(*), sum(calls) FROM pushes", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!(
        keys as usize, JOBS,
        "every job reached the provider, once per key"
    );
    for job in &jobs {
        let calls: i64 = conn
            .query_row("SELECT calls FROM pushes WHERE key = ?1", [&job.id], |r| {
                r.get(0)
            })
            .unwrap();
        assert!(
            calls >= 1 && calls as u32 <= job.attempts,
            "job {}: {calls} calls for {} attempts",
            job.id,
            job.attempts
        );
    }
    // Only a killed worker's in-flight batch is ever called twice.
    let repeated = calls - keys;
    assert!(
        repeated as usize <= 2 * KILLS * 16,
        "{repeated} repeated calls for {KILLS} rounds of kills"
    );
    eprintln!("{JOBS} jobs, {KILLS} kill rounds, {repeated} repeated (deduplicated) calls");
}
