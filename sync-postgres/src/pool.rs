//! The store's own runtime and connection pool, and how database failures become
//! [`StoreError`]s.
//!
//! Invariants:
//! - Every database call runs on the store's runtime ([`Runtime::spawn`] of a future that owns
//!   what it needs, its `JoinHandle` awaited by the caller), so a caller on any executor
//!   (`futures::executor`, pyo3, napi, uniffi, another tokio runtime) can await the store.
//! - The runtime is shut down with [`tokio::runtime::Runtime::shutdown_background`] when the
//!   last handle goes, which never blocks and never panics, even inside an async context.
//! - Connections come from one deadpool pool; a connection the server closed is noticed when
//!   it is next taken (`is_closed`) and replaced, so a store recovers from a restart or a
//!   terminated backend by itself (the call that meets the dead connection fails with
//!   [`StoreError::Backend`], writing nothing).
//! - A unique or exclusion violation is a [`StoreError::Conflict`] (callers that can tell
//!   which insert was refused turn it into a [`StoreError::Duplicate`]); every other failure
//!   is a [`StoreError::Backend`]. No message holds the connection's password.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use sync_core::store::{StoreError, WakeHint};
use tokio_postgres::error::SqlState;

use crate::url::Secret;

/// A tokio runtime shut down in the background when dropped (never blocking, never panicking
/// in an async context).
pub(crate) struct OwnedRuntime(Option<tokio::runtime::Runtime>);

impl OwnedRuntime {
    /// A multi-thread runtime with `workers` worker threads.
    pub(crate) fn new(workers: usize) -> Result<OwnedRuntime, StoreError> {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .thread_name("tasksync-postgres")
            .enable_all()
            .build()
            .map(|rt| OwnedRuntime(Some(rt)))
            .map_err(|e| StoreError::Backend(format!("cannot start the PostgreSQL runtime: {e}")))
    }

    /// The runtime's handle.
    pub(crate) fn handle(&self) -> &tokio::runtime::Handle {
        match &self.0 {
            Some(rt) => rt.handle(),
            // Only `drop` takes the runtime out.
            None => unreachable!("the runtime is only taken when dropped"),
        }
    }
}

impl Drop for OwnedRuntime {
    fn drop(&mut self) {
        if let Some(rt) = self.0.take() {
            rt.shutdown_background();
        }
    }
}

/// What every database call needs: the pool, the wake hint, the secret to scrub from
/// messages. Owned by the futures spawned on the runtime (never the runtime itself).
pub(crate) struct Shared {
    pub(crate) pool: Pool,
    pub(crate) wake: Arc<WakeHint>,
    pub(crate) secret: Secret,
}

impl Shared {
    /// A pooled connection (a closed one is replaced first).
    pub(crate) async fn conn(&self) -> Result<deadpool_postgres::Object, StoreError> {
        self.pool
            .get()
            .await
            .map_err(|e| StoreError::Backend(self.secret.scrub(format!("postgres pool: {e}"))))
    }

    /// `err` as a store error, scrubbed of the password.
    pub(crate) fn error(&self, err: tokio_postgres::Error) -> StoreError {
        match to_store_error(err) {
            StoreError::Conflict(m) => StoreError::Conflict(self.secret.scrub(m)),
            StoreError::Backend(m) => StoreError::Backend(self.secret.scrub(m)),
            other => other,
        }
    }
}

