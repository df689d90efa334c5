//! Records: the outbox's atomic write and the ordered, paged job listing.

use std::sync::Arc;

use super::{e, job, seed, task};
use crate::model::Status;
use crate::store::QueueStore;
use crate::store::{ChangeSet, TaskWrite};
use crate::store::{JobQuery, JobWrite};

pub(super) async fn outbox_is_atomic(store: Arc<dyn QueueStore>) -> Result<(), String> {
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
            jobs: vec![JobWrite::Insert { job: j.clone() }],
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
            jobs: vec![JobWrite::Insert { job: j.clone() }],
            ..ChangeSet::default()
        })
        .await;
    ensure!(dup.is_err(), "a duplicate job id was accepted");
    Ok(())
}

pub(super) async fn jobs_page_in_order(store: Arc<dyn QueueStore>) -> Result<(), String> {
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
