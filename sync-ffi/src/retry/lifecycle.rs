//! The job lifecycle (mirrors `sync_core::retry::lifecycle`): the dead-letter actions and the
//! sync status on a [`HubStore`], each the core's function over the stored jobs (a host job
//! store only stores; these rules are never its own).

use std::sync::Arc;

use crate::clock::{Clock, core_clock};
use crate::error::{TasksyncError, guard_future};
use crate::store::HubStore;
use crate::store::job::{QueuedJob, TargetSyncStatus};

#[uniffi::export(async_runtime = "tokio")]
impl HubStore {
    /// Puts a dead letter back in the queue, due now, with a fresh attempt budget
    /// (`superseded` instead when its task and target have a newer job): the core's requeue.
    /// `clock` (default: the system clock) says when "now" is; pass the worker's.
    #[uniffi::method(default(clock = None))]
    pub async fn requeue(
        &self,
        id: String,
        clock: Option<Arc<dyn Clock>>,
    ) -> Result<QueuedJob, TasksyncError> {
        guard_future(async move {
            let now = core_clock(clock).now_ms();
            let store = self.queue_store()?;
            let job = sync_core::retry::requeue(&*store, &id, now).await;
            Ok((&job.map_err(sync_core::Error::from)?).into())
        })
        .await
    }

    /// Discards a dead letter (kept, marked discarded): the core's discard. `clock` (default:
    /// the system clock) says when "now" is; pass the worker's.
    #[uniffi::method(default(clock = None))]
    pub async fn discard(
        &self,
        id: String,
        clock: Option<Arc<dyn Clock>>,
    ) -> Result<QueuedJob, TasksyncError> {
        guard_future(async move {
            let now = core_clock(clock).now_ms();
            let store = self.queue_store()?;
            let job = sync_core::retry::discard(&*store, &id, now).await;
            Ok((&job.map_err(sync_core::Error::from)?).into())
        })
        .await
    }

    /// A task's sync status towards each of its targets (the state of the newest intent of
    /// each), sorted by target: the core's rule over the stored jobs.
    pub async fn sync_status(
        &self,
        task_id: String,
    ) -> Result<Vec<TargetSyncStatus>, TasksyncError> {
        guard_future(async move {
            let store = self.job_store()?;
            let statuses = sync_core::retry::sync_status(&*store, &task_id).await?;
            Ok(statuses
                .into_iter()
                .map(|(target, status)| TargetSyncStatus {
                    target,
                    status: status.into(),
                })
                .collect())
        })
        .await
    }
}
