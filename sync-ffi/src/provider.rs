//! Providers: the [`Provider`] foreign trait (list a scope, push a status change, refresh the
//! token) and the [`TokenRefresher`] foreign trait, with adapters to the core's
//! `ProviderClient` / `TokenRefresher`. Payloads cross as JSON text.
//!
//! Invariants: a host provider's failure is a [`ProviderError`] whose class decides retries;
//! the refreshed token stays a `Secret` on the Rust side and is never logged or put in errors.

use std::future::Future;
use std::sync::Arc;

use async_trait::async_trait;

use crate::error::{ProviderError, TasksyncError, guard_future, panic_text, unwinding};
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

/// A task provider implemented by the host, or a built-in one (`builtin_provider`,
/// `FolderSource.provider`) handed back to the binding.
// `Any`: a built-in provider handed back by the host is recognised ([`core_provider`]) and
// its Rust adapter used directly, without a round trip through the foreign interface.
// `tokio`: a built-in provider's methods, called by the host, run the HTTP adapter on tokio.
#[uniffi::export(with_foreign, async_runtime = "tokio")]
#[async_trait]
pub trait Provider: Send + Sync + std::any::Any {
    /// The target name jobs are routed by (and the listing's source).
    fn name(&self) -> String;
    /// The provider's tasks for `scope`.
    async fn list(&self, scope: String) -> Result<Listing, ProviderError>;
    /// Sends one status change.
    async fn push(&self, change: StatusPush) -> Result<PushReceipt, ProviderError>;
    /// Renews credentials after `TokenExpired`.
    async fn refresh_token(&self) -> Result<(), ProviderError>;
}

/// Renews an access token for a provider (an OAuth refresh, ...), implemented by the host:
/// `async def` in Python, `suspend` in Kotlin, `async` in Swift.
#[uniffi::export(with_foreign)]
#[async_trait]
pub trait TokenRefresher: Send + Sync {
    /// A fresh access token for `provider`.
    async fn refresh(&self, provider: String) -> Result<String, ProviderError>;
}

/// A [`TokenRefresher`] whose method blocks (a plain `def` in Python, a plain `fun` in
/// Kotlin): for hosts that renew with a blocking client. It is called on the thread that
/// drives the provider call, which waits for it.
#[uniffi::export(with_foreign)]
pub trait BlockingTokenRefresher: Send + Sync {
    /// A fresh access token for `provider`.
    fn refresh(&self, provider: String) -> Result<String, ProviderError>;
}

/// The core's `ProviderClient` over a host's. The host's `name()` is read once, when the
/// adapter is made (inside a guarded export: a host that throws there fails that call with
/// `Internal`), so routing never calls back into the host.
pub(crate) struct ForeignProvider {
    host: Arc<dyn Provider>,
    name: String,
}

impl ForeignProvider {
    /// The adapter over `host`, reading its name.
    fn new(host: Arc<dyn Provider>) -> Self {
        let name = host.name();
        ForeignProvider { host, name }
    }
}

/// The core's provider for one the host passed: a built-in provider's own adapter (the same
/// `ProviderClient` the configuration built, no conversion), or the adapter over a host's.
pub(crate) fn core_provider(host: Arc<dyn Provider>) -> Arc<dyn sync_core::ProviderClient> {
    let any: Arc<dyn std::any::Any + Send + Sync> = host.clone();
    match any.downcast::<crate::providers::BuiltinProvider>() {
        Ok(builtin) => builtin.client(),
        Err(_) => Arc::new(ForeignProvider::new(host)),
    }
}

/// Awaits a host provider call; a panic while it is polled (uniffi lifting the host's answer,
/// or our conversion of it) is the provider's `Unavailable` (retried, then dead-lettered, as
/// an undeclared host error is), never an unwind through the core.
async fn provider_call<T>(
    provider: &str,
    call: &str,
    fut: impl Future<Output = Result<T, sync_core::ProviderError>>,
) -> Result<T, sync_core::ProviderError> {
    unwinding(fut).await.unwrap_or_else(|payload| {
        Err(sync_core::ProviderError::Unavailable {
            provider: provider.to_owned(),
            status: 0,
            message: format!(
                "the binding failed on the host provider's answer to `{call}`: {}",
                panic_text(&*payload)
            ),
        })
    })
}

#[async_trait]
impl sync_core::ProviderClient for ForeignProvider {
    fn name(&self) -> String {
        self.name.clone()
    }

    async fn list(&self, scope: String) -> Result<sync_core::Listing, sync_core::ProviderError> {
        provider_call(&self.name, "list", async move {
            let listing = self.host.list(scope).await?;
            listing
                .try_into()
                .map_err(|err: TasksyncError| sync_core::ProviderError::Rejected {
                    provider: self.name.clone(),
                    status: 0,
                    message: format!("the host provider listed bad data: {err}"),
                })
        })
        .await
    }

    async fn push(
        &self,
        change: sync_core::StatusPush,
    ) -> Result<sync_core::PushReceipt, sync_core::ProviderError> {
        provider_call(&self.name, "push", async move {
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
            let receipt = self.host.push(push).await?;
            // A receipt that is not JSON is kept as a JSON string rather than failing a push
            // that the provider has already applied.
            let remote = input::parse("remote", &receipt.remote)
                .unwrap_or(serde_json::Value::String(receipt.remote));
            Ok(sync_core::PushReceipt { remote })
        })
        .await
    }

    async fn refresh_token(&self) -> Result<(), sync_core::ProviderError> {
        provider_call(&self.name, "refresh_token", async move {
            Ok(self.host.refresh_token().await?)
        })
        .await
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
        let name = provider.clone();
        provider_call(&name, "refresh", async move {
            Ok(sync_core::Secret::new(self.0.refresh(provider).await?))
        })
        .await
    }
}

/// The core's `TokenRefresher` over a host's blocking one.
#[derive(Clone)]
pub(crate) struct ForeignBlockingRefresher(pub(crate) Arc<dyn BlockingTokenRefresher>);

impl std::fmt::Debug for ForeignBlockingRefresher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ForeignBlockingRefresher")
    }
}

#[async_trait]
impl sync_core::TokenRefresher for ForeignBlockingRefresher {
    async fn refresh(
        &self,
        provider: String,
    ) -> Result<sync_core::Secret, sync_core::ProviderError> {
        let name = provider.clone();
        provider_call(&name, "refresh", async move {
            Ok(sync_core::Secret::new(self.0.refresh(provider)?))
        })
        .await
    }
}

/// Asks `refresher` for a token for `provider` through the core's `TokenRefresher` contract
/// and reports only whether one came back (the token itself never crosses back).
#[uniffi::export(async_runtime = "tokio")]
pub async fn check_token_refresher(
    refresher: Arc<dyn TokenRefresher>,
    provider: String,
) -> Result<bool, TasksyncError> {
    guard_future(async move {
        use sync_core::TokenRefresher as _;
        let secret = ForeignRefresher(refresher)
            .refresh(provider)
            .await
            .map_err(sync_core::Error::Provider)?;
        Ok(!secret.expose().is_empty())
    })
    .await
}

/// Lists `scope` from a host provider through the core's provider contract (validating what
/// it returns, as the engine will).
#[uniffi::export(async_runtime = "tokio")]
pub async fn list_from(
    provider: Arc<dyn Provider>,
    scope: String,
) -> Result<Listing, TasksyncError> {
    guard_future(async move {
        let listing = core_provider(provider)
            .list(scope)
            .await
            .map_err(sync_core::Error::Provider)?;
        Ok((&listing).into())
    })
    .await
}
