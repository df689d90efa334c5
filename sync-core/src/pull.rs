//! Pull: the other direction of a two-way sync. A provider's listing is previewed into a hub
//! scope and executed on its own only when the host's [`PullRule`] allows it; otherwise the
//! plan is kept for a person ([`Puller::held`]) and an [`Event::PullHeld`] says why.
//!
//! Invariants:
//! - Every pull is a history run: the preview is one (a listing that failed is recorded as a
//!   failed preview run, with the provider's error), and an execute is another.
//! - Deletion safety holds: a failed listing writes nothing; a partial listing never deletes
//!   (the diff skips absent tasks as `incomplete_listing`); a plan whose deletions exceed
//!   [`PullRule::max_deletes`], or whose deletions the policy blocked as a mass deletion, is
//!   held, never executed on its own.
//! - The decision ([`PullRule::decide`]) is made here, once, for every host; the loop
//!   ([`Puller::run`]) takes the host's timer as a [`Sleep`], like the queue's worker.
//! - A held plan is the newest one: each pull replaces it, and an executed or empty pull
//!   clears it. Executing it is the person's `SyncEngine::execute(plan, true)`, which refuses
//!   it as stale once the scope moved.

use std::future::Future;
use std::pin::pin;
use std::sync::{Arc, Mutex};

use futures::FutureExt;
use futures::future::{Either, select};
use serde::{Deserialize, Serialize};

use crate::diff::{Plan, PlanCounts, Policy, SkipReason};
use crate::engine::{ExecuteReport, SyncEngine};
use crate::error::{Error, Result};
use crate::event::{Event, EventSink, NullSink};
use crate::history::RunOptions;
use crate::limits;
use crate::provider::ProviderClient;
use crate::retry::Sleep;
pub use crate::state::HoldReason;

/// The shortest interval of a scheduled pull, in ms.
pub const MIN_INTERVAL_MS: u64 = 1_000;
/// The longest interval of a scheduled pull, in ms (one week).
pub const MAX_INTERVAL_MS: u64 = 7 * 24 * 3_600_000;

/// When a pull may execute its plan without a person. Its serde form refuses unknown keys.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PullRule {
    /// Execute a plan on its own at all (`false`: every non-empty plan is held).
    pub auto_execute: bool,
    /// Execute a plan that reports conflicts (tasks changed on both sides since the last sync).
    pub allow_conflicts: bool,
    /// The most deletions a plan may make and still execute on its own.
    pub max_deletes: usize,
}

impl Default for PullRule {
    fn default() -> Self {
        PullRule {
            auto_execute: true,
            allow_conflicts: false,
            max_deletes: 0,
        }
    }
}

impl PullRule {
    /// Why `plan` may not execute on its own; empty when it may.
    pub fn decide(&self, plan: &Plan) -> Vec<HoldReason> {
        let mut reasons = Vec::new();
        if !self.auto_execute {
            reasons.push(HoldReason::AutoExecuteOff);
        }
        if plan.counts.conflicts > 0 && !self.allow_conflicts {
            reasons.push(HoldReason::Conflicts {
                conflicts: plan.counts.conflicts,
            });
        }
        if plan.deletes.len() > self.max_deletes {
            reasons.push(HoldReason::TooManyDeletes {
                deletes: plan.deletes.len(),
                limit: self.max_deletes,
            });
        }
        let blocked = plan.skipped.iter().find_map(|s| match s.reason {
            SkipReason::MassDeletion { deletes, limit } => Some((deletes, limit)),
            _ => None,
        });
        if let Some((deletes, limit)) = blocked {
            reasons.push(HoldReason::MassDeletion { deletes, limit });
        }
        reasons
    }
}

/// What one pull pulls: from which provider scope into which hub scope, under which sync
/// policy and rule, how often. Its serde form refuses unknown keys.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PullConfig {
    /// The hub scope the tasks go into.
    pub scope: String,
    /// The scope the provider lists (a To Do list id, a ConnectWise board, ...); default:
    /// the hub scope.
    #[serde(default)]
    pub provider_scope: Option<String>,
    /// The sync policy of the preview.
    #[serde(default)]
    pub policy: Policy,
    /// When the plan executes on its own.
    #[serde(default)]
    pub rule: PullRule,
    /// How often [`Puller::run`] pulls, in ms.
    #[serde(default = "default_interval")]
    pub interval_ms: u64,
}

fn default_interval() -> u64 {
    60_000
}

impl PullConfig {
    /// A pull into `scope` with the default policy, rule and interval (one minute).
    pub fn new(scope: impl Into<String>) -> Self {
        PullConfig {
            scope: scope.into(),
            provider_scope: None,
            policy: Policy::default(),
            rule: PullRule::default(),
            interval_ms: default_interval(),
        }
    }

    /// Refuses a bad scope, policy or interval, naming the field.
    pub fn validate(&self) -> Result<()> {
        limits::check_id("scope", &self.scope)?;
        if let Some(scope) = &self.provider_scope {
            limits::check_id("provider_scope", scope)?;
        }
        self.policy.validate()?;
        if !(MIN_INTERVAL_MS..=MAX_INTERVAL_MS).contains(&self.interval_ms) {
            return Err(Error::invalid_input(format!(
                "interval_ms must be between {MIN_INTERVAL_MS} and {MAX_INTERVAL_MS}, got {}",
                self.interval_ms
            )));
        }
        Ok(())
    }

    fn listed_scope(&self) -> &str {
        self.provider_scope.as_deref().unwrap_or(&self.scope)
    }
}

