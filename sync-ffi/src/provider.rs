//! Providers: the [`Provider`] foreign trait (list a scope, push a status change, refresh the
//! token) and the [`TokenRefresher`] foreign trait, with adapters to the core's
//! `ProviderClient` / `TokenRefresher`. Payloads cross as JSON text.
//!
//! Invariants: a host provider's failure is a [`ProviderError`] whose class decides retries;
//! the refreshed token stays a `Secret` on the Rust side and is never logged or put in errors.

use std::sync::Arc;

use async_trait::async_trait;

use crate::error::{ProviderError, TasksyncError};
use crate::input;
use crate::model::{Listing, Status};

/// One outbound status change, as the worker hands it to a provider.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct StatusPush {
    /// The job's id.
    pub job_id: String,
    /// Send it as the idempotency key: retries of one change reuse it.
    pub idempotency_key: String,
    /// Hub id.
    pub task_id: String,
    /// The provider's id for the task.
    pub external_id: String,
    /// Task kind.
    pub kind: String,
    /// The new hub status.
    pub status: Status,
    /// The provider-shaped payload (JSON text), from the target's status mapping.
    pub payload: String,
    /// 1 on the first attempt.
    pub attempt: u32,
}

/// What a provider answered to a push.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PushReceipt {
    /// The provider's response (JSON text), kept as the job's result.
    pub remote: String,
}

/// A task provider implemented by the host.
#[uniffi::export(with_foreign)]
#[async_trait]
pub trait Provider: Send + Sync {
    /// The target name jobs are routed by (and the listing's source).
    fn name(&self) -> String;
    /// The provider's tasks for `scope`.
    async fn list(&self, scope: String) -> Result<Listing, ProviderError>;
    /// Sends one status change.
    async fn push(&self, change: StatusPush) -> Result<PushReceipt, ProviderError>;
    /// Renews credentials after `TokenExpired`.
    async fn refresh_token(&self) -> Result<(), ProviderError>;
}

/// Renews an access token for a provider (an OAuth refresh, ...), implemented by the host.
#[uniffi::export(with_foreign)]
#[async_trait]
pub trait TokenRefresher: Send + Sync {
    /// A fresh access token for `provider`.
    async fn refresh(&self, provider: String) -> Result<String, ProviderError>;
}

/// The core's `ProviderClient` over a host's.
pub(crate) struct ForeignProvider(pub(crate) Arc<dyn Provider>);

#[async_trait]
impl sync_core::ProviderClient for ForeignProvider {
    fn name(&self) -> String {
        self.0.name()
    }

    async fn list(&self, scope: String) -> Result<sync_core::Listing, sync_core::ProviderError> {
        let listing = self.0.list(scope).await?;
        listing
            .try_into()
            .map_err(|err: TasksyncError| sync_core::ProviderError::Rejected {
                provider: self.0.name(),
                status: 0,
                message: format!("the host provider listed bad data: {err}"),
            })
    }

    async fn push(
        &self,
        change: sync_core::StatusPush,
    ) -> Result<sync_core::PushReceipt, sync_core::ProviderError> {
        let push = StatusPush {
            job_id: change.job_id,
            idempotency_key: change.idempotency_key,
            task_id: change.task_id,
            external_id: change.external_id,
            kind: change.kind,
            status: change.status.into(),
            payload: input::text(&change.payload),
            attempt: change.attempt,
        };
        let receipt = self.0.push(push).await?;
        // A receipt that is not JSON is kept as a JSON string rather than failing a push that
        // the provider has already applied.
        let remote = input::parse("remote", &receipt.remote)
            .unwrap_or(serde_json::Value::String(receipt.remote));
        Ok(sync_core::PushReceipt { remote })
    }

    async fn refresh_token(&self) -> Result<(), sync_core::ProviderError> {
        Ok(self.0.refresh_token().await?)
    }
}

/// The core's `TokenRefresher` over a host's (for adapters that take one).
#[derive(Clone)]
pub(crate) struct ForeignRefresher(pub(crate) Arc<dyn TokenRefresher>);

impl std::fmt::Debug for ForeignRefresher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ForeignRefresher")
    }
}

#[async_trait]
impl sync_core::TokenRefresher for ForeignRefresher {
    async fn refresh(
        &self,
        provider: String,
    ) -> Result<sync_core::Secret, sync_core::ProviderError> {
        Ok(sync_core::Secret::new(self.0.refresh(provider).await?))
    }
}

/// Asks `refresher` for a token for `provider` through the core's `TokenRefresher` contract
/// and reports only whether one came back (the token itself never crosses back).
#[uniffi::export(async_runtime = "tokio")]
pub async fn check_token_refresher(
    refresher: Arc<dyn TokenRefresher>,
    provider: String,
) -> Result<bool, TasksyncError> {
    use sync_core::TokenRefresher as _;
    let secret = ForeignRefresher(refresher)
        .refresh(provider)
        .await
        .map_err(sync_core::Error::Provider)?;
    Ok(!secret.expose().is_empty())
}

/// Lists `scope` from a host provider through the core's provider contract (validating what
/// it returns, as the engine will).
#[uniffi::export(async_runtime = "tokio")]
pub async fn list_from(
    provider: Arc<dyn Provider>,
    scope: String,
) -> Result<Listing, TasksyncError> {
    use sync_core::ProviderClient as _;
    let listing = ForeignProvider(provider)
        .list(scope)
        .await
        .map_err(sync_core::Error::Provider)?;
    Ok((&listing).into())
}
