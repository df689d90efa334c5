//! One run as the engine sees it: its record, counters, items, audit entries and progress
//! events, built as the run goes and handed to the recorder (if any) without awaiting.

use std::collections::BTreeMap;

use serde_json::json;

use crate::clock::Clock;
use crate::diff::Plan;
use crate::error::Error;
use crate::event::{Event, EventSink};
use crate::model::Millis;

use super::cancel::CancelToken;
use super::model::{AuditAction, AuditEntry, Item, Run, RunContext};
use super::recorder::{HistoryRecorder, new_id};
use crate::state::{Counters, ItemOutcome, RunKind, RunStatus};

/// How many characters of an error message history keeps.
const ERROR_CLIP: usize = 1_000;

fn clip(message: String) -> String {
    match message.char_indices().nth(ERROR_CLIP) {
        Some((cut, _)) => format!("{}… ({} bytes)", &message[..cut], message.len()),
        None => message,
    }
}

/// What the caller adds to one preview or execute: who runs it, between which configured
/// systems, and a token to cancel it.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// Actor, source and target ids, recorded with the run.
    pub context: RunContext,
    /// Cancels the run before it writes anything.
    pub cancel: CancelToken,
}

impl RunOptions {
    /// No context, a fresh token.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the context.
    pub fn context(mut self, context: RunContext) -> Self {
        self.context = context;
        self
    }

    /// Sets the cancel token (keep a clone to cancel).
    pub fn cancel(mut self, token: CancelToken) -> Self {
        self.cancel = token;
        self
    }
}

/// The task an item is about.
struct Processed<'t> {
    external_id: &'t str,
    name: &'t str,
    kind: &'t str,
    target_id: Option<&'t str>,
}

impl<'t> Processed<'t> {
    fn new(external_id: &'t str, name: &'t str, kind: &'t str, target_id: Option<&'t str>) -> Self {
        Processed {
            external_id,
            name,
            kind,
            target_id,
        }
    }
}

/// A run in progress.
pub(crate) struct RunTracker<'a> {
    run: Run,
    recorder: Option<&'a HistoryRecorder>,
    events: &'a dyn EventSink,
    clock: &'a dyn Clock,
    items: Vec<Item>,
    seq: u64,
}

/// The run's identity and where it reports.
pub(crate) struct RunStart<'a> {
    pub(crate) kind: RunKind,
    pub(crate) scope: &'a str,
    pub(crate) source: &'a str,
    pub(crate) overwrite: bool,
    pub(crate) total_items: usize,
}

impl<'a> RunTracker<'a> {
    /// Records the run as pending then in progress, audits its start, emits `RunStarted`.
    pub(crate) fn begin(
        start: RunStart<'_>,
        context: &RunContext,
        recorder: Option<&'a HistoryRecorder>,
        events: &'a dyn EventSink,
        clock: &'a dyn Clock,
        now: Millis,
    ) -> Self {
        let mut run = Run {
            id: new_id("run", now),
            kind: start.kind,
            scope: start.scope.to_owned(),
            source: start.source.to_owned(),
            status: RunStatus::Pending,
            overwrite: start.overwrite,
            context: context.clone(),
            started_at: now,
            ended_at: None,
            duration_ms: None,
            total_items: start.total_items as u64,
            totals: Counters::default(),
            by_type: BTreeMap::new(),
            deletions: 0,
            error: None,
        };
        if let Some(recorder) = recorder {
            recorder.run(run.clone());
            recorder.audit(
                AuditEntry::new(
                    AuditAction::SyncStarted,
                    "sync",
                    run.id.clone(),
                    context.actor.clone(),
                    now,
                )
                .details(json!({
                    "kind": run.kind,
                    "scope": run.scope,
                    "source": run.source,
                    "overwrite": run.overwrite,
                    "total_items": run.total_items,
                    "source_id": context.source_id,
                    "target_id": context.target_id,
                })),
            );
        }
        run.status = RunStatus::InProgress;
        if let Some(recorder) = recorder {
            recorder.run(run.clone());
        }
        events.emit(Event::RunStarted {
            run_id: run.id.clone(),
            kind: run.kind,
            scope: run.scope.clone(),
            source: run.source.clone(),
            total_items: run.total_items,
            at: now,
        });
        RunTracker {
            run,
            recorder,
            events,
            clock,
            items: Vec::new(),
            seq: 0,
        }
    }

    /// The run's id.
    pub(crate) fn id(&self) -> &str {
        &self.run.id
    }

    /// Fails with [`Error::Cancelled`] if the token was cancelled.
    pub(crate) fn check(&self, cancel: &CancelToken) -> Result<(), Error> {
        if cancel.is_cancelled() {
            return Err(Error::Cancelled);
        }
        Ok(())
    }

    fn count(&mut self, kind: &str, outcome: ItemOutcome) {
        self.run.totals.add(outcome);
        if kind.is_empty() {
            return; // An item without a type counts in the totals only.
        }
        // Look up before inserting: most items share a handful of kinds, so no allocation.
        match self.run.by_type.get_mut(kind) {
            Some(counters) => counters.add(outcome),
            None => {
                let mut counters = Counters::default();
                counters.add(outcome);
                self.run.by_type.insert(kind.to_owned(), counters);
            }
        }
    }