/// How a pull ended.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum PullOutcome {
    /// The hub already matches the listing.
    Unchanged,
    /// The plan was executed on its own.
    Executed {
        /// What it did.
        report: ExecuteReport,
    },
    /// The plan was kept for a person (see [`Puller::held`]).
    Held {
        /// Why.
        reasons: Vec<HoldReason>,
        /// The plan.
        plan: Box<Plan>,
    },
}

/// One pull: where from, and what came of it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PullReport {
    /// The hub scope.
    pub scope: String,
    /// The provider (the listing's source).
    pub source: String,
    /// Whether the listing was complete (a partial one never deletes).
    pub complete: bool,
    /// The plan's counts.
    pub counts: PlanCounts,
    /// How it ended.
    #[serde(flatten)]
    pub outcome: PullOutcome,
}

/// What [`Puller::run`] did until it stopped.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
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

/// Pulls one provider into one scope, once ([`Puller::pull`]) or on a schedule
/// ([`Puller::run`]). Cheap to share across threads.
pub struct Puller {
    engine: SyncEngine,
    provider: Arc<dyn ProviderClient>,
    config: PullConfig,
    events: Arc<dyn EventSink>,
    held: Mutex<Option<Plan>>,
}

impl std::fmt::Debug for Puller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Puller")
            .field("provider", &self.provider.name())
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Puller {
    /// A puller from `provider` through `engine` (whose history records every pull); refuses
    /// a bad config.
    pub fn new(
        engine: SyncEngine,
        provider: Arc<dyn ProviderClient>,
        config: PullConfig,
    ) -> Result<Self> {
        config.validate()?;
        Ok(Puller {
            engine,
            provider,
            config,
            events: Arc::new(NullSink),
            held: Mutex::new(None),
        })
    }

    /// Sends [`Event::PullHeld`] to this sink (the engine's own sink gets the run events).
    pub fn with_events(mut self, events: Arc<dyn EventSink>) -> Self {
        self.events = events;
        self
    }

    /// The configuration.
    pub fn config(&self) -> &PullConfig {
        &self.config
    }

    /// The plan the last pull held for a person, if it held one.
    pub fn held(&self) -> Option<Plan> {
        self.lock_held().clone()
    }

    fn lock_held(&self) -> std::sync::MutexGuard<'_, Option<Plan>> {
        self.held.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Lists the provider, previews, and executes when the rule allows; otherwise keeps the
    /// plan and emits [`Event::PullHeld`]. A failed listing is recorded as a failed preview
    /// run and returned as [`Error::Provider`]; nothing is written.
    pub async fn pull(&self, options: &RunOptions) -> Result<PullReport> {
        let scope = &self.config.scope;
        let listing = self
            .engine
            .list_from(&*self.provider, scope, self.config.listed_scope(), options)
            .await?;
        let plan = self
            .engine
            .preview_with(scope, &listing, &self.config.policy, options)
            .await?;
        let mut report = PullReport {
            scope: scope.clone(),
            source: plan.source.clone(),
            complete: listing.complete,
            counts: plan.counts.clone(),
            outcome: PullOutcome::Unchanged,
        };
        let mut reasons = self.config.rule.decide(&plan);
        if plan.is_empty() {
            // Nothing to write; but deletions the policy blocked still need a person.
            reasons.retain(|r| matches!(r, HoldReason::MassDeletion { .. }));
            if reasons.is_empty() {
                *self.lock_held() = None;
                return Ok(report);
            }
        }
        if reasons.is_empty() {
            let executed = self.engine.execute_with(&plan, true, options).await?;
            *self.lock_held() = None;
            report.outcome = PullOutcome::Executed { report: executed };
            return Ok(report);
        }
        tracing::info!(scope = %scope, source = %plan.source,
            reasons = ?reasons.iter().map(HoldReason::as_str).collect::<Vec<_>>(),
            "pull: plan held for a person");
        self.events.emit(Event::PullHeld {
            scope: scope.clone(),
            source: plan.source.clone(),
            reasons: reasons.clone(),
            creates: plan.counts.creates,
            updates: plan.counts.updates,
            deletes: plan.counts.deletes,
            conflicts: plan.counts.conflicts,
            at: self.engine.clock().now_ms(),
        });
        *self.lock_held() = Some(plan.clone());
        report.outcome = PullOutcome::Held {
            reasons,
            plan: Box::new(plan),
        };
        Ok(report)
    }

    /// Pulls every `interval_ms` until `stop` resolves (checked between pulls; a pull in
    /// flight is finished). A failed pull is logged and counted; the loop goes on. `on_pull`
    /// sees every pull's result, as it comes. Every pull is recorded with `options` (the actor
    /// and request id the host runs the schedule as).
    pub async fn run<F>(
        &self,
        options: &RunOptions,
        sleep: &Sleep,
        stop: impl Future<Output = ()>,
        mut on_pull: F,
    ) -> PullTotals
    where
        F: FnMut(&Result<PullReport>) + Send,
    {
        let mut stop = pin!(stop.fuse());
        let mut totals = PullTotals::default();
        loop {
            if (&mut stop).now_or_never().is_some() {
                return totals;
            }
            totals.pulls += 1;
            let result = self.pull(options).await;
            match &result {
                Ok(report) => match report.outcome {
                    PullOutcome::Unchanged => totals.unchanged += 1,
                    PullOutcome::Executed { .. } => totals.executed += 1,
                    PullOutcome::Held { .. } => totals.held += 1,
                },
                Err(err) => {
                    totals.failed += 1;
                    tracing::warn!(scope = %self.config.scope, error = %err, "pull failed");
                }
            }
            on_pull(&result);
            let wait = sleep(self.config.interval_ms);
            if let Either::Left(_) = select(&mut stop, wait).await {
                return totals;
            }
        }
    }
}
