//! One built-in adapter from a plain configuration: what every host (Python dict, JS object,
//! uniffi record as JSON, the CLI's config file) hands over to get a Microsoft To Do,
//! ConnectWise, process-plan, Azure DevOps or CalDAV provider. The bindings convert their
//! value into a [`ProviderConfig`] and call [`build`]; nothing about adapters is decided in a
//! binding.
//!
//! Invariants:
//! - Unknown keys are refused, and so is a key the adapter does not take (`client_id` on
//!   anything but ConnectWise); every message names the field.
//! - Exactly one credential: `token` (sent as `Bearer`), or `user` and `password` (sent as
//!   `Basic`; an Azure DevOps personal access token is `user: ""`, `password: <pat>`).
//! - Secrets are [`Secret`]s from the moment they are read: `Debug` shows `***`, and no error
//!   message carries them.
//! - Sizes have limits: URLs up to [`MAX_URL_LEN`] bytes (`http` or `https`), timeouts from
//!   1 ms to [`MAX_TIMEOUT_MS`], rates above 0 and up to [`MAX_PER_SECOND`].

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Deserializer};
use sync_core::retry::RateLimiterConfig;
use sync_core::{Error, ProviderClient, Secret, TokenRefresher};

use crate::http::{Credentials, HttpOptions};

/// The longest base URL.
pub const MAX_URL_LEN: usize = 2_048;
/// The longest timeout or local wait, in ms (10 minutes).
pub const MAX_TIMEOUT_MS: u64 = 600_000;
/// The highest rate limit, in calls per second.
pub const MAX_PER_SECOND: f64 = 10_000.0;
/// The longest secret, user name or client id.
pub const MAX_SECRET_LEN: usize = 16_384;

/// Which adapter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AdapterKind {
    /// Microsoft To Do through Graph (`base_url`: `https://graph.microsoft.com/v1.0`).
    Mstodo,
    /// ConnectWise Manage tickets and project tasks (needs `client_id`).
    Connectwise,
    /// The process-plan REST API.
    Processplan,
    /// Azure DevOps work items (`base_url`: the project URL).
    AzureDevops,
    /// CalDAV VTODOs (`base_url`: the calendar home).
    Caldav,
}

impl AdapterKind {
    /// Every kind, as spelled in a configuration.
    pub const ALL: [&'static str; 5] = [
        "mstodo",
        "connectwise",
        "processplan",
        "azure-devops",
        "caldav",
    ];

    /// The name as spelled in a configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            AdapterKind::Mstodo => "mstodo",
            AdapterKind::Connectwise => "connectwise",
            AdapterKind::Processplan => "processplan",
            AdapterKind::AzureDevops => "azure-devops",
            AdapterKind::Caldav => "caldav",
        }
    }

    /// Parses a kind as spelled in a configuration (`azure_devops` too).
    pub fn parse(text: &str) -> Result<Self, Error> {
        Ok(match text {
            "mstodo" => AdapterKind::Mstodo,
            "connectwise" => AdapterKind::Connectwise,
            "processplan" => AdapterKind::Processplan,
            "azure-devops" | "azure_devops" => AdapterKind::AzureDevops,
            "caldav" => AdapterKind::Caldav,
            other => {
                return Err(Error::invalid_input(format!(
                    "kind: unknown provider `{}`; expected one of {}",
                    crate::http::classify::clip(other),
                    AdapterKind::ALL.join(", ")
                )));
            }
        })
    }
}

/// The configuration of one built-in adapter. Build it from a host value with serde (unknown
/// keys refused) and turn it into a provider with [`build`].
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderConfig {
    /// Which adapter.
    #[serde(deserialize_with = "kind")]
    pub kind: AdapterKind,
    /// The API's base URL.
    pub base_url: String,
    /// A bearer token.
    #[serde(default, deserialize_with = "secret")]
    pub token: Option<Secret>,
    /// The user of Basic credentials.
    #[serde(default)]
    pub user: Option<String>,
    /// The password of Basic credentials.
    #[serde(default, deserialize_with = "secret")]
    pub password: Option<Secret>,
    /// ConnectWise: the integrator's `clientId` (required there, refused elsewhere).
    #[serde(default)]
    pub client_id: Option<String>,
    /// ConnectWise: the API version of the `Accept` header.
    #[serde(default)]
    pub api_version: Option<String>,
    /// ConnectWise: `ticket-tasks` (default) or `project-tasks`.
    #[serde(default)]
    pub project_route: Option<String>,
    /// Whole-request timeout, in ms (default 30,000).
    #[serde(default)]
    pub timeout_ms: Option<u64>,
    /// The adapter's own call rate (default 10 per second, bursts of 10).
    #[serde(default)]
    pub rate_limit: Option<RateLimiterConfig>,
    /// The longest local wait for a rate-limit token before the call is deferred, in ms
    /// (default 1,000).
    #[serde(default)]
    pub max_wait_ms: Option<u64>,
}

