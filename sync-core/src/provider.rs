//! The external-system trait and its failure classes.
//!
//! Invariant: a [`ProviderError`] message never carries a credential; adapters build it from
//! status codes and response bodies with tokens removed.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::model::Listing;

/// A provider's failure, classified by what a retrying caller should do.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "class", rename_all = "snake_case")]
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
}

/// An external system that tasks are synced with.
#[async_trait]
pub trait ProviderClient: Send + Sync {
    /// The source name tasks of this provider carry (`files`, `mstodo`, ...).
    fn name(&self) -> String;

    /// Lists the tasks of a scope. `complete` on the listing says whether it is whole.
    async fn list(&self, scope: String) -> Result<Listing, ProviderError>;
}
