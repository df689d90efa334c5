//! The external-system trait, its failure classes, the outbound status change a queued job
//! asks for, and the host's token-refresh callback.
//!
//! Invariants: a [`ProviderError`] message never carries a credential; adapters build it from
//! status codes and response bodies with tokens removed. A [`Secret`] never prints its value
//! (`Debug` and `Display` show `***`) and is not serializable, so it cannot reach a log, a
//! history record or an error by accident.

use std::fmt;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::{Listing, Status};

/// A provider's failure, classified by what a retrying caller should do. Its serde form (the
/// one hosts raise) refuses unknown keys.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "class", rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum ProviderError {
    /// The call timed out or the connection failed: retry with backoff.
    #[error("provider `{provider}` timed out: {message}")]
    Timeout {
        /// Provider name.
        provider: String,
        /// What happened.
        message: String,
    },
    /// HTTP 429: retry after the given delay; the whole provider pauses.
    #[error("provider `{provider}` rate limited; retry after {retry_after_ms} ms")]
    RateLimited {
        /// Provider name.
        provider: String,
        /// How long to wait.
        retry_after_ms: u64,
    },
    /// HTTP 5xx: retry with backoff.
    #[error("provider `{provider}` unavailable (HTTP {status}): {message}")]
    Unavailable {
        /// Provider name.
        provider: String,
        /// HTTP status.
        status: u16,
        /// What happened.
        message: String,
    },
    /// The access token expired (HTTP 401): refresh it and retry.
    #[error("provider `{provider}`: access token expired")]
    TokenExpired {
        /// Provider name.
        provider: String,
    },
    /// The request was refused for good (HTTP 400, 403, 404, 409, 422, workflow rules): do not retry.
    #[error("provider `{provider}` rejected the request (HTTP {status}): {message}")]
    Rejected {
        /// Provider name.
        provider: String,
        /// HTTP status (0 when not HTTP).
        status: u16,
        /// What happened.
        message: String,
    },
}

impl ProviderError {
    /// Whether retrying the same call later may succeed.
    pub fn is_retryable(&self) -> bool {
        !matches!(self, ProviderError::Rejected { .. })
    }

    /// The failure class, as in the serde form's `class` tag: `timeout`, `rate_limited`,
    /// `unavailable`, `token_expired` or `rejected`.
    pub fn class(&self) -> &'static str {
        match self {
            ProviderError::Timeout { .. } => "timeout",
            ProviderError::RateLimited { .. } => "rate_limited",
            ProviderError::Unavailable { .. } => "unavailable",
            ProviderError::TokenExpired { .. } => "token_expired",
            ProviderError::Rejected { .. } => "rejected",
        }
    }

    /// The provider's name.
    pub fn provider(&self) -> &str {
        match self {
            ProviderError::Timeout { provider, .. }
            | ProviderError::RateLimited { provider, .. }
            | ProviderError::Unavailable { provider, .. }
            | ProviderError::TokenExpired { provider }
            | ProviderError::Rejected { provider, .. } => provider,
        }
    }

    /// The structured parts every binding's error carries as fields (Python attributes, JS
    /// properties, uniffi variant fields).
    pub fn details(&self) -> ProviderDetails {
        let (http_status, retry_after_ms) = match self {
            ProviderError::Unavailable { status, .. } | ProviderError::Rejected { status, .. } => {
                // 0: there was no HTTP response (a connection failure, a host's own refusal).
                ((*status != 0).then_some(*status), None)
            }
            ProviderError::RateLimited { retry_after_ms, .. } => (None, Some(*retry_after_ms)),
            ProviderError::Timeout { .. } | ProviderError::TokenExpired { .. } => (None, None),
        };
        ProviderDetails {
            provider: self.provider().to_owned(),
            class: self.class(),
            http_status,
            retry_after_ms,
        }
    }
}

/// The structured parts of a [`ProviderError`], the same in every binding's error. Its JSON
/// form (field order as declared) is what the Node binding sends along with the message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ProviderDetails {
    /// The provider's name.
    pub provider: String,
    /// The failure class ([`ProviderError::class`]).
    pub class: &'static str,
    /// The HTTP status of the provider's answer, when there was one and the class carries it
    /// (`unavailable`, `rejected`).
    pub http_status: Option<u16>,
    /// For `rate_limited`: how long to wait before the next call, in milliseconds.
    pub retry_after_ms: Option<u64>,
}

/// A credential (an access token). Its value is only reachable through [`Secret::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a credential.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The credential itself, for the one place that sends it (an `Authorization` header).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// The host's callback that obtains a fresh access token for a provider whose token expired
/// (an OAuth refresh, a vault read). Adapters hold one and call it from
/// [`ProviderClient::refresh_token`].
#[async_trait]
pub trait TokenRefresher: Send + Sync {
    /// A fresh token for `provider`. Fail with [`ProviderError::Rejected`] when the host cannot
    /// refresh (the job then goes to the dead letters).
    async fn refresh(&self, provider: String) -> Result<Secret, ProviderError>;
}

/// One outbound status change: what a queued sync job asks a provider to do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusPush {
    /// The job's id.
    pub job_id: String,
    /// Stable across the job's attempts and unique per intent: send it where the API accepts an
    /// idempotency key, so that a retried call is applied once.
    pub idempotency_key: String,
    /// Hub id of the task.
    pub task_id: String,
    /// The task's external id in this provider (for ConnectWise project tasks and process
    /// steps, the adapter's documented composite form, e.g. `project/task`).
    pub external_id: String,
    /// The task's kind (`ticket`, `project_task`, `step`, `epic`, ...).
    pub kind: String,
    /// The hub status the provider's task should reach.
    pub status: Status,
    /// The provider-specific payload from the status mapping (JSON object, or a JSON Patch
    /// array for ConnectWise).
    pub payload: Value,
    /// Which attempt this is, from 1.
    pub attempt: u32,
}

/// What a provider reports after applying a [`StatusPush`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushReceipt {
    /// The provider's state of the task after the change, in its own field names (what the
    /// next change's undo restores); `Null` when the provider does not say.
    pub remote: Value,
}

/// An external system that tasks are synced with.
#[async_trait]
pub trait ProviderClient: Send + Sync {
    /// The source name tasks of this provider carry (`files`, `mstodo`, ...).
    fn name(&self) -> String;

    /// Lists the tasks of a scope. `complete` on the listing says whether it is whole.
    async fn list(&self, scope: String) -> Result<Listing, ProviderError>;

    /// Applies one status change (a queued job's attempt). The default refuses: a read-only
    /// source cannot take status changes.
    async fn push(&self, change: StatusPush) -> Result<PushReceipt, ProviderError> {
        Err(ProviderError::Rejected {
            provider: self.name(),
            status: 0,
            message: format!(
                "does not accept status changes (task `{}`)",
                crate::text::clip(&change.external_id)
            ),
        })
    }

    /// Called by the worker after a [`ProviderError::TokenExpired`]: obtain a fresh token
    /// (through the adapter's [`TokenRefresher`]) before the job is retried. The default does
    /// nothing (a provider without tokens).
    async fn refresh_token(&self) -> Result<(), ProviderError> {
        Ok(())
    }
}
