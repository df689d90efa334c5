//! The one error type of the binding, [`TasksyncError`]: one variant per core
//! [`ErrorKind`](sync_core::ErrorKind) (plus `Internal` for a host callback that failed in an
//! undeclared way), each carrying the core's message. Foreign languages get one exception
//! class per variant (`TasksyncException.StalePlan` in Kotlin, ...). [`ProviderError`] is the
//! core's provider error, which foreign providers raise so the worker can classify retries.
//! Invariant: messages are the core's, which never contain secrets.

use sync_core::ErrorKind;

/// A failed tasksync call; the variant is the error kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum TasksyncError {
    /// Bad input: wrong values, unknown statuses, invalid JSON, a scope mismatch.
    #[error("{detail}")]
    InvalidInput {
        /// What was wrong.
        detail: String,
    },
    /// `execute` was called without `confirmed = true`.
    #[error("{detail}")]
    NotConfirmed {
        /// The core's message.
        detail: String,
    },
    /// The scope changed since the preview: preview again.
    #[error("{detail}")]
    StalePlan {
        /// The core's message.
        detail: String,
    },
    /// A concurrent write won (version check).
    #[error("{detail}")]
    Conflict {
        /// The core's message.
        detail: String,
    },
    /// The store refuses a create for good (another record holds its key): previewing again
    /// does not help; remove or change that record.
    #[error("{detail}")]
    IdentityConflict {
        /// The core's message.
        detail: String,
        /// The refused identity's source (clipped).
        task_source: String,
        /// The refused identity's external id (clipped).
        external_id: String,
    },
    /// The operation does not apply in the entity's current state.
    #[error("{detail}")]
    InvalidState {
        /// The core's message.
        detail: String,
    },
    /// The status machine refuses this transition.
    #[error("{detail}")]
    InvalidTransition {
        /// The core's message.
        detail: String,
    },
    /// No such entity.
    #[error("{detail}")]
    NotFound {
        /// The core's message.
        detail: String,
    },
    /// The store failed (nothing partial was written).
    #[error("{detail}")]
    Store {
        /// The core's message.
        detail: String,
    },
    /// A provider failed.
    #[error("{detail}")]
    Provider {
        /// The core's message.
        detail: String,
    },
    /// The run was cancelled before it wrote anything.
    #[error("{detail}")]
    Cancelled {
        /// The core's message.
        detail: String,
    },
    /// A host callback failed with an error it does not declare (a bug in the host's code).
    #[error("{detail}")]
    Internal {
        /// The host's error, as the foreign language printed it.
        detail: String,
    },
}

impl TasksyncError {
    /// The stable code of this error (`stale_plan`, ...), the same in every binding.
    pub fn code(&self) -> &'static str {
        match self {
            TasksyncError::InvalidInput { .. } => ErrorKind::InvalidInput.code(),
            TasksyncError::NotConfirmed { .. } => ErrorKind::NotConfirmed.code(),
            TasksyncError::StalePlan { .. } => ErrorKind::StalePlan.code(),
            TasksyncError::Conflict { .. } => ErrorKind::Conflict.code(),
            TasksyncError::IdentityConflict { .. } => ErrorKind::IdentityConflict.code(),
            TasksyncError::InvalidState { .. } => ErrorKind::InvalidState.code(),
            TasksyncError::InvalidTransition { .. } => ErrorKind::InvalidTransition.code(),
            TasksyncError::NotFound { .. } => ErrorKind::NotFound.code(),
            TasksyncError::Store { .. } => ErrorKind::Store.code(),
            TasksyncError::Provider { .. } => ErrorKind::Provider.code(),
            TasksyncError::Cancelled { .. } => ErrorKind::Cancelled.code(),
            TasksyncError::Internal { .. } => "internal",
        }
    }

    /// An `InvalidInput` error.
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        TasksyncError::InvalidInput {
            detail: message.into(),
        }
    }
}