fn kind<'de, D: Deserializer<'de>>(d: D) -> Result<AdapterKind, D::Error> {
    let text = String::deserialize(d)?;
    AdapterKind::parse(&text).map_err(serde::de::Error::custom)
}

fn secret<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Secret>, D::Error> {
    Ok(Option::<String>::deserialize(d)?.map(Secret::new))
}

impl fmt::Debug for ProviderConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProviderConfig")
            .field("kind", &self.kind)
            .field("base_url", &self.base_url)
            .field("token", &self.token)
            .field("user", &self.user)
            .field("password", &self.password)
            .field("client_id", &self.client_id)
            .field("timeout_ms", &self.timeout_ms)
            .finish_non_exhaustive()
    }
}

impl ProviderConfig {
    /// A configuration of `kind` on `base_url`, with no credential yet.
    pub fn new(kind: AdapterKind, base_url: impl Into<String>) -> Self {
        ProviderConfig {
            kind,
            base_url: base_url.into(),
            token: None,
            user: None,
            password: None,
            client_id: None,
            api_version: None,
            project_route: None,
            timeout_ms: None,
            rate_limit: None,
            max_wait_ms: None,
        }
    }

    /// Reads a configuration from JSON text (what the uniffi binding and config files pass).
    pub fn from_json(text: &str) -> Result<Self, Error> {
        serde_json::from_str(text)
            .map_err(|e| Error::invalid_input(format!("provider config: {e}")))
    }

