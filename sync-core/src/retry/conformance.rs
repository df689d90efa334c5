//! The job store conformance suite: the queue behaviour every [`QueueStore`] must show
//! (claims, leases, recovery, supersession, results, dead letters, the outbox's atomicity).
//!
//! Like the task store suite, each case is a runtime-agnostic async function over a fresh,
//! empty store; [`job_store_conformance!`](crate::job_store_conformance) turns them into tests
//! and [`run_all`] serves bindings whose stores are written in the host language.

use std::sync::Arc;

use serde_json::json;

use super::job::{Finish, Job, JobQuery, JobState, SyncStatus};
use super::store::{JobError, QueueStore};
use crate::model::{DesiredTask, Status, Task};
use crate::store::{ChangeSet, TaskWrite};

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
        max_attempts: 5,
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

/// Inserts `task` and enqueues `jobs` in one set.
async fn seed(store: &dyn QueueStore, task: &Task, jobs: Vec<Job>) -> Result<(), String> {
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
    store
        .apply(ChangeSet {
            jobs,
            ..ChangeSet::default()
        })
        .await
        .map(drop)
        .map_err(e)
}

async fn state_of(store: &dyn QueueStore, id: &str) -> Result<Job, String> {
    store
        .job(id.into())
        .await
        .map_err(e)?
        .ok_or_else(|| format!("job `{id}` is gone"))
}

async fn enqueue_then_claim(store: Arc<dyn QueueStore>) -> Result<(), String> {
    let t = task("a", Status::Completed);
    let j = job(&t, 2, 10);
    seed(&*store, &t, vec![j.clone()]).await?;
    let stored = state_of(&*store, &j.id).await?;
    ensure!(stored == j, "stored job differs: {stored:?}");
    ensure!(
        store.sync_status(t.id.clone()).await.map_err(e)?
            == vec![("todo".into(), SyncStatus::Pending)],
        "a queued job shows as pending"
    );
    let claimed = store.claim("w1".into(), 10, 1_000, 10).await.map_err(e)?;
    ensure!(
        claimed.len() == 1,
        "claimed {} jobs, expected 1",
        claimed.len()
    );
    let c = &claimed[0];
    ensure!(
        c.state == JobState::Running
            && c.attempts == 1
            && c.lease_owner.as_deref() == Some("w1")
            && c.lease_until == Some(1_010),
        "claimed job: {c:?}"
    );
    ensure!(
        store
            .claim("w2".into(), 10, 1_000, 10)
            .await
            .map_err(e)?
            .is_empty(),
        "a running job was claimed twice"
    );
    ensure!(
        store.sync_status(t.id.clone()).await.map_err(e)?
            == vec![("todo".into(), SyncStatus::Syncing)],
        "a claimed job shows as syncing"
    );
    Ok(())
}

async fn due_time_is_respected(store: Arc<dyn QueueStore>) -> Result<(), String> {
    let (a, b) = (task("a", Status::Completed), task("b", Status::Completed));
    seed(&*store, &a, vec![job(&a, 2, 500)]).await?;
    seed(&*store, &b, vec![job(&b, 2, 200)]).await?;
    ensure!(
        store.next_due().await.map_err(e)? == Some(200),
        "next_due is the earliest run_at"
    );
    ensure!(
        store
            .claim("w".into(), 199, 1_000, 10)
            .await
            .map_err(e)?
            .is_empty(),
        "a job was claimed before it was due"
    );
    let first = store.claim("w".into(), 600, 1_000, 1).await.map_err(e)?;
    ensure!(
        first.len() == 1 && first[0].task_id == b.id,
        "the oldest due job goes first (and limit holds): {first:?}"
    );
    Ok(())
}

async fn newer_intent_supersedes_pending(store: Arc<dyn QueueStore>) -> Result<(), String> {
    let t = task("a", Status::Completed);
    let (old, new) = (job(&t, 2, 10), job(&t, 3, 20));
    seed(&*store, &t, vec![old.clone()]).await?;
    enqueue(&*store, vec![new.clone()]).await?;
    ensure!(
        state_of(&*store, &old.id).await?.state == JobState::Superseded,
        "the older pending job was not superseded"
    );
    let claimed = store.claim("w".into(), 100, 1_000, 10).await.map_err(e)?;
    ensure!(
        claimed.len() == 1 && claimed[0].id == new.id,
        "only the newer job runs: {claimed:?}"
    );
    Ok(())
}

