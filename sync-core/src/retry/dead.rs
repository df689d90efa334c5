//! Dead letters by hand: list, inspect, retry or discard a dead job, with an audit entry and an
//! event for every manual action.
//!
//! Invariants: only a `dead` job can be retried or discarded (anything else is
//! [`Error::InvalidState`](crate::Error::InvalidState), and nothing changes); a retry never
//! overtakes a newer intent for the same (task, target) (the job is then `superseded`); every
//! applied action is audited (when a history recorder is attached) and emitted as an
//! [`Event::JobChanged`](crate::Event::JobChanged).

use std::sync::Arc;

use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::event::{Event, EventSink};
use crate::history::{Actor, AuditEntry, HistoryRecorder};
use crate::store::QueueStore;
use crate::store::{Job, JobQuery, JobState};

/// The dead-letter queue of a job store.
pub struct DeadLetters {
    jobs: Arc<dyn QueueStore>,
    clock: Arc<dyn Clock>,
    events: Arc<dyn EventSink>,
    history: Option<HistoryRecorder>,
}

impl std::fmt::Debug for DeadLetters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeadLetters").finish_non_exhaustive()
    }
}

impl DeadLetters {
    /// The dead letters of `jobs`.
    pub fn new(
        jobs: Arc<dyn QueueStore>,
        clock: Arc<dyn Clock>,
        events: Arc<dyn EventSink>,
    ) -> Self {
        DeadLetters {
            jobs,
            clock,
            events,
            history: None,
        }
    }

    /// Audits every manual action into this history.
    pub fn with_history(mut self, history: HistoryRecorder) -> Self {
        self.history = Some(history);
        self
    }

    /// Dead jobs, oldest first, a page at a time (`after`: the previous page's last id).
    pub async fn list(&self, after: Option<String>, limit: usize) -> Result<Vec<Job>> {
        let query = JobQuery {
            state: Some(JobState::Dead),
            after,
            limit,
            ..JobQuery::default()
        };
        Ok(self.jobs.jobs(query).await?)
    }

    /// One job (dead or not), with its payloads, undo data and last error.
    pub async fn inspect(&self, id: &str) -> Result<Job> {
        self.jobs
            .job(id.to_owned())
            .await?
            .ok_or_else(|| Error::NotFound(format!("job `{}`", crate::error::clip(id))))
    }

    /// Requeues a dead job with a fresh attempt budget, due now.
    pub async fn retry(&self, id: &str, actor: Actor) -> Result<Job> {
        crate::limits::check_id("job id", id)?;
        actor.check()?;
        let now = self.clock.try_now_ms()?;
        let job = super::lifecycle::requeue(&*self.jobs, id, now).await?;
        tracing::info!(job = %job.id, state = job.state.as_str(), "dead job retried by hand");
        self.record(AuditEntry::job_retried(&job.id, actor, now), &job, now);
        Ok(job)
    }

    /// Discards a dead job for good.
    pub async fn discard(&self, id: &str, actor: Actor) -> Result<Job> {
        crate::limits::check_id("job id", id)?;
        actor.check()?;
        let now = self.clock.try_now_ms()?;
        let job = super::lifecycle::discard(&*self.jobs, id, now).await?;
        tracing::info!(job = %job.id, "dead job discarded by hand");
        self.record(AuditEntry::job_discarded(&job.id, actor, now), &job, now);
        Ok(job)
    }

    fn record(&self, entry: AuditEntry, job: &Job, now: i64) {
        if let Some(history) = &self.history {
            let details = serde_json::json!({
                "task_id": job.task_id,
                "target": job.target,
                "state": job.state.as_str(),
            });
            history.audit(entry.details(details));
        }
        self.events.emit(Event::job_changed(job, now));
    }
}
