//! The sync engine as an object: preview, execute, check and verify, all async. Conversion
//! only: the core validates listings and policies and enforces confirmation, stale plans and
//! atomicity.

use std::sync::Arc;

use crate::clock::{Clock, core_clock};
use crate::diff::{Plan, Policy, VerifyReport};
use crate::error::TasksyncError;
use crate::model::Listing;
use crate::provider::{ForeignProvider, Provider};
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

/// Previews and applies syncs of listings into a store's scopes.
#[derive(uniffi::Object)]
pub struct SyncEngine(sync_core::SyncEngine);

impl std::fmt::Debug for SyncEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SyncEngine")
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl SyncEngine {
    /// An engine on `store`, with the host's clock or the system clock.
    #[uniffi::constructor(default(clock = None))]
    pub fn new(store: Arc<HubStore>, clock: Option<Arc<dyn Clock>>) -> Arc<Self> {
        let engine = sync_core::SyncEngine::new(store.tasks.clone()).with_clock(core_clock(clock));
        Arc::new(SyncEngine(engine))
    }

    /// What syncing `listing` into `scope` would do. Read-only.
    pub async fn preview(
        &self,
        scope: String,
        listing: Listing,
        policy: Policy,
    ) -> Result<Arc<Plan>, TasksyncError> {
        let listing = listing.try_into()?;
        let plan = self.0.preview(&scope, &listing, &policy.into()).await?;
        Ok(Plan::new(plan))
    }

    /// Lists `scope` from `provider`, then previews that listing.
    pub async fn preview_from(
        &self,
        provider: Arc<dyn Provider>,
        scope: String,
        policy: Policy,
    ) -> Result<Arc<Plan>, TasksyncError> {
        use sync_core::ProviderClient as _;
        let listing = ForeignProvider(provider)
            .list(scope.clone())
            .await
            .map_err(sync_core::Error::Provider)?;
        let plan = self.0.preview(&scope, &listing, &policy.into()).await?;
        Ok(Plan::new(plan))
    }

    /// Applies exactly `plan`, atomically; `confirmed` must be true. A plan whose scope changed
    /// since the preview fails with `StalePlan`.
    pub async fn execute(
        &self,
        plan: Arc<Plan>,
        confirmed: bool,
    ) -> Result<ExecuteReport, TasksyncError> {
        let r = self.0.execute(&plan.0, confirmed).await?;
        Ok(ExecuteReport {
            scope: r.scope,
            created: r.created as u64,
            updated: r.updated as u64,
            deleted: r.deleted as u64,
            rebased: r.rebased as u64,
            scope_version: r.scope_version,
        })
    }

    /// Whether syncing `listing` into `scope` would write anything.
    pub async fn check_sync_needed(
        &self,
        scope: String,
        listing: Listing,
        policy: Policy,
    ) -> Result<bool, TasksyncError> {
        let listing = listing.try_into()?;
        Ok(self
            .0
            .check_sync_needed(&scope, &listing, &policy.into())
            .await?)
    }

    /// How `scope` compares with `listing`, regardless of policy. Read-only.
    pub async fn verify(
        &self,
        scope: String,
        listing: Listing,
    ) -> Result<VerifyReport, TasksyncError> {
        let listing = listing.try_into()?;
        Ok(self.0.verify(&scope, &listing).await?.into())
    }
}