async fn running_job_blocks_its_pair(store: Arc<dyn QueueStore>) -> Result<(), String> {
    let t = task("a", Status::Completed);
    let (first, second) = (job(&t, 2, 10), job(&t, 3, 20));
    seed(&*store, &t, vec![first.clone()]).await?;
    store.claim("w".into(), 10, 1_000, 10).await.map_err(e)?;
    enqueue(&*store, vec![second.clone()]).await?;
    ensure!(
        state_of(&*store, &first.id).await?.state == JobState::Running,
        "a running job must not be superseded"
    );
    ensure!(
        store
            .claim("w".into(), 30, 1_000, 10)
            .await
            .map_err(e)?
            .is_empty(),
        "a pair's next job ran while its previous one was running"
    );
    let applied = store
        .finish(
            "w".into(),
            40,
            vec![Finish::Succeeded {
                id: first.id.clone(),
                remote: json!({"etag": "1"}),
            }],
        )
        .await
        .map_err(e)?;
    ensure!(
        applied == vec![true],
        "finish by the holder was not applied"
    );
    let next = store.claim("w".into(), 50, 1_000, 10).await.map_err(e)?;
    ensure!(
        next.len() == 1 && next[0].id == second.id,
        "the next job follows: {next:?}"
    );
    Ok(())
}

async fn expired_lease_is_recovered(store: Arc<dyn QueueStore>) -> Result<(), String> {
    let t = task("a", Status::Completed);
    let j = job(&t, 2, 0);
    seed(&*store, &t, vec![j.clone()]).await?;
    store.claim("a".into(), 0, 1_000, 10).await.map_err(e)?;
    ensure!(
        store.next_due().await.map_err(e)? == Some(1_000),
        "next_due includes lease expiry"
    );
    ensure!(
        store
            .claim("b".into(), 999, 1_000, 10)
            .await
            .map_err(e)?
            .is_empty(),
        "a live lease was taken over"
    );
    let again = store.claim("b".into(), 1_000, 1_000, 10).await.map_err(e)?;
    ensure!(
        again.len() == 1 && again[0].attempts == 2 && again[0].lease_owner.as_deref() == Some("b"),
        "an expired lease was not recovered: {again:?}"
    );
    let lost = store
        .finish(
            "a".into(),
            1_001,
            vec![Finish::Succeeded {
                id: j.id.clone(),
                remote: json!(null),
            }],
        )
        .await
        .map_err(e)?;
    ensure!(
        lost == vec![false],
        "a finish after the lease was lost was applied"
    );
    ensure!(
        state_of(&*store, &j.id).await?.state == JobState::Running,
        "lost finish changed the job"
    );
    let won = store
        .finish(
            "b".into(),
            1_002,
            vec![Finish::Succeeded {
                id: j.id.clone(),
                remote: json!(null),
            }],
        )
        .await
        .map_err(e)?;
    ensure!(won == vec![true], "the new holder could not finish");
    Ok(())
}

