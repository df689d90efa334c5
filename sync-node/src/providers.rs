//! The built-in adapters (binds `sync_providers::config`): `Provider.builtin(config,
//! refresher?)` turns a configuration (a JS object, as JSON text) into a Microsoft To Do,
//! ConnectWise, process-plan, Azure DevOps or CalDAV provider.
//!
//! Invariants:
//! - The configuration is read by the core's serde form (`ProviderConfig`: unknown keys
//!   refused, naming the key) and the adapter is built only by `sync_providers::build`, which
//!   checks every field; the binding decides nothing about adapters.
//! - The optional refresher is a JS function `(provider) => string | Promise<string>`, called
//!   through the same `JsTokenRefresher` as a JS provider's; whether a 401 ends in
//!   `token_expired` is the core's rule.
//! - The token is a `Secret` from the moment it is read: no error, log line or `Debug` shows it.
//! - The result is a `Provider` like any other: a Worker, `Provider.list/push` and a Puller
//!   call the adapter itself, with no JS in between.

use napi_derive::napi;
use sync_providers::ProviderConfig;

use crate::error::{core, guard_sync};
use crate::host_call::DispatchFn;
use crate::input::parse;
use crate::provider::{JsTokenRefresher, Provider};

#[napi]
impl Provider {
    /// A built-in adapter from its configuration (JSON `ProviderConfig`: `kind`, `base_url`,
    /// `token` or `user` + `password`, ...); `refresher`, when given, is a dispatch for an
    /// object with `refresh(provider)` returning the new token.
    #[napi(factory)]
    pub fn builtin(
        config: String,
        #[napi(
            ts_arg_type = "((method: string, argsJson: string) => Promise<string>) | undefined | null"
        )]
        refresher: Option<DispatchFn<'_>>,
    ) -> napi::Result<Provider> {
        let refresher = refresher.map(JsTokenRefresher::shared).transpose()?;
        guard_sync(|| {
            let config: ProviderConfig = parse("provider config", &config)?;
            let inner = sync_providers::build(&config, refresher).map_err(core)?;
            Ok(Provider {
                inner,
                refresher: None,
                builtin: true,
            })
        })
    }
}