/// The pool over `config`: at most `size` connections, each connect bounded by `timeout`.
pub(crate) fn pool(
    config: tokio_postgres::Config,
    size: usize,
    timeout: Duration,
) -> Result<Pool, StoreError> {
    let manager = Manager::from_config(
        config,
        tokio_postgres::NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(manager)
        .max_size(size.max(1))
        .runtime(deadpool_postgres::Runtime::Tokio1)
        .create_timeout(Some(timeout))
        .recycle_timeout(Some(timeout))
        .build()
        .map_err(|e| StoreError::Backend(format!("cannot build the PostgreSQL pool: {e}")))
}

/// Runs `work` on `runtime` and waits for it from any executor.
pub(crate) async fn on<T, F>(runtime: &OwnedRuntime, work: F) -> Result<T, StoreError>
where
    F: Future<Output = Result<T, StoreError>> + Send + 'static,
    T: Send + 'static,
{
    match runtime.handle().spawn(work).await {
        Ok(result) => result,
        Err(e) if e.is_panic() => Err(StoreError::Backend(
            "a PostgreSQL store call panicked; nothing of it was committed".into(),
        )),
        Err(_) => Err(StoreError::Backend(
            "the PostgreSQL store is shutting down; the call was cancelled".into(),
        )),
    }
}

/// Whether `err` is a unique-key or exclusion-constraint violation.
pub(crate) fn is_key_violation(err: &tokio_postgres::Error) -> bool {
    matches!(
        err.code(),
        Some(c) if *c == SqlState::UNIQUE_VIOLATION || *c == SqlState::EXCLUSION_VIOLATION
    )
}

/// Key violations are conflicts; everything else is the backend.
pub(crate) fn to_store_error(err: tokio_postgres::Error) -> StoreError {
    let message = describe(&err);
    if is_key_violation(&err) {
        StoreError::Conflict(format!("constraint violated: {message}"))
    } else {
        StoreError::Backend(format!("postgres: {message}"))
    }
}

/// The error's message with its SQLSTATE and the server's detail, if any.
fn describe(err: &tokio_postgres::Error) -> String {
    match err.as_db_error() {
        Some(db) => {
            let head = format!("{} [{}]: {}", db.severity(), db.code().code(), db.message());
            match db.detail() {
                Some(detail) => format!("{head} ({detail})"),
                None => head,
            }
        }
        None => err.to_string(),
    }
}

/// How many times a transaction that lost a deadlock or a serialization check is tried.
pub(crate) const ATTEMPTS: u32 = 3;

/// Whether `err` is a deadlock or serialization failure: the transaction was rolled back and
/// running it again may succeed.
pub(crate) fn is_transient(err: &StoreError) -> bool {
    let codes = [
        SqlState::T_R_DEADLOCK_DETECTED,
        SqlState::T_R_SERIALIZATION_FAILURE,
    ];
    match err {
        StoreError::Backend(m) => codes.iter().any(|c| m.contains(&format!("[{}]", c.code()))),
        _ => false,
    }
}

/// A stored `bigint` as a `u64` (negative values never come from this crate).
pub(crate) fn to_u64(value: i64) -> u64 {
    value.max(0) as u64
}

/// A `u64` as a `bigint`, refused when too large.
pub(crate) fn to_i64(value: u64, what: &str) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| StoreError::Backend(format!("{what} {value} is too large")))
}

/// A stored `bytea` key as text.
pub(crate) fn text(bytes: Vec<u8>, what: &str) -> Result<String, StoreError> {
    String::from_utf8(bytes)
        .map_err(|_| StoreError::Backend(format!("a stored {what} is not valid UTF-8")))
}

/// Encodes `value` as JSON text.
pub(crate) fn json<T: serde::Serialize>(value: &T, what: &str) -> Result<String, StoreError> {
    serde_json::to_string(value)
        .map_err(|e| StoreError::Backend(format!("cannot encode {what} as JSON: {e}")))
}

/// Decodes JSON text stored by this crate.
pub(crate) fn parse<T: serde::de::DeserializeOwned>(
    body: &str,
    what: &str,
) -> Result<T, StoreError> {
    serde_json::from_str(body)
        .map_err(|e| StoreError::Backend(format!("a stored {what} is not valid: {e}")))
}

/// Clips user input for an error message (huge strings stay out of logs and exceptions).
pub(crate) fn clip(s: &str) -> String {
    const CLIP: usize = 80;
    match s.char_indices().nth(CLIP) {
        Some((cut, _)) => format!("{}… ({} bytes)", &s[..cut], s.len()),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlocks_and_serialization_failures_are_tried_again() {
        let backend = |m: &str| StoreError::Backend(m.to_owned());
        assert!(is_transient(&backend(
            "postgres: ERROR [40P01]: deadlock detected"
        )));
        assert!(is_transient(&backend(
            "postgres: ERROR [40001]: could not serialize access"
        )));
        assert!(!is_transient(&backend(
            "postgres: ERROR [23505]: duplicate key"
        )));
        assert!(!is_transient(&StoreError::Conflict("[40P01]".into())));
    }

    #[test]
    fn long_input_is_clipped() {
        assert_eq!(clip("short"), "short");
        let long = "é".repeat(100);
        assert!(clip(&long).ends_with("(200 bytes)"));
    }
}