async fn results_are_recorded(store: Arc<dyn QueueStore>) -> Result<(), String> {
    let tasks: Vec<Task> = ["a", "b", "c", "d"]
        .iter()
        .map(|x| task(x, Status::Completed))
        .collect();
    for t in &tasks {
        seed(&*store, t, vec![job(t, 2, 0)]).await?;
    }
    let claimed = store.claim("w".into(), 0, 1_000, 10).await.map_err(e)?;
    ensure!(claimed.len() == 4, "claimed {}", claimed.len());
    let id = |i: usize| Job::key(&tasks[i].id, "todo", 2);
    let applied = store
        .finish(
            "w".into(),
            5,
            vec![
                Finish::Succeeded {
                    id: id(0),
                    remote: json!({"status": "completed"}),
                },
                Finish::Retry {
                    id: id(1),
                    run_at: 1_005,
                    error: "HTTP 503".into(),
                },
                Finish::Defer {
                    id: id(2),
                    run_at: 2_000,
                },
                Finish::Dead {
                    id: id(3),
                    error: "HTTP 404".into(),
                    revert: false,
                },
                Finish::Succeeded {
                    id: "no-such-job".into(),
                    remote: json!(null),
                },
            ],
        )
        .await
        .map_err(e)?;
    ensure!(
        applied == vec![true, true, true, true, false],
        "applied flags: {applied:?}"
    );
    let (a, b, c, d) = (
        state_of(&*store, &id(0)).await?,
        state_of(&*store, &id(1)).await?,
        state_of(&*store, &id(2)).await?,
        state_of(&*store, &id(3)).await?,
    );
    ensure!(
        a.state == JobState::Succeeded
            && a.result == Some(json!({"status": "completed"}))
            && a.lease_owner.is_none(),
        "succeeded: {a:?}"
    );
    ensure!(
        b.state == JobState::Pending
            && b.run_at == 1_005
            && b.attempts == 1
            && b.last_error.as_deref() == Some("HTTP 503"),
        "retry keeps the attempt: {b:?}"
    );
    ensure!(
        c.state == JobState::Pending && c.run_at == 2_000 && c.attempts == 0,
        "defer gives the attempt back: {c:?}"
    );
    ensure!(
        d.state == JobState::Dead && d.last_error.as_deref() == Some("HTTP 404"),
        "dead: {d:?}"
    );
    let statuses = [
        store.sync_status(tasks[0].id.clone()).await.map_err(e)?,
        store.sync_status(tasks[3].id.clone()).await.map_err(e)?,
    ];
    ensure!(
        statuses
            == [
                vec![("todo".into(), SyncStatus::Synced)],
                vec![("todo".into(), SyncStatus::Failed)]
            ],
        "sync statuses: {statuses:?}"
    );
    Ok(())
}

async fn dead_letters_can_be_retried_or_discarded(
    store: Arc<dyn QueueStore>,
) -> Result<(), String> {
    let (a, b) = (task("a", Status::Completed), task("b", Status::Completed));
    let (ja, jb) = (job(&a, 2, 0), job(&b, 2, 0));
    seed(&*store, &a, vec![ja.clone()]).await?;
    seed(&*store, &b, vec![jb.clone()]).await?;
    store.claim("w".into(), 0, 1_000, 10).await.map_err(e)?;
    let dead = |id: &str| Finish::Dead {
        id: id.into(),
        error: "HTTP 403".into(),
        revert: false,
    };
    store
        .finish("w".into(), 1, vec![dead(&ja.id), dead(&jb.id)])
        .await
        .map_err(e)?;
    let letters = store
        .jobs(JobQuery {
            state: Some(JobState::Dead),
            ..JobQuery::default()
        })
        .await
        .map_err(e)?;
    ensure!(letters.len() == 2, "dead letters: {}", letters.len());
    let requeued = store.requeue(ja.id.clone(), 50).await.map_err(e)?;
    ensure!(
        requeued.state == JobState::Pending && requeued.attempts == 0 && requeued.run_at == 50,
        "requeued: {requeued:?}"
    );
    let discarded = store.discard(jb.id.clone(), 60).await.map_err(e)?;
    ensure!(
        discarded.state == JobState::Discarded,
        "discarded: {discarded:?}"
    );
    match store.requeue(ja.id.clone(), 70).await {
        Err(JobError::NotDead { .. }) => {}
        other => return Err(format!("requeue of a pending job: {other:?}")),
    }
    match store.discard("nope".into(), 70).await {
        Err(JobError::NotFound(_)) => {}
        other => return Err(format!("discard of an unknown job: {other:?}")),
    }
    let again = store.claim("w".into(), 60, 1_000, 10).await.map_err(e)?;
    ensure!(
        again.len() == 1 && again[0].id == ja.id,
        "the requeued job runs again: {again:?}"
    );
    Ok(())
}

