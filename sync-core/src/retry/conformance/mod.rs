//! The job store conformance suite: the queue behaviour every [`QueueStore`] must show
//! (claims, leases, recovery, one live job per (task, target) across claimers, supersession,
//! results, dead letters and sync statuses, the outbox's atomicity).
//!
//! Like the task store suite, each case is a runtime-agnostic async function over a fresh,
//! empty store; [`job_store_conformance!`](crate::job_store_conformance) turns them into tests
//! and [`run_all`] serves bindings whose stores are written in the host language. The cases
//! live by theme: `claims` (who gets which job, when), `results` (finishing, dead letters,
//! sync statuses), `records` (the outbox write and job listings) and `fencing` (lost leases
//! and the store's write checks); this file has the shared
//! fixtures.

use std::sync::Arc;

use serde_json::json;

use super::lifecycle;
use crate::model::{DesiredTask, Status, Task};
use crate::store::QueueStore;
use crate::store::{ChangeSet, TaskWrite};
use crate::store::{Finish, Job, JobState, JobWrite};

/// One case: a name and a function of a fresh store.
pub type Case = crate::conformance::CaseOf<dyn QueueStore>;

macro_rules! ensure {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err(format!($($msg)+));
        }
    };
}

fn e(err: impl std::fmt::Display) -> String {
    err.to_string()
}

fn task(external_id: &str, status: Status) -> Task {
    let desired = DesiredTask::new(external_id, format!("Task {external_id}")).status(status);
    Task::from_desired("q", "todo", &desired, 1_000)
}

fn job(task: &Task, version: u64, run_at: i64) -> Job {
    Job {
        id: Job::key(&task.id, "todo", version),
        task_id: task.id.clone(),
        target: "todo".into(),
        external_id: task.external_id.clone(),
        kind: task.kind.clone(),
        from: Status::Pending,
        to: Status::Completed,
        payload: json!({"status": "completed", "note": "ü ✓"}),
        undo: json!({"status": "notStarted"}),
        state: JobState::Pending,
        attempts: 0,
        max_attempts: None,
        version: 1,
        lease: 0,
        task_version: version,
        run_at,
        lease_owner: None,
        lease_until: None,
        last_error: None,
        result: None,
        actor: Some("ana".into()),
        created_at: run_at,
        updated_at: run_at,
    }
}

/// The writes that enqueue `jobs` through the core (superseding their pairs' pending jobs).
async fn enqueue_writes(store: &dyn QueueStore, jobs: Vec<Job>) -> Result<Vec<JobWrite>, String> {
    let mut pending = Vec::new();
    for job in &jobs {
        pending.extend(
            lifecycle::pending_of(store, &job.task_id)
                .await
                .map_err(e)?,
        );
    }
    let now = jobs.iter().map(|j| j.created_at).max().unwrap_or_default();
    Ok(lifecycle::enqueue_writes(&pending, jobs, now))
}

/// Inserts `task` and enqueues `jobs` in one set.
async fn seed(store: &dyn QueueStore, task: &Task, jobs: Vec<Job>) -> Result<(), String> {
    let jobs = enqueue_writes(store, jobs).await?;
    store
        .apply(ChangeSet {
            guards: Vec::new(),
            tasks: vec![TaskWrite::Insert { task: task.clone() }],
            jobs,
        })
        .await
        .map(drop)
        .map_err(e)
}

async fn enqueue(store: &dyn QueueStore, jobs: Vec<Job>) -> Result<(), String> {
    let jobs = enqueue_writes(store, jobs).await?;
    store
        .apply(ChangeSet {
            jobs,
            ..ChangeSet::default()
        })
        .await
        .map(drop)
        .map_err(e)
}

/// Applies `results` as `owner` through the core, each against the job as stored now (so a
/// result of an owner that does not hold the job is refused); per result, whether it landed.
async fn finish(
    store: &dyn QueueStore,
    owner: &str,
    now: i64,
    results: Vec<Finish>,
) -> Result<Vec<bool>, String> {
    let mut paired = Vec::with_capacity(results.len());
    let mut known = Vec::with_capacity(results.len());
    for result in results {
        let stored = store.job(result.id().to_owned()).await.map_err(e)?;
        known.push(stored.is_some());
        if let Some(job) = stored {
            paired.push((job, result));
        }
    }
    let mut after = lifecycle::finish(store, owner, now, paired)
        .await
        .map_err(e)?
        .into_iter();
    Ok(known
        .into_iter()
        .map(|k| k && after.next().flatten().is_some())
        .collect())
}