    /// The source name the adapter's tasks carry (`mstodo`, `azure_devops`, ...).
    pub fn source_name(&self) -> &'static str {
        match self.kind {
            AdapterKind::Mstodo => crate::mstodo::MsTodoProvider::NAME,
            AdapterKind::Connectwise => crate::connectwise::ConnectWiseProvider::NAME,
            AdapterKind::Processplan => crate::processplan::ProcessPlanProvider::NAME,
            AdapterKind::AzureDevops => crate::azure_devops::AzureDevOpsProvider::NAME,
            AdapterKind::Caldav => crate::caldav::CalDavProvider::NAME,
        }
    }

    fn credentials(&self) -> Result<Credentials, Error> {
        for (field, value) in [("user", &self.user), ("client_id", &self.client_id)] {
            if value.as_ref().is_some_and(|v| v.len() > MAX_SECRET_LEN) {
                return Err(Error::invalid_input(format!(
                    "{field}: longer than {MAX_SECRET_LEN} bytes"
                )));
            }
        }
        for (field, value) in [("token", &self.token), ("password", &self.password)] {
            if value
                .as_ref()
                .is_some_and(|v| v.expose().len() > MAX_SECRET_LEN)
            {
                return Err(Error::invalid_input(format!(
                    "{field}: longer than {MAX_SECRET_LEN} bytes"
                )));
            }
        }
        match (&self.token, &self.user, &self.password) {
            (Some(token), None, None) if !token.expose().is_empty() => {
                Ok(Credentials::bearer(token.clone()))
            }
            (Some(_), None, None) => Err(Error::invalid_input("token: must not be empty")),
            (None, Some(user), Some(password)) => Ok(Credentials::basic(user, password.clone())),
            (None, Some(_), None) => Err(Error::invalid_input(
                "password: required with `user` (Basic credentials)",
            )),
            (None, None, Some(_)) => Err(Error::invalid_input(
                "user: required with `password` (Basic credentials; \"\" for a personal access token)",
            )),
            (None, None, None) => Err(Error::invalid_input(
                "token: a credential is required (`token`, or `user` and `password`)",
            )),
            (Some(_), _, _) => Err(Error::invalid_input(
                "token: give either `token` or `user` and `password`, not both",
            )),
        }
    }

    fn options(&self) -> Result<HttpOptions, Error> {
        let mut options = HttpOptions::default();
        let ms = |field: &str, value: u64| {
            if (1..=MAX_TIMEOUT_MS).contains(&value) {
                Ok(Duration::from_millis(value))
            } else {
                Err(Error::invalid_input(format!(
                    "{field}: must be between 1 and {MAX_TIMEOUT_MS}, got {value}"
                )))
            }
        };
        if let Some(value) = self.timeout_ms {
            options.timeout = ms("timeout_ms", value)?;
        }
        if let Some(value) = self.max_wait_ms {
            options.max_wait = ms("max_wait_ms", value)?;
        }
        if let Some(rate) = &self.rate_limit {
            let fine = rate.per_second.is_finite()
                && rate.per_second > 0.0
                && rate.per_second <= MAX_PER_SECOND;
            if !fine {
                return Err(Error::invalid_input(format!(
                    "rate_limit.per_second: must be above 0 and at most {MAX_PER_SECOND}"
                )));
            }
            if rate.burst == 0 || rate.burst > 100_000 {
                return Err(Error::invalid_input(
                    "rate_limit.burst: must be between 1 and 100000",
                ));
            }
            options.rate_limit = rate.clone();
        }
        Ok(options)
    }

    fn check_url(&self) -> Result<(), Error> {
        let url = &self.base_url;
        if url.len() > MAX_URL_LEN {
            return Err(Error::invalid_input(format!(
                "base_url: longer than {MAX_URL_LEN} bytes"
            )));
        }
        match reqwest::Url::parse(url) {
            Ok(parsed) if matches!(parsed.scheme(), "http" | "https") && parsed.has_host() => {
                Ok(())
            }
            Ok(_) => Err(Error::invalid_input(format!(
                "base_url: `{}` is not an http or https URL",
                crate::http::classify::clip(url)
            ))),
            Err(e) => Err(Error::invalid_input(format!(
                "base_url: `{}` is not a URL: {e}",
                crate::http::classify::clip(url)
            ))),
        }
    }

    fn check_connectwise_keys(&self) -> Result<(), Error> {
        if self.kind == AdapterKind::Connectwise {
            return Ok(());
        }
        for (field, set) in [
            ("client_id", self.client_id.is_some()),
            ("api_version", self.api_version.is_some()),
            ("project_route", self.project_route.is_some()),
        ] {
            if set {
                return Err(Error::invalid_input(format!(
                    "{field}: only a connectwise provider takes it, not {}",
                    self.kind.as_str()
                )));
            }
        }
        Ok(())
    }
}