async fn dead_job_reverts_status_unless_changed(store: Arc<dyn QueueStore>) -> Result<(), String> {
    let (a, b) = (task("a", Status::Completed), task("b", Status::Completed));
    let (ja, jb) = (job(&a, 1, 0), job(&b, 1, 0));
    seed(&*store, &a, vec![ja.clone()]).await?;
    seed(&*store, &b, vec![jb.clone()]).await?;
    // b changes again in the hub before its job dies: its newer status must stay.
    let mut b2 = b.clone();
    b2.status = Status::Cancelled;
    b2.version = 2;
    store
        .apply(ChangeSet {
            tasks: vec![TaskWrite::Update {
                task: b2,
                expected_version: 1,
            }],
            ..ChangeSet::default()
        })
        .await
        .map_err(e)?;
    let before = store.scope_version("q".into()).await.map_err(e)?;
    store.claim("w".into(), 0, 1_000, 10).await.map_err(e)?;
    let dead = |id: &str| Finish::Dead {
        id: id.into(),
        error: "HTTP 400".into(),
        revert: true,
    };
    store
        .finish("w".into(), 9, vec![dead(&ja.id), dead(&jb.id)])
        .await
        .map_err(e)?;
    let a_now = store
        .get(a.id.clone())
        .await
        .map_err(e)?
        .ok_or("task a gone")?;
    let b_now = store
        .get(b.id.clone())
        .await
        .map_err(e)?
        .ok_or("task b gone")?;
    ensure!(
        a_now.status == Status::Pending && a_now.version == 2 && a_now.updated_at == 9,
        "a dead job with revert restores `from`: {a_now:?}"
    );
    ensure!(
        b_now.status == Status::Cancelled && b_now.version == 2,
        "a newer status was reverted: {b_now:?}"
    );
    ensure!(
        store.scope_version("q".into()).await.map_err(e)? == before + 1,
        "a revert is one more version of its scope"
    );
    Ok(())
}

async fn outbox_is_atomic(store: Arc<dyn QueueStore>) -> Result<(), String> {
    let t = task("a", Status::Completed);
    let j = job(&t, 2, 0);
    let mut stale = t.clone();
    stale.version = 2;
    let result = store
        .apply(ChangeSet {
            tasks: vec![TaskWrite::Update {
                task: stale,
                expected_version: 1,
            }],
            jobs: vec![j.clone()],
            ..ChangeSet::default()
        })
        .await;
    ensure!(
        result.is_err(),
        "a set with a failing task write was applied"
    );
    ensure!(
        store.job(j.id.clone()).await.map_err(e)?.is_none(),
        "its job was written anyway"
    );
    seed(&*store, &t, vec![j.clone()]).await?;
    let dup = store
        .apply(ChangeSet {
            jobs: vec![j.clone()],
            ..ChangeSet::default()
        })
        .await;
    ensure!(dup.is_err(), "a duplicate job id was accepted");
    Ok(())
}

async fn jobs_page_in_order(store: Arc<dyn QueueStore>) -> Result<(), String> {
    let mut ids = Vec::new();
    for (i, x) in ["a", "b", "c", "d", "e"].iter().enumerate() {
        let t = task(x, Status::Completed);
        let j = job(&t, 2, 100 - i as i64);
        ids.push((j.created_at, j.id.clone()));
        seed(&*store, &t, vec![j]).await?;
    }
    ids.sort();
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = store
            .jobs(JobQuery {
                after: after.clone(),
                limit: 2,
                ..JobQuery::default()
            })
            .await
            .map_err(e)?;
        if page.is_empty() {
            break;
        }
        ensure!(page.len() <= 2, "page larger than its limit");
        after = page.last().map(|j| j.id.clone());
        seen.extend(page.into_iter().map(|j| (j.created_at, j.id)));
    }
    ensure!(seen == ids, "pages out of order or incomplete: {seen:?}");
    let filtered = store
        .jobs(JobQuery {
            task_id: Some(task("c", Status::Completed).id),
            ..JobQuery::default()
        })
        .await
        .map_err(e)?;
    ensure!(filtered.len() == 1, "task filter: {}", filtered.len());
    Ok(())
}

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
    results_are_recorded,
    dead_letters_can_be_retried_or_discarded,
    dead_job_reverts_status_unless_changed,
    outbox_is_atomic,
    jobs_page_in_order,
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
            running_job_blocks_its_pair, expired_lease_is_recovered, results_are_recorded,
            dead_letters_can_be_retried_or_discarded, dead_job_reverts_status_unless_changed,
            outbox_is_atomic, jobs_page_in_order);
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
