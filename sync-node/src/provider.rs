//! Providers: a JS object with async `list(scope)`, `push(change)` and optionally
//! `refreshToken()` as a core `ProviderClient`, and a JS `refresh(provider)` as a
//! `TokenRefresher`. The `Provider` class calls them through the core traits, so what a JS
//! provider throws is classified exactly as the queue worker will see it.
//!
//! Invariants: a thrown error's `code` picks the `ProviderError` class (`timeout`,
//! `rate_limited`, `unavailable`, `token_expired`, `rejected`); an error without one is
//! `unavailable` (retryable) with its message. Tokens cross as strings and are wrapped in
//! `Secret` at once; they never appear in errors.

use std::sync::Arc;

use async_trait::async_trait;
use napi::Env;
use napi::bindgen_prelude::PromiseRaw;
use napi_derive::napi;
use sync_core::{
    Listing, ProviderClient, ProviderError, PushReceipt, Secret, StatusPush, TokenRefresher,
};

use crate::error::{core, guard, to_json};
use crate::host_call::{DispatchFn, Host, HostFailure};
use crate::input::parse;

fn provider_error(provider: &str, failure: HostFailure) -> ProviderError {
    let provider = provider.to_owned();
    let message = failure.message;
    match failure.code.as_str() {
        "timeout" => ProviderError::Timeout { provider, message },
        "rate_limited" => ProviderError::RateLimited {
            provider,
            retry_after_ms: failure.retry_after_ms.unwrap_or(1000),
        },
        "token_expired" => ProviderError::TokenExpired { provider },
        "rejected" => ProviderError::Rejected {
            provider,
            status: failure.status.unwrap_or(0),
            message,
        },
        _ => ProviderError::Unavailable {
            provider,
            status: failure.status.unwrap_or(0),
            message,
        },
    }
}

/// A JS object implementing `ProviderClient`.
#[derive(Debug)]
pub struct JsProvider {
    name: String,
    host: Host,
}

#[async_trait]
impl ProviderClient for JsProvider {
    fn name(&self) -> String {
        self.name.clone()
    }

    async fn list(&self, scope: String) -> Result<Listing, ProviderError> {
        let result = self.host.call("list", &(scope,)).await;
        result.map_err(|f| provider_error(&self.name, f))
    }

    async fn push(&self, change: StatusPush) -> Result<PushReceipt, ProviderError> {
        let result = self.host.call("push", &(change,)).await;
        result.map_err(|f| provider_error(&self.name, f))
    }

    async fn refresh_token(&self) -> Result<(), ProviderError> {
        let result: Result<(), _> = self.host.call("refreshToken", &()).await;
        result.map_err(|f| provider_error(&self.name, f))
    }
}

/// A JS function implementing `TokenRefresher`.
#[derive(Debug)]
pub struct JsTokenRefresher(Host);

impl JsTokenRefresher {
    /// The refresher reached through `dispatch` (an object with `refresh(provider)`).
    pub fn shared(dispatch: DispatchFn<'_>) -> napi::Result<Arc<dyn TokenRefresher>> {
        Ok(Arc::new(JsTokenRefresher(Host::new(
            dispatch,
            "token refresher",
        )?)))
    }
}

#[async_trait]
impl TokenRefresher for JsTokenRefresher {
    async fn refresh(&self, provider: String) -> Result<Secret, ProviderError> {
        let result: Result<String, _> = self.0.call("refresh", &(provider.clone(),)).await;
        result
            .map(Secret::new)
            .map_err(|f| provider_error(&provider, f))
    }
}

/// An external system implemented in JS.
#[napi]
pub struct Provider {
    pub(crate) inner: Arc<dyn ProviderClient>,
    /// A JS provider's refresher, called by `refreshToken`; `None` for a built-in adapter,
    /// which renews its own credential (`ProviderClient::refresh_token`).
    pub(crate) refresher: Option<Arc<dyn TokenRefresher>>,
    /// Whether `refreshToken` asks the adapter itself (a built-in one holds the refresher).
    pub(crate) builtin: bool,
}

impl std::fmt::Debug for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Provider")
            .field("name", &self.inner.name())
            .finish()
    }
}

pub(crate) fn provider_failure(err: ProviderError) -> napi::Error {
    // The core's mapping: the class and the rest travel as the message's JSON tail.
    core(sync_core::Error::Provider(err))
}

#[napi]
impl Provider {
    /// A provider named `name` (its tasks' source) reached through `dispatch`; `refresher`, when
    /// given, is a dispatch for an object with `refresh(provider)`.
    #[napi(factory)]
    pub fn host(
        name: String,
        #[napi(ts_arg_type = "(method: string, argsJson: string) => Promise<string>")]
        dispatch: DispatchFn<'_>,
        #[napi(
            ts_arg_type = "((method: string, argsJson: string) => Promise<string>) | undefined | null"
        )]
        refresher: Option<DispatchFn<'_>>,
    ) -> napi::Result<Provider> {
        let host = Host::new(dispatch, "provider")?;
        let refresher = refresher.map(JsTokenRefresher::shared).transpose()?;
        Ok(Provider {
            inner: Arc::new(JsProvider { name, host }),
            refresher,
            builtin: false,
        })
    }

    /// The provider's name.
    #[napi(getter)]
    pub fn name(&self) -> String {
        self.inner.name()
    }

    /// Lists a scope through the core trait; resolves the `Listing` JSON.
    #[napi]
    pub fn list<'env>(
        &self,
        env: &'env Env,
        scope: String,
    ) -> napi::Result<PromiseRaw<'env, String>> {
        let inner = self.inner.clone();
        env.spawn_future(guard(async move {
            to_json(&inner.list(scope).await.map_err(provider_failure)?)
        }))
    }

    /// Pushes one status change (JSON `StatusPush`); resolves the `PushReceipt` JSON.
    #[napi]
    pub fn push<'env>(
        &self,
        env: &'env Env,
        change: String,
    ) -> napi::Result<PromiseRaw<'env, String>> {
        let change: StatusPush = parse("status push", &change)?;
        let inner = self.inner.clone();
        env.spawn_future(guard(async move {
            to_json(&inner.push(change).await.map_err(provider_failure)?)
        }))
    }

    /// Asks the token refresher for a fresh token and resolves whether one was obtained (the
    /// token itself never comes back to JS through here). A built-in adapter renews its own
    /// credential through the refresher it was built with.
    #[napi]
    pub fn refresh_token<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, bool>> {
        let refresher = self.refresher.clone();
        let name = self.inner.name();
        let adapter = self.builtin.then(|| self.inner.clone());
        env.spawn_future(guard(async move {
            if let Some(adapter) = adapter {
                return adapter
                    .refresh_token()
                    .await
                    .map(|()| true)
                    .map_err(provider_failure);
            }
            match refresher {
                Some(r) => r
                    .refresh(name)
                    .await
                    .map(|_| true)
                    .map_err(provider_failure),
                None => Err(core(sync_core::Error::invalid_input(
                    "this provider has no token refresher",
                ))),
            }
        }))
    }
}
