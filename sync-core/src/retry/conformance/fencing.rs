//! Fencing and the store's write checks: a worker whose lease expired can never overwrite the
//! job another worker has taken since, and a store refuses every job write whose check fails,
//! writing nothing of the set.

use std::sync::Arc;

use serde_json::json;

use super::{claim, e, job, seed, state_of, task};
use crate::model::Status;
use crate::retry::lifecycle;
use crate::store::QueueStore;
use crate::store::{ChangeSet, TaskWrite};
use crate::store::{Finish, JobState, JobWrite};

pub(super) async fn a_claim_writes_the_next_lease(
    store: Arc<dyn QueueStore>,
) -> Result<(), String> {
    let t = task("a", Status::Completed);
    let j = job(&t, 2, 0);
    seed(&*store, &t, vec![j.clone()]).await?;
    let first = claim(&*store, "w", 0, 100, 10).await?;
    ensure!(first.len() == 1, "claimed {}", first.len());
    let stored = state_of(&*store, &j.id).await?;
    ensure!(
        stored == first[0] && stored == j.claimed("w", 0, 100),
        "a claim must write exactly `Job::claimed` and return it: {stored:?}"
    );
    ensure!(
        stored.version == 2 && stored.lease == 1 && stored.attempts == 1,
        "claim: version {}, lease {}, attempts {}",
        stored.version,
        stored.lease,
        stored.attempts
    );
    let again = claim(&*store, "w", 100, 100, 10).await?;
    ensure!(
        again.len() == 1 && again[0].lease == 2 && again[0].version == 3,
        "an expired lease is taken again under the next lease number: {again:?}"
    );
    Ok(())
}

pub(super) async fn a_late_result_of_a_lost_lease_changes_nothing(
    store: Arc<dyn QueueStore>,
) -> Result<(), String> {
    let t = task("a", Status::Completed);
    let j = job(&t, 2, 0);
    seed(&*store, &t, vec![j.clone()]).await?;
    let old = claim(&*store, "w", 0, 100, 1).await?.remove(0);
    // The lease expires; the same worker name (a restarted process) and then another take it.
    let same_name = claim(&*store, "w", 150, 100, 1).await?.remove(0);
    let late = lifecycle::finish(
        &*store,
        "w",
        160,
        vec![(
            old.clone(),
            Finish::Succeeded {
                id: j.id.clone(),
                remote: json!({"late": true}),
            },
        )],
    )
    .await
    .map_err(e)?;
    ensure!(
        late == vec![None],
        "a result under an old lease number was applied: {late:?}"
    );
    ensure!(
        state_of(&*store, &j.id).await? == same_name,
        "the late result changed the job"
    );
    let other = claim(&*store, "v", 300, 100, 1).await?.remove(0);
    for (owner, held) in [("w", &old), ("w", &same_name)] {
        let beat = lifecycle::extend_lease(&*store, held, owner, 310, 1_000)
            .await
            .map_err(e)?;
        ensure!(beat.is_none(), "a heartbeat of a lost lease was applied");
        let dead = lifecycle::finish(
            &*store,
            owner,
            320,
            vec![(
                held.clone(),
                Finish::Dead {
                    id: j.id.clone(),
                    error: "late".into(),
                    revert: true,
                },
            )],
        )
        .await
        .map_err(e)?;
        ensure!(dead == vec![None], "a late dead letter was applied");
    }
    ensure!(
        state_of(&*store, &j.id).await? == other,
        "late writes of lost leases changed the job"
    );
    let task_now = store.get(t.id.clone()).await.map_err(e)?;
    ensure!(
        task_now.map(|t| t.status) == Some(Status::Completed),
        "a late dead letter reverted the task"
    );
    let beat = lifecycle::extend_lease(&*store, &other, "v", 350, 1_000)
        .await
        .map_err(e)?
        .ok_or("the holder's heartbeat was refused")?;
    ensure!(
        beat.lease_until == Some(1_350) && state_of(&*store, &j.id).await? == beat,
        "heartbeat: {beat:?}"
    );
    let done = lifecycle::finish(
        &*store,
        "v",
        400,
        vec![(
            other,
            Finish::Succeeded {
                id: j.id.clone(),
                remote: json!({}),
            },
        )],
    )
    .await
    .map_err(e)?;
    ensure!(
        done.first().and_then(Option::as_ref).map(|j| j.state) == Some(JobState::Succeeded),
        "the holder's result after a heartbeat was refused: {done:?}"
    );
    Ok(())
}

pub(super) async fn job_writes_are_checked(store: Arc<dyn QueueStore>) -> Result<(), String> {
    let t = task("a", Status::Completed);
    let j = job(&t, 2, 0);
    seed(&*store, &t, vec![j.clone()]).await?;
    let scope_before = store.scope_version(t.scope.clone()).await.map_err(e)?;
    let stored = state_of(&*store, &j.id).await?;
    let mut renamed = t.clone();
    renamed.title = "renamed".into();
    renamed.version = 2;
    let task_write = TaskWrite::Update {
        task: renamed,
        expected_version: 1,
    };
    let mut stale = stored.clone();
    stale.last_error = Some("stale".into());
    let refused = [
        (
            "a job update at a stale version",
            JobWrite::Update {
                job: {
                    let mut s = stale.clone();
                    s.version = stored.version + 2;
                    s
                },
                expected_version: stored.version + 1,
            },
        ),
        (
            "an update of a missing job",
            JobWrite::Update {
                job: job(&t, 7, 0),
                expected_version: 1,
            },
        ),
        (
            "an insert of an existing job id",
            JobWrite::Insert { job: j.clone() },
        ),
        (
            "a second pending job for one (task, target)",
            JobWrite::Insert { job: job(&t, 3, 0) },
        ),
    ];
    for (what, write) in refused {
        let result = store
            .apply(ChangeSet {
                tasks: vec![task_write.clone()],
                jobs: vec![write],
                ..ChangeSet::default()
            })
            .await;
        ensure!(result.is_err(), "{what} was accepted");
        ensure!(
            state_of(&*store, &j.id).await? == stored,
            "{what}: the job changed"
        );
        ensure!(
            store.get(t.id.clone()).await.map_err(e)?.map(|t| t.version) == Some(1),
            "{what}: the task write of the refused set landed"
        );
        ensure!(
            store.job(job(&t, 3, 0).id).await.map_err(e)?.is_none()
                && store.job(job(&t, 7, 0).id).await.map_err(e)?.is_none(),
            "{what}: a refused job was written"
        );
    }
    // Superseding the pending job in the same set makes room for the new one.
    let mut superseded = stored.clone();
    superseded.state = JobState::Superseded;
    store
        .apply(ChangeSet {
            jobs: vec![
                JobWrite::update(&stored, superseded),
                JobWrite::Insert { job: job(&t, 3, 0) },
            ],
            ..ChangeSet::default()
        })
        .await
        .map_err(e)?;
    ensure!(
        state_of(&*store, &j.id).await?.version == stored.version + 1,
        "an update must store the version it carries"
    );
    ensure!(
        store.scope_version(t.scope.clone()).await.map_err(e)? == scope_before,
        "a job-only set bumped the scope version"
    );
    Ok(())
}