impl From<sync_core::Error> for TasksyncError {
    fn from(err: sync_core::Error) -> Self {
        let detail = err.to_string();
        if let sync_core::Error::IdentityConflict(refused) = err {
            return TasksyncError::IdentityConflict {
                detail,
                task_source: refused.source,
                external_id: refused.external_id,
            };
        }
        match err.kind() {
            ErrorKind::InvalidInput => TasksyncError::InvalidInput { detail },
            ErrorKind::NotConfirmed => TasksyncError::NotConfirmed { detail },
            ErrorKind::StalePlan => TasksyncError::StalePlan { detail },
            ErrorKind::Conflict => TasksyncError::Conflict { detail },
            ErrorKind::InvalidState => TasksyncError::InvalidState { detail },
            ErrorKind::InvalidTransition => TasksyncError::InvalidTransition { detail },
            ErrorKind::NotFound => TasksyncError::NotFound { detail },
            ErrorKind::Store => TasksyncError::Store { detail },
            ErrorKind::Provider => TasksyncError::Provider { detail },
            ErrorKind::Cancelled => TasksyncError::Cancelled { detail },
            // ErrorKind is non-exhaustive: a kind added later still crosses as an error.
            _ => TasksyncError::Internal { detail },
        }
    }
}

impl From<sync_core::StoreError> for TasksyncError {
    fn from(err: sync_core::StoreError) -> Self {
        sync_core::Error::from(err).into()
    }
}

impl From<uniffi::UnexpectedUniFFICallbackError> for TasksyncError {
    fn from(err: uniffi::UnexpectedUniFFICallbackError) -> Self {
        TasksyncError::Internal { detail: err.reason }
    }
}

/// A provider call failed; the class decides whether the worker retries.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum ProviderError {
    /// The call timed out (retried).
    #[error("provider `{provider}` timed out: {detail}")]
    Timeout {
        /// Provider name.
        provider: String,
        /// What happened.
        detail: String,
    },
    /// HTTP 429 or equivalent (retried after the delay).
    #[error("provider `{provider}` rate limited; retry after {retry_after_ms} ms")]
    RateLimited {
        /// Provider name.
        provider: String,
        /// How long to wait.
        retry_after_ms: u64,
    },
    /// 5xx or connection failure (retried).
    #[error("provider `{provider}` unavailable (HTTP {status}): {detail}")]
    Unavailable {
        /// Provider name.
        provider: String,
        /// HTTP status (0 when there was no response).
        status: u16,
        /// What happened.
        detail: String,
    },
    /// The access token expired: the worker refreshes it and retries.
    #[error("provider `{provider}`: access token expired")]
    TokenExpired {
        /// Provider name.
        provider: String,
    },
    /// The provider refused the request (not retried: the job goes dead).
    #[error("provider `{provider}` rejected the request (HTTP {status}): {detail}")]
    Rejected {
        /// Provider name.
        provider: String,
        /// HTTP status.
        status: u16,
        /// What happened.
        detail: String,
    },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for ProviderError {
    // A host provider that throws something undeclared is treated as unavailable: retried
    // with backoff, then dead-lettered, never lost.
    fn from(err: uniffi::UnexpectedUniFFICallbackError) -> Self {
        ProviderError::Unavailable {
            provider: "host".into(),
            status: 0,
            detail: err.reason,
        }
    }
}

impl From<ProviderError> for sync_core::ProviderError {
    fn from(err: ProviderError) -> Self {
        match err {
            ProviderError::Timeout { provider, detail } => sync_core::ProviderError::Timeout {
                provider,
                message: detail,
            },
            ProviderError::RateLimited {
                provider,
                retry_after_ms,
            } => sync_core::ProviderError::RateLimited {
                provider,
                retry_after_ms,
            },
            ProviderError::Unavailable {
                provider,
                status,
                detail,
            } => sync_core::ProviderError::Unavailable {
                provider,
                status,
                message: detail,
            },
            ProviderError::TokenExpired { provider } => {
                sync_core::ProviderError::TokenExpired { provider }
            }
            ProviderError::Rejected {
                provider,
                status,
                detail,
            } => sync_core::ProviderError::Rejected {
                provider,
                status,
                message: detail,
            },
        }
    }
}

impl From<ProviderError> for TasksyncError {
    fn from(err: ProviderError) -> Self {
        sync_core::Error::Provider(err.into()).into()
    }
}
