//! The one error type of the binding, [`TasksyncError`]: one variant per core
//! [`ErrorKind`](sync_core::ErrorKind), each carrying the core's message (`Provider` also the
//! core's `ProviderDetails` as fields, `Internal` a bug: a Rust panic caught by [`guard`] or
//! [`guard_future`], or a host callback that failed in an undeclared way). Foreign languages
//! get one exception class per variant (`TasksyncException.StalePlan` in Kotlin, ...).
//! [`ProviderError`] is the core's provider error, which foreign providers raise so the worker
//! can classify retries.
//! Invariant: messages are the core's, which never contain secrets.
//!
//! The boundary guards: every export that returns `Result<_, TasksyncError>` wraps its whole
//! body, `guard(|| { ... })` when sync, `guard_future(async move { ... }).await` when async
//! (the body is unchanged inside, `?` and `return` included), so a panic reaches the host as
//! `TasksyncError.Internal` and never as uniffi's own panic error. Exports that return a plain
//! value cannot report an error and are left unwrapped (a panic there is a bug uniffi reports
//! as its panic error). The adapters over host callbacks (stores, clock, event sink,
//! providers) catch panics themselves ([`unwinding`], [`host_store_call`]): a panic while
//! converting a host's answer is the typed error of that call (a `Store` error, a provider's
//! `Unavailable`, a failed clock read, a dropped event), even where no export is on the stack
//! (the history pump), and never unwinds through the core.

use std::any::Any;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};

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
    /// A provider failed; the fields are the core's structured parts of the failure.
    #[error("{detail}")]
    Provider {
        /// The core's message.
        detail: String,
        /// The provider's name.
        provider: String,
        /// The failure class: `timeout`, `rate_limited`, `unavailable`, `token_expired` or
        /// `rejected`.
        provider_class: String,
        /// The HTTP status of the provider's answer (`unavailable`, `rejected`); none when
        /// there was no HTTP answer.
        http_status: Option<u16>,
        /// For `rate_limited`: how long to wait, in milliseconds.
        retry_after_ms: Option<u64>,
    },
    /// The run was cancelled before it wrote anything.
    #[error("{detail}")]
    Cancelled {
        /// The core's message.
        detail: String,
    },
    /// A bug: a Rust panic caught at the boundary (the core's internal error), or a host
    /// callback that failed with an error it does not declare (a bug in the host's code).
    #[error("{detail}")]
    Internal {
        /// The core's message, or the host's error as the foreign language printed it.
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
            TasksyncError::Internal { .. } => ErrorKind::Internal.code(),
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
        if let Some(details) = err.provider_details() {
            return TasksyncError::Provider {
                detail,
                provider: details.provider,
                provider_class: details.class.to_owned(),
                http_status: details.http_status,
                retry_after_ms: details.retry_after_ms,
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
            ErrorKind::Cancelled => TasksyncError::Cancelled { detail },
            ErrorKind::Internal => TasksyncError::Internal { detail },
            // ErrorKind is non-exhaustive: a kind added later still crosses as an error.
            _ => TasksyncError::Internal { detail },
        }
    }
}

/// Runs `f`, turning a panic inside it into the core's internal error
/// (`TasksyncError::Internal`) instead of uniffi's own panic error.
pub(crate) fn guard<T>(f: impl FnOnce() -> Result<T, TasksyncError>) -> Result<T, TasksyncError> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|payload| Err(internal(&*payload)))
}

/// Awaits `fut`, turning a panic while it is polled into the core's internal error
/// (`TasksyncError::Internal`) instead of uniffi's own panic error.
pub(crate) async fn guard_future<T>(
    fut: impl Future<Output = Result<T, TasksyncError>>,
) -> Result<T, TasksyncError> {
    unwinding(fut)
        .await
        .unwrap_or_else(|payload| Err(internal(&*payload)))
}

/// The core's internal error for a caught panic.
fn internal(payload: &(dyn Any + Send)) -> TasksyncError {
    sync_core::Error::from_panic(payload).into()
}

/// The core's words for a caught panic ("internal error (a bug in tasksync): Rust panic: ..."),
/// for errors that are not `TasksyncError`s (store, provider, clock errors of the adapters).
pub(crate) fn panic_text(payload: &(dyn Any + Send)) -> String {
    sync_core::Error::from_panic(payload).to_string()
}

/// For the adapters over host stores: awaits `fut`; a panic while it is polled (uniffi lifting
/// the host's answer, or our conversion of it) is a `Store` error naming `what` (the store and
/// call, "the host task store's `snapshot`"), never an unwind through the core.
pub(crate) async fn host_store_call<T>(
    what: &str,
    fut: impl Future<Output = Result<T, sync_core::StoreError>>,
) -> Result<T, sync_core::StoreError> {
    unwinding(fut).await.unwrap_or_else(|payload| {
        Err(sync_core::StoreError::Backend(format!(
            "the binding failed on the answer of {what}: {}",
            panic_text(&*payload)
        )))
    })
}

/// Awaits `fut`; `Err` with the panic's payload when polling it panicked (the future is then
/// dropped, never polled again).
pub(crate) async fn unwinding<F: Future>(fut: F) -> Result<F::Output, Box<dyn Any + Send>> {
    CatchUnwind(Box::pin(fut)).await
}

struct CatchUnwind<F>(Pin<Box<F>>);

impl<F: Future> Future for CatchUnwind<F> {
    type Output = Result<F::Output, Box<dyn Any + Send>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let fut = self.0.as_mut();
        match catch_unwind(AssertUnwindSafe(|| fut.poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(out)) => Poll::Ready(Ok(out)),
            Err(payload) => Poll::Ready(Err(payload)),
        }
    }
}

/// Test-only: panics inside the binding (in a future when `in_future`), so tests can prove a
/// panic surfaces as `TasksyncError.Internal` with code `internal`.
#[uniffi::export(async_runtime = "tokio")]
pub async fn panic_for_tests(in_future: bool) -> Result<bool, TasksyncError> {
    if in_future {
        guard_future(async { panic!("test panic inside a future") }).await
    } else {
        guard(|| panic!("test panic in a call"))
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

impl From<sync_core::ProviderError> for ProviderError {
    fn from(err: sync_core::ProviderError) -> Self {
        match err {
            sync_core::ProviderError::Timeout { provider, message } => ProviderError::Timeout {
                provider,
                detail: message,
            },
            sync_core::ProviderError::RateLimited {
                provider,
                retry_after_ms,
            } => ProviderError::RateLimited {
                provider,
                retry_after_ms,
            },
            sync_core::ProviderError::Unavailable {
                provider,
                status,
                message,
            } => ProviderError::Unavailable {
                provider,
                status,
                detail: message,
            },
            sync_core::ProviderError::TokenExpired { provider } => {
                ProviderError::TokenExpired { provider }
            }
            sync_core::ProviderError::Rejected {
                provider,
                status,
                message,
            } => ProviderError::Rejected {
                provider,
                status,
                detail: message,
            },
            // ProviderError is non-exhaustive: a class added later crosses as an outage
            // (retried, then dead-lettered), with the core's message.
            other => ProviderError::Unavailable {
                provider: other.provider().to_owned(),
                status: 0,
                detail: other.to_string(),
            },
        }
    }
}
