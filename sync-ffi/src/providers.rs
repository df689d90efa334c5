//! The built-in providers (mirrors `sync_providers::config`): [`builtin_provider`] turns a
//! configuration (the JSON text of `sync_providers::ProviderConfig`: `kind`, `base_url`,
//! `token` or `user` + `password`, ...) and an optional host [`TokenRefresher`] into a
//! [`Provider`], built only through `sync_providers::build`.
//!
//! Invariants: the configuration is read by the core's strict reader (unknown keys refused,
//! every message naming the field, no secret in any message); the returned provider works
//! wherever a provider goes (a worker's providers, `list_from`, `preview_from`, a puller), and
//! there the binding hands the adapter itself to the core ([`crate::provider::core_provider`]),
//! so a built-in provider never round-trips through the foreign interface. Tokens stay
//! `Secret`s inside the adapter: `Debug` of the provider shows none.

use std::sync::Arc;

use async_trait::async_trait;
use sync_core::ProviderClient;

use crate::error::{ProviderError, TasksyncError, guard};
use crate::input;
use crate::model::Listing;
use crate::provider::{
    BlockingTokenRefresher, ForeignBlockingRefresher, ForeignRefresher, Provider, PushReceipt,
    StatusPush, TokenRefresher,
};

/// A provider whose adapter is Rust's: a built-in HTTP adapter or a folder source. The host
/// sees it as a [`Provider`]; the binding unwraps it back to the adapter.
pub(crate) struct BuiltinProvider {
    client: Arc<dyn ProviderClient>,
}

impl BuiltinProvider {
    /// `client` as a provider a host can hold and pass back.
    pub(crate) fn wrap(client: Arc<dyn ProviderClient>) -> Arc<dyn Provider> {
        Arc::new(BuiltinProvider { client })
    }

    /// The adapter, for the core.
    pub(crate) fn client(&self) -> Arc<dyn ProviderClient> {
        self.client.clone()
    }
}

impl std::fmt::Debug for BuiltinProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BuiltinProvider")
            .field("name", &self.client.name())
            .finish_non_exhaustive()
    }
}

/// What a host calling the provider itself gets: the core's types converted, the core's
/// provider errors as the binding's.
#[async_trait]
impl Provider for BuiltinProvider {
    fn name(&self) -> String {
        self.client.name()
    }

    async fn list(&self, scope: String) -> Result<Listing, ProviderError> {
        let listing = self.client.list(scope).await?;
        Ok((&listing).into())
    }

    async fn push(&self, change: StatusPush) -> Result<PushReceipt, ProviderError> {
        let name = self.client.name();
        let payload =
            input::parse("payload", &change.payload).map_err(|err| ProviderError::Rejected {
                provider: name,
                status: 0,
                detail: err.to_string(),
            })?;
        let push = sync_core::StatusPush {
            job_id: change.job_id,
            idempotency_key: change.idempotency_key,
            task_id: change.task_id,
            external_id: change.external_id,
            kind: change.kind,
            status: change.status.into(),
            payload,
            attempt: change.attempt,
        };
        let receipt = self.client.push(push).await?;
        Ok(PushReceipt {
            remote: input::text(&receipt.remote),
        })
    }

    async fn refresh_token(&self) -> Result<(), ProviderError> {
        Ok(self.client.refresh_token().await?)
    }
}

/// A built-in provider from `config_json` (a `ProviderConfig`: `kind` is `mstodo`,
/// `connectwise`, `processplan`, `azure-devops` or `caldav`), renewing its token after a 401
/// through `refresher` (async) or `blocking_refresher` when one is given (a renewal that fails
/// ends the call with the refresher's error, not retried). A bad configuration is
/// `InvalidInput` naming the field; so is passing both refreshers.
#[uniffi::export(default(refresher = None, blocking_refresher = None))]
pub fn builtin_provider(
    config_json: String,
    refresher: Option<Arc<dyn TokenRefresher>>,
    blocking_refresher: Option<Arc<dyn BlockingTokenRefresher>>,
) -> Result<Arc<dyn Provider>, TasksyncError> {
    guard(|| {
        let config = sync_providers::ProviderConfig::from_json(&config_json)?;
        let refresher: Option<Arc<dyn sync_core::TokenRefresher>> =
            match (refresher, blocking_refresher) {
                (Some(_), Some(_)) => {
                    return Err(TasksyncError::invalid(
                        "refresher, blocking_refresher: give one token refresher, not both",
                    ));
                }
                (Some(r), None) => Some(Arc::new(ForeignRefresher(r))),
                (None, Some(r)) => Some(Arc::new(ForeignBlockingRefresher(r))),
                (None, None) => None,
            };
        let client = sync_providers::build(&config, refresher)?;
        Ok(BuiltinProvider::wrap(client))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::core_provider;

    #[test]
    fn a_builtin_provider_handed_back_is_its_own_adapter() {
        let config =
            r#"{"kind": "processplan", "base_url": "http://127.0.0.1:9", "token": "tok-x"}"#;
        let provider = builtin_provider(config.into(), None, None).expect("built");
        let any: Arc<dyn std::any::Any + Send + Sync> = provider.clone();
        let builtin = any
            .downcast::<BuiltinProvider>()
            .expect("a built-in provider");
        let core = core_provider(provider);
        assert!(
            Arc::ptr_eq(&core, &builtin.client()),
            "no foreign round trip"
        );
        assert_eq!(core.name(), "processplan");
        assert!(!format!("{builtin:?}").contains("tok-x"));
    }

    #[test]
    fn a_bad_configuration_names_the_field_and_not_the_secret() {
        let config = r#"{"kind": "mstodo", "base_url": "http://x", "token": "tok-x", "tenant": 1}"#;
        let err = builtin_provider(config.into(), None, None)
            .err()
            .expect("refused");
        assert_eq!(err.code(), "invalid_input");
        assert!(err.to_string().contains("tenant") && !err.to_string().contains("tok-x"));
    }
}
