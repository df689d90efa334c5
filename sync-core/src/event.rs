//! Events: every state change the engine makes, for WebSocket/SSE fan-out.
//!
//! Invariant: an event is emitted only after the change it reports was durably applied, and
//! sinks must not block (queue and return); a sink cannot fail the operation that emitted.

use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::model::Millis;
use crate::state::{Counters, HoldReason, ItemOutcome, RunKind, RunStatus, SessionState};
use crate::store::{Job, JobState, SyncStatus};
use crate::transition::StatusChange;

/// A state change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Event {
    /// A sync plan was applied.
    SyncExecuted {
        /// The scope.
        scope: String,
        /// The source.
        source: String,
        /// Tasks created.
        created: usize,
        /// Tasks updated.
        updated: usize,
        /// Tasks deleted.
        deleted: usize,
        /// The scope's version after the sync.
        scope_version: u64,
        /// When.
        at: Millis,
    },
    /// A session was created, changed or deleted (`operation`: `create`, `start`, `switch`,
    /// `pause`, `resume`, `complete` or `delete`).
    SessionChanged {
        /// The session's view right after the change (for `delete`, its last view).
        session: SessionState,
        /// The operation.
        operation: String,
        /// When.
        at: Millis,
    },
    /// A task's status changed in the hub (the requested change, or one of its effects).
    StatusChanged {
        /// What changed.
        change: StatusChange,
        /// Who asked.
        actor: Option<String>,
        /// When.
        at: Millis,
    },
    /// A sync job was enqueued or changed state: drives per-task sync indicators.
    JobChanged {
        /// The job.
        job_id: String,
        /// Its task (hub id).
        task_id: String,
        /// Its target.
        target: String,
        /// The job's new state.
        state: JobState,
        /// The task's sync status towards the target.
        sync_status: SyncStatus,
        /// Attempts started.
        attempts: u32,
        /// The last failure, if any.
        error: Option<String>,
        /// When.
        at: Millis,
    },
    /// A sync run (preview or execute) started.
    RunStarted {
        /// The run.
        run_id: String,
        /// Preview or execute.
        kind: RunKind,
        /// The scope.
        scope: String,
        /// The source.
        source: String,
        /// Items it is to process.
        total_items: u64,
        /// When.
        at: Millis,
    },
    /// A run processed one task (created, updated, deleted, failed or skipped).
    RunItem {
        /// The run.
        run_id: String,
        /// The item's position in the run.
        seq: u64,
        /// The task's id in its source.
        external_id: String,
        /// Its item type.
        kind: String,
        /// How it ended.
        outcome: ItemOutcome,
        /// Why it failed or was skipped.
        error: Option<String>,
        /// When.
        at: Millis,
    },
    /// A pull kept its plan for a person instead of executing it (see [`crate::pull`]).
    PullHeld {
        /// The hub scope.
        scope: String,
        /// The provider.
        source: String,
        /// Why the plan was not executed on its own.
        reasons: Vec<HoldReason>,
        /// Creates the plan would make.
        creates: usize,
        /// Updates the plan would make.
        updates: usize,
        /// Deletions the plan would make.
        deletes: usize,
        /// Conflicts the plan reports.
        conflicts: usize,
        /// When.
        at: Millis,
    },
    /// A run ended: completed, failed or cancelled.
    RunFinished {
        /// The run.
        run_id: String,
        /// How it ended.
        status: RunStatus,
        /// Its counters.
        totals: Counters,
        /// How long it took.
        duration_ms: i64,
        /// Why it failed.
        error: Option<String>,
        /// When.
        at: Millis,
    },
}

impl Event {
    /// The [`Event::JobChanged`] of a job as it is now.
    pub fn job_changed(job: &Job, at: Millis) -> Event {
        Event::JobChanged {
            job_id: job.id.clone(),
            task_id: job.task_id.clone(),
            target: job.target.clone(),
            state: job.state,
            sync_status: SyncStatus::of(job.state),
            attempts: job.attempts,
            error: job.last_error.clone(),
            at,
        }
    }
}

/// Receives events. Implementations must return quickly.
pub trait EventSink: Send + Sync {
    /// Takes one event.
    fn emit(&self, event: Event);
}

/// Drops every event.
#[derive(Clone, Copy, Debug, Default)]
pub struct NullSink;

impl EventSink for NullSink {
    fn emit(&self, _event: Event) {}
}

/// Keeps every event in memory (tests, examples).
#[derive(Debug, Default)]
pub struct CollectingSink(Mutex<Vec<Event>>);

impl CollectingSink {
    /// Takes the events collected so far.
    pub fn take(&self) -> Vec<Event> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

impl EventSink for CollectingSink {
    fn emit(&self, event: Event) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).push(event);
    }
}
