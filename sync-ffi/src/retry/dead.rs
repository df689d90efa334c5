//! Dead letters by hand (mirrors `sync_core::retry::DeadLetters`): list a page, inspect, retry
//! or discard a dead job, each action audited into a [`History`] when one is attached and
//! emitted to the [`EventSink`].
//!
//! Invariants (the core's): only a `dead` job can be retried or discarded (anything else is
//! `InvalidState` and nothing changes); a retry never overtakes a newer intent for the same task
//! and target. The plain `HubStore.requeue`/`discard` stay as they were (unaudited).

use std::sync::Arc;

use crate::clock::{Clock, core_clock};
use crate::error::{TasksyncError, guard, guard_future};
use crate::event::{EventSink, core_sink};
use crate::history::{Actor, History};
use crate::store::HubStore;
use crate::store::job::QueuedJob;

/// The dead-letter queue of a job-keeping store, with an audit of every manual action.
#[derive(Debug, uniffi::Object)]
pub struct DeadLetters(sync_core::retry::DeadLetters);

#[uniffi::export(async_runtime = "tokio")]
impl DeadLetters {
    /// The dead letters of `store` (memory, SQLite, PostgreSQL or `foreignQueue`); `history`
    /// audits every retry and discard (`job_retried`, `job_discarded`); `events` receives
    /// `job_changed`; `clock` (default: the system clock) says when "now" is: pass the worker's.
    #[uniffi::constructor(default(history = None, clock = None, events = None))]
    pub fn new(
        store: Arc<HubStore>,
        history: Option<Arc<History>>,
        clock: Option<Arc<dyn Clock>>,
        events: Option<Arc<dyn EventSink>>,
    ) -> Result<Arc<Self>, TasksyncError> {
        guard(|| {
            let mut dead = sync_core::retry::DeadLetters::new(
                store.queue_store()?,
                core_clock(clock),
                core_sink(events),
            );
            if let Some(history) = history {
                dead = dead.with_history(history.recorder.clone());
            }
            Ok(Arc::new(DeadLetters(dead)))
        })
    }

    /// Dead jobs, oldest first, a page at a time: `after` is the previous page's last id,
    /// `limit` 0 is the store's default page.
    #[uniffi::method(default(after = None, limit = 0))]
    pub async fn list(
        &self,
        after: Option<String>,
        limit: u32,
    ) -> Result<Vec<QueuedJob>, TasksyncError> {
        guard_future(async move {
            let jobs = self.0.list(after, limit as usize).await?;
            Ok(jobs.iter().map(Into::into).collect())
        })
        .await
    }

    /// One job (dead or not) with its payload, undo data and last error; `NotFound` when
    /// there is none.
    pub async fn inspect(&self, id: String) -> Result<QueuedJob, TasksyncError> {
        guard_future(async move { Ok((&self.0.inspect(&id).await?).into()) }).await
    }

    /// Requeues a dead job with a fresh attempt budget, due now; audited as `job_retried`.
    pub async fn retry(&self, id: String, actor: Actor) -> Result<QueuedJob, TasksyncError> {
        guard_future(async move { Ok((&self.0.retry(&id, actor.into()).await?).into()) }).await
    }

    /// Discards a dead job for good; audited as `job_discarded`.
    pub async fn discard(&self, id: String, actor: Actor) -> Result<QueuedJob, TasksyncError> {
        guard_future(async move { Ok((&self.0.discard(&id, actor.into()).await?).into()) }).await
    }
}
