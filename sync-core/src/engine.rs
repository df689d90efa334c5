//! The engine: the host's store, clock and event sink, and the operations that use them.
//!
//! Invariants: preview, check and verify never write; execute writes exactly one change set
//! (the plan's writes, guarded by the scope version the plan was computed from) or nothing;
//! events are emitted only after the store accepted the change set.
//!
//! Run recording (see [`crate::history`]): every preview and execute is a run with an id,
//! reported as `RunStarted` / `RunItem` / `RunFinished` events and, when the engine has a
//! [`HistoryRecorder`], recorded without awaiting any store. A run's [`CancelToken`] is checked
//! before each store read and right before the apply; a cancelled run writes nothing.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tracing::{debug, info, instrument, warn};

use crate::clock::{Clock, SystemClock};
use crate::diff::{self, Plan, Policy, SkipReason, Skipped, VerifyReport};
use crate::error::{Error, Result};
use crate::event::{Event, EventSink, NullSink};
use crate::history::tracker::{RunStart, RunTracker};
use crate::history::{CancelToken, HistoryRecorder, RunKind, RunOptions};
use crate::limits::{self, Limits};
use crate::model::{Listing, Task};
use crate::provider::ProviderClient;
use crate::store::{ChangeSet, ScopeGuard, StoreError, TaskStore, TaskWrite};

/// What an executed plan did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecuteReport {
    /// The scope.
    pub scope: String,
    /// Tasks created.
    pub created: usize,
    /// Tasks updated.
    pub updated: usize,
    /// Tasks deleted (in overwrite mode this counts the deleted-then-recreated ones too).
    pub deleted: usize,
    /// Tasks whose sync base moved.
    pub rebased: usize,
    /// The scope's version after the sync.
    pub scope_version: u64,
}

/// The sync engine: cheap to clone, safe to share across threads.
#[derive(Clone)]
pub struct SyncEngine {
    store: Arc<dyn TaskStore>,
    clock: Arc<dyn Clock>,
    events: Arc<dyn EventSink>,
    history: Option<HistoryRecorder>,
    limits: Limits,
}

impl std::fmt::Debug for SyncEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncEngine").finish_non_exhaustive()
    }
}

impl SyncEngine {
    /// An engine on a store, with the system clock and no event sink.
    pub fn new(store: Arc<dyn TaskStore>) -> Self {
        SyncEngine {
            store,
            clock: Arc::new(SystemClock),
            events: Arc::new(NullSink),
            history: None,
            limits: Limits::default(),
        }
    }

    /// Holds listings to these limits (items, fields per task) instead of the defaults.
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Refuses a scope or listing no sync should act on (see [`crate::limits`]).
    fn check_listing(&self, scope: &str, listing: &Listing) -> Result<()> {
        diff::validate_listing(scope, listing)?;
        limits::check_listing(listing, &self.limits)
    }

    /// Records every run into this recorder (best effort: never awaited, never failing).
    pub fn with_history(mut self, recorder: HistoryRecorder) -> Self {
        self.history = Some(recorder);
        self
    }

