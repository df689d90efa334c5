//! Claims: due times, leases and their recovery, supersession, and one live job per
//! (task, target) whoever claims.

use std::sync::Arc;

use serde_json::json;

use super::{claim, e, enqueue, finish, ids, job, seed, state_of, status, task};
use crate::model::Status;
use crate::store::QueueStore;
use crate::store::{Finish, Job, JobState, SyncStatus};

pub(super) async fn enqueue_then_claim(store: Arc<dyn QueueStore>) -> Result<(), String> {
    let (t, u) = (task("a", Status::Completed), task("b", Status::Completed));
    // One job with a budget of its own, one with none (the worker's applies).
    let j = Job {
        max_attempts: Some(3),
        ..job(&t, 2, 10)
    };
    let k = job(&u, 2, 20);
    seed(&*store, &t, vec![j.clone()]).await?;
    seed(&*store, &u, vec![k.clone()]).await?;
    for want in [&j, &k] {
        let stored = state_of(&*store, &want.id).await?;
        ensure!(stored == *want, "stored job differs: {stored:?}");
    }
    ensure!(
        status(&*store, &t.id).await? == vec![("todo".into(), SyncStatus::Pending)],
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
        status(&*store, &t.id).await? == vec![("todo".into(), SyncStatus::Syncing)],
        "a claimed job shows as syncing"
    );
    Ok(())
}

pub(super) async fn due_time_is_respected(store: Arc<dyn QueueStore>) -> Result<(), String> {
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

pub(super) async fn newer_intent_supersedes_pending(
    store: Arc<dyn QueueStore>,
) -> Result<(), String> {
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

pub(super) async fn running_job_blocks_its_pair(store: Arc<dyn QueueStore>) -> Result<(), String> {
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
    let applied = finish(
        &*store,
        "w",
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

pub(super) async fn expired_lease_is_recovered(store: Arc<dyn QueueStore>) -> Result<(), String> {
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
    let lost = finish(
        &*store,
        "a",
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
    let won = finish(
        &*store,
        "b",
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

/// A crashed worker's job whose lease expired, and a newer job of the same (task, target)
/// waiting behind it: however claimers race for them, the older one runs first and alone.
pub(super) async fn claimers_never_split_a_pair(store: Arc<dyn QueueStore>) -> Result<(), String> {
    let t = task("a", Status::Completed);
    let (older, newer) = (job(&t, 2, 0), job(&t, 3, 10));
    seed(&*store, &t, vec![older.clone()]).await?;
    let crashed = claim(&*store, "a", 0, 1_000, 10).await?;
    ensure!(
        ids(&crashed) == [older.id.as_str()],
        "first claim: {crashed:?}"
    );
    enqueue(&*store, vec![newer.clone()]).await?;
    // `a` never comes back; at its lease's end two workers claim at once.
    let (b, c) = futures::future::join(
        store.claim("b".into(), 1_000, 1_000, 10),
        store.claim("c".into(), 1_000, 1_000, 10),
    )
    .await;
    let (b, c) = (b.map_err(e)?, c.map_err(e)?);
    let both: Vec<&str> = ids(&b).into_iter().chain(ids(&c)).collect();
    ensure!(
        both == [older.id.as_str()],
        "two concurrent claims must hand out the expired older job once and the newer one \
         not at all: b got {:?}, c got {:?}",
        ids(&b),
        ids(&c)
    );
    ensure!(
        claim(&*store, "d", 1_500, 1_000, 10).await?.is_empty(),
        "the newer job was handed out while the older one was running again"
    );
    // The recovered lease expires too: a claim with room for one job takes the older one.
    let again = claim(&*store, "e", 2_000, 1_000, 1).await?;
    ensure!(
        ids(&again) == [older.id.as_str()],
        "an expired older job goes before its pair's newer one: {again:?}"
    );
    let done = finish(
        &*store,
        "e",
        2_001,
        vec![Finish::Succeeded {
            id: older.id.clone(),
            remote: json!(null),
        }],
    )
    .await
    .map_err(e)?;
    ensure!(done == vec![true], "the holder could not finish: {done:?}");
    let next = claim(&*store, "f", 2_002, 1_000, 10).await?;
    ensure!(
        ids(&next) == [newer.id.as_str()],
        "the newer job follows once the older one is done: {next:?}"
    );
    Ok(())
}

/// A job that fails (or is deferred) while a newer intent for its (task, target) waits is
/// superseded, not put back: the older status can never reach the provider after the newer.
pub(super) async fn a_retry_behind_a_newer_intent_is_superseded(
    store: Arc<dyn QueueStore>,
) -> Result<(), String> {
    let (a, b) = (task("a", Status::Completed), task("b", Status::Completed));
    let (a1, a2) = (job(&a, 2, 0), job(&a, 3, 5));
    let (b1, b2) = (job(&b, 2, 0), job(&b, 3, 5));
    seed(&*store, &a, vec![a1.clone()]).await?;
    seed(&*store, &b, vec![b1.clone()]).await?;
    claim(&*store, "w", 0, 1_000, 10).await?;
    enqueue(&*store, vec![a2.clone(), b2.clone()]).await?;
    let results = vec![
        Finish::Retry {
            id: a1.id.clone(),
            run_at: 1,
            error: "HTTP 503".into(),
        },
        Finish::Defer {
            id: b1.id.clone(),
            run_at: 1,
        },
    ];
    let applied = finish(&*store, "w", 6, results).await.map_err(e)?;
    ensure!(applied == vec![true, true], "applied flags: {applied:?}");
    for old in [&a1, &b1] {
        let state = state_of(&*store, &old.id).await?.state;
        ensure!(
            state == JobState::Superseded,
            "a job put back behind a newer intent is {}, not superseded",
            state.as_str()
        );
    }
    let mut next = ids(&claim(&*store, "w", 10, 1_000, 10).await?)
        .into_iter()
        .map(str::to_owned)
        .collect::<Vec<_>>();
    next.sort();
    let mut want = vec![a2.id.clone(), b2.id.clone()];
    want.sort();
    ensure!(next == want, "only the newer jobs run: {next:?}");
    ensure!(
        status(&*store, &a.id).await? == vec![("todo".into(), SyncStatus::Syncing)],
        "the pair shows its newer job"
    );
    Ok(())
}
