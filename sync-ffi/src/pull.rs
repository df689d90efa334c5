//! Pull (mirrors `sync_core::pull`): [`Puller`] lists a provider into a hub scope, previews,
//! and executes only under the configuration's rule; otherwise it keeps the plan
//! ([`Puller::held`]) and emits `pull_held` to its event sink. `run(stop)` is the core's loop
//! on the binding's timer, with the [`StopSignal`] the worker's loop takes.
//!
//! Invariants: the configuration is the core's `PullConfig` read by its strict reader
//! (unknown keys refused, naming the field); the decision is the core's; a failed listing is
//! a failed preview run in the engine's history and writes nothing. A pull's report crosses
//! as a record and, complete, as the core's serde form (`report_json`).

use std::sync::Arc;

use crate::diff::Plan;
use crate::engine::{ExecuteReport, SyncEngine, report};
use crate::error::{TasksyncError, guard, guard_future};
use crate::event::{EventSink, core_sink};
use crate::history::{RunContext, run_options};
use crate::input;
use crate::provider::{Provider, core_provider};
use crate::retry::StopSignal;
use crate::retry::worker::tokio_sleep;

/// What one pull did.
#[derive(Debug, Clone, uniffi::Record)]
pub struct PullReport {
    /// The hub scope.
    pub scope: String,
    /// The provider (the listing's source).
    pub source: String,
    /// Whether the listing was complete (a partial one never deletes).
    pub complete: bool,
    /// How it ended: `unchanged`, `executed` or `held`.
    pub outcome: String,
    /// For `executed`: what the execute wrote.
    pub executed: Option<ExecuteReport>,
    /// For `held`: why (`auto_execute_off`, `conflicts`, `too_many_deletes`,
    /// `mass_deletion`).
    pub reasons: Vec<String>,
    /// For `held`: the plan kept for a person (execute it with `SyncEngine.execute`).
    pub plan: Option<Arc<Plan>>,
    /// The whole report in the core's JSON form (`{"scope", "source", "complete", "counts",
    /// "outcome", ...}`), the same in every host.
    pub report_json: String,
}

impl PullReport {
    fn new(r: sync_core::pull::PullReport) -> Result<Self, TasksyncError> {
        let report_json = serde_json::to_string(&r).map_err(|e| TasksyncError::Internal {
            detail: format!("pull report not serialisable: {e}"),
        })?;
        let (outcome, executed, reasons, plan) = match r.outcome {
            sync_core::pull::PullOutcome::Unchanged => ("unchanged", None, Vec::new(), None),
            sync_core::pull::PullOutcome::Executed { report: done } => {
                ("executed", Some(report(done)), Vec::new(), None)
            }
            sync_core::pull::PullOutcome::Held { reasons, plan } => (
                "held",
                None,
                reasons.iter().map(|r| r.as_str().to_owned()).collect(),
                Some(Plan::new(*plan)),
            ),
        };
        Ok(PullReport {
            scope: r.scope,
            source: r.source,
            complete: r.complete,
            outcome: outcome.to_owned(),
            executed,
            reasons,
            plan,
            report_json,
        })
    }
}

/// What `Puller.run` did until it stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct PullTotals {
    /// Pulls started.
    pub pulls: u64,
    /// Pulls that executed their plan.
    pub executed: u64,
    /// Pulls that held their plan.
    pub held: u64,
    /// Pulls that found nothing to do.
    pub unchanged: u64,
    /// Pulls that failed (listing, preview or execute).
    pub failed: u64,
}

/// Pulls one provider into one scope, once (`pull`) or every `interval_ms` (`run`).
#[derive(Debug, uniffi::Object)]
pub struct Puller(sync_core::pull::Puller);

#[uniffi::export(async_runtime = "tokio")]
impl Puller {
    /// A puller from `provider` through `engine` (whose history records every pull), as
    /// `config_json` says (a `PullConfig`: `scope`, `provider_scope`, `policy`, `rule
    /// {auto_execute, allow_conflicts, max_deletes}`, `interval_ms`); `events` receives
    /// `pull_held`. A bad configuration is `InvalidInput` naming the field.
    #[uniffi::constructor(default(events = None))]
    pub fn new(
        engine: Arc<SyncEngine>,
        provider: Arc<dyn Provider>,
        config_json: String,
        events: Option<Arc<dyn EventSink>>,
    ) -> Result<Arc<Self>, TasksyncError> {
        guard(|| {
            let value = input::parse("config_json", &config_json)?;
            let config: sync_core::pull::PullConfig = serde_json::from_value(value)
                .map_err(|e| TasksyncError::invalid(format!("pull config: {e}")))?;
            let puller =
                sync_core::pull::Puller::new(engine.0.clone(), core_provider(provider), config)?
                    .with_events(core_sink(events));
            Ok(Arc::new(Puller(puller)))
        })
    }

    /// One pull: list, preview, execute when the rule allows, else hold. A failed listing is
    /// `Provider` (recorded as a failed run; nothing written).
    #[uniffi::method(default(context = None))]
    pub async fn pull(&self, context: Option<RunContext>) -> Result<PullReport, TasksyncError> {
        guard_future(async move {
            let options = run_options(context, None);
            PullReport::new(self.0.pull(&options).await?)
        })
        .await
    }

    /// The plan the last pull held, if it held one.
    pub fn held(&self) -> Option<Arc<Plan>> {
        self.0.held().map(Plan::new)
    }

    /// Pulls every `interval_ms` until `stop` is stopped (a pull in flight is finished); a
    /// failed pull is counted and the loop goes on. Every pull's run is recorded with
    /// `context` (its actor: who scheduled the pulls). Returns the totals.
    #[uniffi::method(default(context = None))]
    pub async fn run(
        &self,
        stop: Arc<StopSignal>,
        context: Option<RunContext>,
    ) -> Result<PullTotals, TasksyncError> {
        guard_future(async move {
            let options = run_options(context, None);
            let t = self
                .0
                .run(&options, &*tokio_sleep(), stop.stopped(), |_| {})
                .await;
            Ok(PullTotals {
                pulls: t.pulls,
                executed: t.executed,
                held: t.held,
                unchanged: t.unchanged,
                failed: t.failed,
            })
        })
        .await
    }
}