/// The adapter a configuration describes, renewing its credential after a 401 through
/// `refresher` (a host callback) when there is one. Bad configurations are
/// [`Error::InvalidInput`] naming the field.
pub fn build(
    config: &ProviderConfig,
    refresher: Option<Arc<dyn TokenRefresher>>,
) -> Result<Arc<dyn ProviderClient>, Error> {
    config.check_url()?;
    config.check_connectwise_keys()?;
    let mut credentials = config.credentials()?;
    if let Some(refresher) = refresher {
        credentials = credentials.with_refresher(refresher);
    }
    let options = config.options()?;
    let url = config.base_url.as_str();
    let provider: Arc<dyn ProviderClient> = match config.kind {
        AdapterKind::Mstodo => Arc::new(crate::mstodo::MsTodoProvider::new(
            url,
            credentials,
            options,
        )?),
        AdapterKind::Connectwise => {
            let Some(client_id) = config.client_id.as_deref().filter(|c| !c.is_empty()) else {
                return Err(Error::invalid_input(
                    "client_id: required for a connectwise provider",
                ));
            };
            let mut cw = crate::connectwise::ConnectWiseConfig::default();
            if let Some(version) = &config.api_version {
                cw.api_version = version.clone();
            }
            cw.project_route = match config.project_route.as_deref() {
                None | Some("ticket-tasks") => crate::connectwise::ProjectRoute::TicketTasks,
                Some("project-tasks") => crate::connectwise::ProjectRoute::ProjectTasks,
                Some(other) => {
                    return Err(Error::invalid_input(format!(
                        "project_route: `{}` is not `ticket-tasks` or `project-tasks`",
                        crate::http::classify::clip(other)
                    )));
                }
            };
            let provider = crate::connectwise::ConnectWiseProvider::with_config(
                url,
                client_id,
                credentials,
                options,
                cw,
            )
            .map_err(|e| match e {
                sync_core::ProviderError::Rejected { message, .. } => {
                    Error::invalid_input(format!("api_version: {message}"))
                }
                other => Error::Provider(other),
            })?;
            Arc::new(provider)
        }
        AdapterKind::Processplan => Arc::new(crate::processplan::ProcessPlanProvider::new(
            url,
            credentials,
            options,
        )?),
        AdapterKind::AzureDevops => Arc::new(crate::azure_devops::AzureDevOpsProvider::new(
            url,
            credentials,
            options,
        )?),
        AdapterKind::Caldav => Arc::new(crate::caldav::CalDavProvider::new(
            url,
            credentials,
            options,
        )?),
    };
    Ok(provider)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<Arc<dyn ProviderClient>, Error> {
        build(&ProviderConfig::from_json(json)?, None)
    }

    fn refused(json: &str) -> String {
        match parse(json) {
            Ok(p) => panic!("accepted {json}: {}", p.name()),
            Err(e) => {
                assert_eq!(e.kind(), sync_core::ErrorKind::InvalidInput, "{e}");
                e.to_string()
            }
        }
    }

    #[test]
    fn every_kind_builds_with_its_source_name() {
        for (kind, name) in [
            ("mstodo", "mstodo"),
            ("processplan", "processplan"),
            ("azure-devops", "azure_devops"),
            ("caldav", "caldav"),
        ] {
            let p = parse(&format!(
                r#"{{"kind":"{kind}","base_url":"http://127.0.0.1:1/x","token":"t"}}"#
            ))
            .unwrap();
            assert_eq!(p.name(), name);
        }
        let cw = parse(
            r#"{"kind":"connectwise","base_url":"https://h/v4_6_release/apis/3.0","user":"c+p","password":"s","client_id":"id","project_route":"project-tasks"}"#,
        )
        .unwrap();
        assert_eq!(cw.name(), "connectwise");
    }

    #[test]
    fn bad_configs_name_the_field() {
        assert!(
            refused(r#"{"kind":"mstodo","base_url":"http://h","token":"t","colour":1}"#)
                .contains("colour")
        );
        assert!(refused(r#"{"kind":"jira","base_url":"http://h","token":"t"}"#).contains("kind"));
        assert!(
            refused(r#"{"kind":"mstodo","base_url":"ftp://h","token":"t"}"#).contains("base_url")
        );
        assert!(refused(r#"{"kind":"mstodo","base_url":"nope","token":"t"}"#).contains("base_url"));
        assert!(refused(r#"{"kind":"mstodo","base_url":"http://h"}"#).contains("token"));
        assert!(
            refused(r#"{"kind":"mstodo","base_url":"http://h","user":"u"}"#).contains("password")
        );
        assert!(
            refused(
                r#"{"kind":"mstodo","base_url":"http://h","token":"t","user":"u","password":"p"}"#
            )
            .contains("token")
        );
        assert!(
            refused(r#"{"kind":"mstodo","base_url":"http://h","token":"t","client_id":"c"}"#)
                .contains("client_id")
        );
        assert!(
            refused(r#"{"kind":"connectwise","base_url":"http://h","token":"t"}"#)
                .contains("client_id")
        );
        assert!(refused(r#"{"kind":"connectwise","base_url":"http://h","token":"t","client_id":"c","api_version":"x"}"#).contains("api_version"));
        assert!(
            refused(r#"{"kind":"mstodo","base_url":"http://h","token":"t","timeout_ms":0}"#)
                .contains("timeout_ms")
        );
        assert!(refused(r#"{"kind":"mstodo","base_url":"http://h","token":"t","rate_limit":{"per_second":0}}"#).contains("rate_limit"));
    }

    #[test]
    fn secrets_never_print() {
        let config = ProviderConfig::from_json(
            r#"{"kind":"caldav","base_url":"http://h","user":"alice","password":"pw-SECRET-1"}"#,
        )
        .unwrap();
        assert!(!format!("{config:?}").contains("pw-SECRET-1"));
        let err = refused(
            r#"{"kind":"caldav","base_url":"http://h","token":"tok-SECRET-2","password":"pw-SECRET-1"}"#,
        );
        assert!(!err.contains("SECRET"), "{err}");
    }
}