    /// One processed task: counted, kept for the recorder, announced as a `RunItem` event.
    fn item(&mut self, outcome: ItemOutcome, task: Processed<'_>, error: Option<&str>, at: i64) {
        let Processed {
            external_id,
            name,
            kind,
            target_id,
        } = task;
        self.count(kind, outcome);
        let seq = self.seq;
        self.seq += 1;
        if self.recorder.is_some() {
            self.items.push(Item {
                seq,
                external_id: external_id.to_owned(),
                name: name.to_owned(),
                kind: kind.to_owned(),
                outcome,
                target_id: target_id.map(str::to_owned),
                target_url: None,
                error: error.map(str::to_owned),
            });
        }
        self.events.emit(Event::RunItem {
            run_id: self.run.id.clone(),
            seq,
            external_id: external_id.to_owned(),
            kind: kind.to_owned(),
            outcome,
            error: error.map(str::to_owned),
            at,
        });
    }

    /// The items of an executed plan: its writes (created, updated, deleted; or all failed
    /// with `failure` when the atomic apply failed) and its skipped tasks.
    pub(crate) fn plan_items(&mut self, plan: &Plan, failure: Option<&Error>) {
        let at = self.clock.now_ms();
        let error = failure.map(|e| clip(e.to_string()));
        let error = error.as_deref();
        let done = |outcome| {
            if error.is_some() {
                ItemOutcome::Failed
            } else {
                outcome
            }
        };
        for d in &plan.deletes {
            let outcome = done(ItemOutcome::Deleted);
            let task = Processed::new(&d.external_id, &d.title, &d.kind, Some(&d.id));
            self.item(outcome, task, error, at);
        }
        for u in &plan.updates {
            let outcome = done(ItemOutcome::Updated);
            let task = Processed::new(&u.external_id, &u.after.title, &u.kind, Some(&u.id));
            self.item(outcome, task, error, at);
        }
        for c in &plan.creates {
            let t = &c.task;
            let outcome = done(ItemOutcome::Created);
            let task = Processed::new(&t.external_id, &t.title, &t.kind, Some(&t.id));
            self.item(outcome, task, error, at);
        }
        for s in &plan.skipped {
            let why = s.reason.to_string();
            // A skipped change does not carry its item type: the item has none (rather than a
            // made-up one that a host would show as if it were real).
            let task = Processed::new(&s.external_id, &s.title, "", s.id.as_deref());
            self.item(ItemOutcome::Skipped, task, Some(&why), at);
        }
        if failure.is_none() && plan.overwrite {
            self.run.deletions = plan.deletes.len() as u64;
        }
    }

    /// A preview's counters: what the plan would do (no items are recorded for a preview).
    pub(crate) fn preview_counts(&mut self, plan: &Plan) {
        let c = &plan.counts;
        self.run.totals = Counters {
            created: c.creates as u64,
            updated: c.updates as u64,
            deleted: c.deletes as u64,
            failed: 0,
            skipped: c.skipped as u64,
        };
        self.run.by_type = c
            .by_kind
            .iter()
            .map(|(kind, k)| {
                let counters = Counters {
                    created: k.creates as u64,
                    updated: k.updates as u64,
                    deleted: k.deletes as u64,
                    ..Counters::default()
                };
                (kind.clone(), counters)
            })
            .collect();
        if plan.overwrite {
            self.run.deletions = c.deletes as u64;
        }
    }

    /// Ends the run: completed, or failed / cancelled by `error`. Records items, the final run
    /// and an audit entry; emits `RunFinished`.
    pub(crate) fn finish(mut self, error: Option<&Error>) {
        let now = self.clock.now_ms();
        self.run.status = match error {
            None => RunStatus::Completed,
            Some(Error::Cancelled) => RunStatus::Cancelled,
            Some(_) => RunStatus::Failed,
        };
        self.run.ended_at = Some(now);
        self.run.duration_ms = Some(now.saturating_sub(self.run.started_at).max(0));
        self.run.error = error.map(|e| clip(e.to_string()));
        if let Some(recorder) = self.recorder {
            recorder.items(&self.run.id, std::mem::take(&mut self.items));
            let action = match self.run.status {
                RunStatus::Cancelled => AuditAction::SyncCancelled,
                RunStatus::Failed => AuditAction::SyncFailed,
                _ => AuditAction::SyncCompleted,
            };
            let t = &self.run.totals;
            recorder.audit(
                AuditEntry::new(
                    action,
                    "sync",
                    self.run.id.clone(),
                    self.run.context.actor.clone(),
                    now,
                )
                .details(json!({
                    "total_items": self.run.total_items,
                    "created": t.created,
                    "updated": t.updated,
                    "deleted": t.deleted,
                    "failed": t.failed,
                    "skipped": t.skipped,
                    "error": self.run.error,
                })),
            );
            recorder.run(self.run.clone());
        }
        self.events.emit(Event::RunFinished {
            run_id: self.run.id.clone(),
            status: self.run.status,
            totals: self.run.totals,
            duration_ms: self.run.duration_ms.unwrap_or(0),
            error: self.run.error.clone(),
            at: now,
        });
    }
}