    /// Starts recording a run, once its context is known to be within the limits and the
    /// clock answers: a refused input or a failing clock records nothing.
    fn begin_run(&self, start: RunStart<'_>, options: &RunOptions) -> Result<RunTracker<'_>> {
        options.context.check()?;
        let now = self.clock.try_now_ms()?;
        Ok(RunTracker::begin(
            start,
            &options.context,
            self.history.as_ref(),
            &*self.events,
            &*self.clock,
            now,
        ))
    }

    /// Uses this clock.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Sends events to this sink.
    pub fn with_events(mut self, events: Arc<dyn EventSink>) -> Self {
        self.events = events;
        self
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn TaskStore> {
        &self.store
    }

    /// The clock.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// Computes what syncing `listing` into `scope` would do. Read-only.
    pub async fn preview(&self, scope: &str, listing: &Listing, policy: &Policy) -> Result<Plan> {
        self.preview_with(scope, listing, policy, &RunOptions::default())
            .await
    }

    /// [`SyncEngine::preview`] as a run with a context and a cancel token.
    #[instrument(skip_all, fields(scope = %scope, source = %listing.source, items = listing.items.len()))]
    pub async fn preview_with(
        &self,
        scope: &str,
        listing: &Listing,
        policy: &Policy,
        options: &RunOptions,
    ) -> Result<Plan> {
        let start = RunStart {
            kind: RunKind::Preview,
            scope,
            source: &listing.source,
            overwrite: policy.overwrite,
            total_items: listing.items.len(),
        };
        self.check_listing(scope, listing)?;
        let mut run = self.begin_run(start, options)?;
        let result = self
            .preview_run(scope, listing, policy, &options.cancel, &run)
            .await;
        if let Ok(plan) = &result {
            run.preview_counts(plan);
        }
        run.finish(result.as_ref().err());
        result
    }

    async fn preview_run(
        &self,
        scope: &str,
        listing: &Listing,
        policy: &Policy,
        cancel: &CancelToken,
        run: &RunTracker<'_>,
    ) -> Result<Plan> {
        policy.validate()?;
        run.check(cancel)?;
        let snapshot = self.store.snapshot(scope.to_owned()).await?;
        run.check(cancel)?;
        let mut plan = diff::compute(scope, &snapshot, listing, policy);
        self.skip_identities_elsewhere(&mut plan).await?;
        plan.token = diff::token(&plan);
        info!(
            creates = plan.counts.creates,
            updates = plan.counts.updates,
            deletes = plan.counts.deletes,
            skipped = plan.counts.skipped,
            conflicts = plan.counts.conflicts,
            scope_version = plan.scope_version,
            run_id = run.id(),
            "sync previewed"
        );
        Ok(plan)
    }

    /// Moves creates whose identity already lives in another scope to `skipped`: identity is
    /// global, and a sync never creates the same external task twice.
    async fn skip_identities_elsewhere(&self, plan: &mut Plan) -> Result<()> {
        if plan.creates.is_empty() {
            return Ok(());
        }
        let ids = plan
            .creates
            .iter()
            .map(|c| c.task.external_id.clone())
            .collect();
        let found = self.store.find_identities(plan.source.clone(), ids).await?;
        let elsewhere: rustc_hash::FxHashMap<String, String> = found
            .into_iter()
            .filter(|identity| identity.scope != plan.scope)
            .map(|identity| (identity.external_id, identity.scope))
            .collect();
        if elsewhere.is_empty() {
            return Ok(());
        }
        let unchanged = plan.counts.unchanged;
        let creates = std::mem::take(&mut plan.creates);
        for create in creates {
            match elsewhere.get(&create.task.external_id) {
                Some(scope) => plan.skipped.push(Skipped {
                    external_id: create.task.external_id.clone(),
                    id: Some(create.task.id.clone()),
                    title: create.task.title.clone(),
                    reason: SkipReason::OwnedByOtherScope {
                        scope: scope.clone(),
                    },
                }),
                None => plan.creates.push(create),
            }
        }
        plan.counts = diff::recount(plan, unchanged);
        Ok(())
    }

    /// Lists `provider_scope` of `provider` as the source of a sync into `scope`. A failed
    /// listing is recorded as a failed preview run of `scope` (so every attempt shows in
    /// history) and returned as `Error::Provider`; nothing is written.
    pub async fn list_from(
        &self,
        provider: &dyn ProviderClient,
        scope: &str,
        provider_scope: &str,
        options: &RunOptions,
    ) -> Result<Listing> {
        match provider.list(provider_scope.to_owned()).await {
            Ok(listing) => Ok(listing),
            Err(err) => {
                let err = Error::Provider(err);
                self.record_failed_listing(scope, &provider.name(), &err, options);
                warn!(scope = %scope, provider = %provider.name(), error = %err,
                    "listing failed; nothing written");
                Err(err)
            }
        }
    }

    /// Records a preview run that failed before it had a listing (a pull whose provider
    /// listing failed), so that every pull shows in history.
    fn record_failed_listing(
        &self,
        scope: &str,
        source: &str,
        error: &Error,
        options: &RunOptions,
    ) {
        let start = RunStart {
            kind: RunKind::Preview,
            scope,
            source,
            overwrite: false,
            total_items: 0,
        };
        match self.begin_run(start, options) {
            Ok(run) => run.finish(Some(error)),
            Err(err) => warn!(error = %err, "the failed listing could not be recorded"),
        }
    }

    /// Whether a sync of `listing` into `scope` would write anything.
    pub async fn check_sync_needed(
        &self,
        scope: &str,
        listing: &Listing,
        policy: &Policy,
    ) -> Result<bool> {
        self.check_listing(scope, listing)?;
        policy.validate()?;
        let snapshot = self.store.snapshot(scope.to_owned()).await?;
        let mut plan = diff::compute(scope, &snapshot, listing, policy);
        self.skip_identities_elsewhere(&mut plan).await?;
        Ok(!plan.is_empty())
    }

    /// Compares `scope` with `listing`, regardless of policy. Read-only.
    pub async fn verify(&self, scope: &str, listing: &Listing) -> Result<VerifyReport> {
        self.check_listing(scope, listing)?;
        let snapshot = self.store.snapshot(scope.to_owned()).await?;
        Ok(diff::verify(&snapshot, listing))
    }

    /// Applies exactly `plan`, atomically. Refuses an unconfirmed call, a plan whose writes do
    /// not match its token, and a plan whose scope changed since the preview (stale plan);
    /// fails with [`Error::IdentityConflict`] when the store refuses a create for good.
    pub async fn execute(&self, plan: &Plan, confirmed: bool) -> Result<ExecuteReport> {
        self.execute_with(plan, confirmed, &RunOptions::default())
            .await
    }

    /// [`SyncEngine::execute`] as a run with a context and a cancel token: one item per planned
    /// write and skipped task, per-type counters, `RunItem` events after the apply. Cancelled
    /// before the apply, it fails with [`Error::Cancelled`] and writes nothing.
    #[instrument(skip_all, fields(scope = %plan.scope, source = %plan.source))]
    pub async fn execute_with(
        &self,
        plan: &Plan,
        confirmed: bool,
        options: &RunOptions,
    ) -> Result<ExecuteReport> {
        let start = RunStart {
            kind: RunKind::Execute,
            scope: &plan.scope,
            source: &plan.source,
            overwrite: plan.overwrite,
            total_items: plan.creates.len()
                + plan.updates.len()
                + plan.deletes.len()
                + plan.skipped.len(),
        };
        limits::check_id("scope", &plan.scope)?;
        limits::check_id("source", &plan.source)?;
        let mut run = self.begin_run(start, options)?;
        let result = self
            .execute_run(plan, confirmed, &options.cancel, &mut run)
            .await;
        run.finish(result.as_ref().err());
        result
    }

    async fn execute_run(
        &self,
        plan: &Plan,
        confirmed: bool,
        cancel: &CancelToken,
        run: &mut RunTracker<'_>,
    ) -> Result<ExecuteReport> {
        if !confirmed {
            return Err(Error::NotConfirmed);
        }
        if diff::token(plan) != plan.token {
            return Err(Error::invalid_input(
                "the plan does not match its token: it was changed after the preview",
            ));
        }
        diff::validate_plan(plan)?;
        let mut report = ExecuteReport {
            scope: plan.scope.clone(),
            created: plan.creates.len(),
            updated: plan.updates.len(),
            deleted: plan.deletes.len(),
            rebased: plan.rebases.len(),
            scope_version: plan.scope_version,
        };
        run.check(cancel)?;
        if plan.is_empty() {
            debug!("empty plan: nothing to apply");
            run.plan_items(plan, None);
            return Ok(report);
        }
        let changes = self.change_set(plan);
        // The last point where a cancel is honoured: the apply is one atomic change set.
        run.check(cancel)?;
        let applied = match self.store.apply(changes).await {
            Ok(applied) => applied,
            Err(err) => {
                let err = self.apply_failure(plan, err).await;
                run.plan_items(plan, Some(&err));
                return Err(err);
            }
        };
        run.plan_items(plan, None);
        report.scope_version = applied
            .scope_versions
            .iter()
            .find(|(scope, _)| *scope == plan.scope)
            .map_or(plan.scope_version + 1, |(_, v)| *v);
        info!(
            created = report.created,
            updated = report.updated,
            deleted = report.deleted,
            scope_version = report.scope_version,
            run_id = run.id(),
            "sync executed"
        );
        self.events.emit(Event::SyncExecuted {
            scope: plan.scope.clone(),
            source: plan.source.clone(),
            created: report.created,
            updated: report.updated,
            deleted: report.deleted,
            scope_version: report.scope_version,
            at: self.clock.now_ms(),
        });
        Ok(report)
    }

    /// Why a plan's apply failed, in terms the caller can act on. A failed guard or version
    /// check is a stale plan. So is a refused create whose identity the hub now shows (a
    /// concurrent sync created it, in this scope or another): a fresh preview matches or skips
    /// it. A refused create whose identity the hub shows nowhere is an identity conflict: a
    /// fresh preview plans the very same create (same identity, same hub id) and the store
    /// refuses it again, so "preview again" would never help.
    async fn apply_failure(&self, plan: &Plan, err: StoreError) -> Error {
        let stale = |detail: String| {
            warn!(%detail, "stale plan refused");
            Error::StalePlan {
                scope: plan.scope.clone(),
                detail,
            }
        };
        let refused = match err {
            StoreError::Conflict(detail) => return stale(detail),
            StoreError::Backend(message) => return Error::Store(message),
            StoreError::Duplicate(refused) => refused,
        };
        let found = self
            .store
            .find_identities(refused.source.clone(), vec![refused.external_id.clone()])
            .await;
        match found.map(|found| found.into_iter().next()) {
            Ok(Some(identity)) => stale(format!(
                "{}; it was created meanwhile, in scope `{}`",
                refused.clipped(),
                identity.scope
            )),
            Ok(None) => {
                warn!(id = %refused.id, "create refused for an identity the hub does not show");
                Error::IdentityConflict(refused.clipped())
            }
            Err(read) => Error::Store(format!(
                "{}; reading the identity back failed: {read}",
                refused.clipped()
            )),
        }
    }

    /// The one change set a plan becomes: deletes first (overwrite recreates their ids), then
    /// updates and rebases, then creates; all guarded by the plan's scope version.
    fn change_set(&self, plan: &Plan) -> ChangeSet {
        let now = self.clock.now_ms();
        let mut tasks = Vec::with_capacity(
            plan.deletes.len() + plan.updates.len() + plan.rebases.len() + plan.creates.len(),
        );
        for d in &plan.deletes {
            tasks.push(TaskWrite::Delete {
                id: d.id.clone(),
                scope: plan.scope.clone(),
                expected_version: d.expected_version,
            });
        }
        let stamped = |task: &Task| Task {
            updated_at: now,
            ..task.clone()
        };
        for u in &plan.updates {
            let task = stamped(&u.after);
            tasks.push(TaskWrite::Update {
                task,
                expected_version: u.expected_version,
            });
        }
        for r in &plan.rebases {
            // A rebase changes no visible content: it keeps the hub's updated_at.
            let task = r.after.clone();
            tasks.push(TaskWrite::Update {
                task,
                expected_version: r.expected_version,
            });
        }
        for c in &plan.creates {
            let task = Task {
                created_at: now,
                ..stamped(&c.task)
            };
            tasks.push(TaskWrite::Insert { task });
        }
        let guards = vec![ScopeGuard {
            scope: plan.scope.clone(),
            expected_version: plan.scope_version,
        }];
        ChangeSet {
            guards,
            tasks,
            jobs: Vec::new(),
        }
    }
}