/// The sync statuses of a task through the core.
async fn status(
    store: &dyn QueueStore,
    task_id: &str,
) -> Result<Vec<(String, crate::store::SyncStatus)>, String> {
    lifecycle::sync_status(store, task_id).await.map_err(e)
}

async fn state_of(store: &dyn QueueStore, id: &str) -> Result<Job, String> {
    store
        .job(id.into())
        .await
        .map_err(e)?
        .ok_or_else(|| format!("job `{id}` is gone"))
}

async fn claim(
    store: &dyn QueueStore,
    owner: &str,
    now: i64,
    lease_ms: u64,
    limit: usize,
) -> Result<Vec<Job>, String> {
    store
        .claim(owner.into(), now, lease_ms, limit)
        .await
        .map_err(e)
}

fn ids(jobs: &[Job]) -> Vec<&str> {
    jobs.iter().map(|j| j.id.as_str()).collect()
}

mod claims;
mod fencing;
pub mod gates;
mod records;
mod results;

use claims::*;
use fencing::*;
use records::*;
use results::*;

macro_rules! cases {
    ($($name:ident),* $(,)?) => {
        /// Every case, by name.
        pub const CASES: &[Case] = &[$((stringify!($name), |s| Box::pin($name(s)))),*];
    };
}

cases![
    enqueue_then_claim,
    due_time_is_respected,
    newer_intent_supersedes_pending,
    running_job_blocks_its_pair,
    expired_lease_is_recovered,
    claimers_never_split_a_pair,
    a_retry_behind_a_newer_intent_is_superseded,
    results_are_recorded,
    dead_letters_can_be_retried_or_discarded,
    dead_job_reverts_status_unless_changed,
    a_discarded_job_shows_as_discarded,
    outbox_is_atomic,
    jobs_page_in_order,
    a_claim_writes_the_next_lease,
    a_late_result_of_a_lost_lease_changes_nothing,
    job_writes_are_checked,
];

/// Runs every case, each on a fresh store from `make`; returns the failures by case name.
pub async fn run_all<F>(make: F) -> Vec<(&'static str, String)>
where
    F: Fn() -> Arc<dyn QueueStore>,
{
    crate::conformance::run_cases(CASES, make).await
}

/// Generates one `#[test]` per job store case for a store built by `$make` (an expression
/// giving an `Arc<dyn QueueStore>`, evaluated once per test).
#[macro_export]
macro_rules! job_store_conformance {
    ($make:expr) => {
        $crate::job_store_conformance!(@cases $make;
            enqueue_then_claim, due_time_is_respected, newer_intent_supersedes_pending,
            running_job_blocks_its_pair, expired_lease_is_recovered, claimers_never_split_a_pair,
            a_retry_behind_a_newer_intent_is_superseded, results_are_recorded,
            dead_letters_can_be_retried_or_discarded, dead_job_reverts_status_unless_changed,
            a_discarded_job_shows_as_discarded, outbox_is_atomic, jobs_page_in_order,
            a_claim_writes_the_next_lease, a_late_result_of_a_lost_lease_changes_nothing,
            job_writes_are_checked);
    };
    (@cases $make:expr; $($name:ident),*) => {
        $(
            #[test]
            fn $name() {
                let case = $crate::retry::conformance::CASES
                    .iter()
                    .find(|(n, _)| *n == stringify!($name))
                    .expect("a job store case listed in the macro")
                    .1;
                let store: ::std::sync::Arc<dyn $crate::retry::QueueStore> = $make;
                if let Err(message) = $crate::conformance::__block_on(case(store)) {
                    panic!("job store conformance `{}` failed: {}", stringify!($name), message);
                }
            }
        )*
        #[test]
        fn job_store_macro_lists_every_case() {
            let listed = [$(stringify!($name)),*];
            for (name, _) in $crate::retry::conformance::CASES {
                assert!(listed.contains(name), "case `{name}` is missing from the macro");
            }
        }
    };
}
