//! Results: what `finish` records, dead letters retried or discarded, reverts, and the sync
//! status each outcome shows.

use std::sync::Arc;

use serde_json::json;

use super::{claim, e, finish, job, lifecycle, seed, state_of, status, task};
use crate::model::{Status, Task};
use crate::store::{ChangeSet, TaskWrite};
use crate::store::{Finish, Job, JobQuery, JobState, SyncStatus};
use crate::store::{JobError, QueueStore};

pub(super) async fn results_are_recorded(store: Arc<dyn QueueStore>) -> Result<(), String> {
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
    let applied = finish(
        &*store,
        "w",
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
        status(&*store, &tasks[0].id).await?,
        status(&*store, &tasks[3].id).await?,
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

pub(super) async fn dead_letters_can_be_retried_or_discarded(
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
    finish(&*store, "w", 1, vec![dead(&ja.id), dead(&jb.id)])
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
    let requeued = lifecycle::requeue(&*store, &ja.id, 50).await.map_err(e)?;
    ensure!(
        requeued.state == JobState::Pending && requeued.attempts == 0 && requeued.run_at == 50,
        "requeued: {requeued:?}"
    );
    let discarded = lifecycle::discard(&*store, &jb.id, 60).await.map_err(e)?;
    ensure!(
        discarded.state == JobState::Discarded,
        "discarded: {discarded:?}"
    );
    match lifecycle::requeue(&*store, &ja.id, 70).await {
        Err(JobError::NotDead { .. }) => {}
        other => return Err(format!("requeue of a pending job: {other:?}")),
    }
    match lifecycle::discard(&*store, "nope", 70).await {
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

pub(super) async fn dead_job_reverts_status_unless_changed(
    store: Arc<dyn QueueStore>,
) -> Result<(), String> {
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
    finish(&*store, "w", 9, vec![dead(&ja.id), dead(&jb.id)])
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

/// A dead job discarded by hand shows as `discarded`, which a UI tells apart from `synced`:
/// the change never reached the provider.
pub(super) async fn a_discarded_job_shows_as_discarded(
    store: Arc<dyn QueueStore>,
) -> Result<(), String> {
    let t = task("a", Status::Completed);
    let j = job(&t, 2, 0);
    seed(&*store, &t, vec![j.clone()]).await?;
    claim(&*store, "w", 0, 1_000, 10).await?;
    let dead = Finish::Dead {
        id: j.id.clone(),
        error: "HTTP 403".into(),
        revert: false,
    };
    finish(&*store, "w", 1, vec![dead]).await.map_err(e)?;
    lifecycle::discard(&*store, &j.id, 2).await.map_err(e)?;
    let status = status(&*store, &t.id).await?;
    ensure!(
        status == vec![("todo".into(), SyncStatus::Discarded)],
        "a discarded job's task shows {status:?}, not discarded"
    );
    Ok(())
}
