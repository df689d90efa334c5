//! The sync engine as an object: preview, execute (also as runs with a context and a cancel
//! token, recorded in a [`History`]), check and verify, all async. Conversion
//! only: the core validates listings and policies and enforces confirmation, stale plans and
//! atomicity.

use std::sync::Arc;

use crate::clock::{Clock, core_clock};
use crate::diff::{Plan, Policy, VerifyReport};
use crate::error::{TasksyncError, guard_future};
use crate::event::{EventSink, core_sink};
use crate::history::{CancelToken, History, RunContext, run_options};
use crate::limits::{Limits, core_limits};
use crate::model::Listing;
use crate::provider::{Provider, core_provider};
use crate::store::HubStore;

/// What an executed plan did.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ExecuteReport {
    /// The scope.
    pub scope: String,
    /// Tasks created.
    pub created: u64,
    /// Tasks updated.
    pub updated: u64,
    /// Tasks deleted.
    pub deleted: u64,
    /// Tasks whose sync base moved.
    pub rebased: u64,
    /// The scope's version after the sync.
    pub scope_version: u64,
}

pub(crate) fn report(r: sync_core::ExecuteReport) -> ExecuteReport {
    ExecuteReport {
        scope: r.scope,
        created: r.created as u64,
        updated: r.updated as u64,
        deleted: r.deleted as u64,
        rebased: r.rebased as u64,
        scope_version: r.scope_version,
    }
}

/// Previews and applies syncs of listings into a store's scopes.
#[derive(uniffi::Object)]
pub struct SyncEngine(pub(crate) sync_core::SyncEngine);

impl std::fmt::Debug for SyncEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SyncEngine")
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl SyncEngine {
    /// An engine on `store`, with the host's clock or the system clock; `events` receives
    /// `sync_executed` and run events; `history` records every run (best effort); `limits`
    /// raises the core's limits (listing size, fields per task; null: the defaults).
    #[uniffi::constructor(default(clock = None, events = None, history = None, limits = None))]
    pub fn new(
        store: Arc<HubStore>,
        clock: Option<Arc<dyn Clock>>,
        events: Option<Arc<dyn EventSink>>,
        history: Option<Arc<History>>,
        limits: Option<Limits>,
    ) -> Arc<Self> {
        let mut engine = sync_core::SyncEngine::new(store.tasks.clone())
            .with_clock(core_clock(clock))
            .with_events(core_sink(events))
            .with_limits(core_limits(limits));
        if let Some(history) = history {
            engine = engine.with_history(history.recorder.clone());
        }
        Arc::new(SyncEngine(engine))
    }

    /// `preview` as a run with a context (who, recorded in the history) and a cancel token.
    #[uniffi::method(default(context = None, cancel = None))]
    pub async fn preview_with(
        &self,
        scope: String,
        listing: Listing,
        policy: Policy,
        context: Option<RunContext>,
        cancel: Option<Arc<CancelToken>>,
    ) -> Result<Arc<Plan>, TasksyncError> {
        guard_future(async move {
            let listing = listing.try_into()?;
            let options = run_options(context, cancel);
            let plan = self
                .0
                .preview_with(&scope, &listing, &policy.into(), &options)
                .await?;
            Ok(Plan::new(plan))
        })
        .await
    }

    /// `execute` as a run with a context and a cancel token: a run cancelled before its write
    /// fails with `Cancelled` and writes nothing.
    #[uniffi::method(default(context = None, cancel = None))]
    pub async fn execute_with(
        &self,
        plan: Arc<Plan>,
        confirmed: bool,
        context: Option<RunContext>,
        cancel: Option<Arc<CancelToken>>,
    ) -> Result<ExecuteReport, TasksyncError> {
        guard_future(async move {
            let options = run_options(context, cancel);
            let r = self.0.execute_with(&plan.0, confirmed, &options).await?;
            Ok(report(r))
        })
        .await
    }

    /// What syncing `listing` into `scope` would do. Read-only.
    pub async fn preview(
        &self,
        scope: String,
        listing: Listing,
        policy: Policy,
    ) -> Result<Arc<Plan>, TasksyncError> {
        guard_future(async move {
            let listing = listing.try_into()?;
            let plan = self.0.preview(&scope, &listing, &policy.into()).await?;
            Ok(Plan::new(plan))
        })
        .await
    }

    /// Lists `scope` from `provider`, then previews that listing.
    pub async fn preview_from(
        &self,
        provider: Arc<dyn Provider>,
        scope: String,
        policy: Policy,
    ) -> Result<Arc<Plan>, TasksyncError> {
        guard_future(async move {
            let listing = core_provider(provider)
                .list(scope.clone())
                .await
                .map_err(sync_core::Error::Provider)?;
            let plan = self.0.preview(&scope, &listing, &policy.into()).await?;
            Ok(Plan::new(plan))
        })
        .await
    }

    /// Applies exactly `plan`, atomically; `confirmed` must be true. A plan whose scope changed
    /// since the preview fails with `StalePlan`.
    pub async fn execute(
        &self,
        plan: Arc<Plan>,
        confirmed: bool,
    ) -> Result<ExecuteReport, TasksyncError> {
        guard_future(async move { Ok(report(self.0.execute(&plan.0, confirmed).await?)) }).await
    }

    /// Whether syncing `listing` into `scope` would write anything.
    pub async fn check_sync_needed(
        &self,
        scope: String,
        listing: Listing,
        policy: Policy,
    ) -> Result<bool, TasksyncError> {
        guard_future(async move {
            let listing = listing.try_into()?;
            Ok(self
                .0
                .check_sync_needed(&scope, &listing, &policy.into())
                .await?)
        })
        .await
    }

    /// How `scope` compares with `listing`, regardless of policy. Read-only.
    pub async fn verify(
        &self,
        scope: String,
        listing: Listing,
    ) -> Result<VerifyReport, TasksyncError> {
        guard_future(async move {
            let listing = listing.try_into()?;
            Ok(self.0.verify(&scope, &listing).await?.into())
        })
        .await
    }
}
