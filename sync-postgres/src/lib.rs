//! A store on PostgreSQL that several instances on several machines share: tasks and scope
//! versions ([`TaskStore`](sync_core::TaskStore), `tasks.rs`), the sync job queue ([`JobStore`](sync_core::JobStore),
//! `jobs.rs`, with wake hints over `LISTEN`/`NOTIFY` in `listen.rs`), sessions
//! ([`SessionStore`](sync_core::SessionStore), `sessions.rs`), provider gates
//! ([`GateStore`](sync_core::store::GateStore), `gates.rs`) and, through
//! [`PostgresStore::history`], sync history and the audit log
//! ([`HistoryStore`](sync_core::history::HistoryStore), `history.rs`). The schema and its
//! migrations are in `migrate.rs`; the runtime, the pool and error mapping in `pool.rs`.
//!
//! The crate stores; every rule (what a result does to a job, supersession, retries, gates)
//! is the core's. What it guarantees on top of the contracts in [`sync_core::store`]:
//! - Every call runs on the store's own small tokio runtime, so it can be awaited from any
//!   executor; dropping the last handle shuts that runtime down in the background (safe in an
//!   async context). A call whose caller stops waiting still runs to its end on that runtime
//!   (a change set commits or rolls back whole; it is never cut in the middle).
//! - [`TaskStore::apply`](sync_core::TaskStore::apply) is ONE transaction: the touched scopes are bumped first (in sorted
//!   order, which locks them: concurrent sets on one scope serialise, without deadlocks) and
//!   each guard is checked against the version the bump replaced; task and job writes are
//!   compare-and-swaps on `version`, batched into one statement per run of writes; any
//!   failure rolls everything back.
//! - Claims are `SELECT … FOR UPDATE SKIP LOCKED` in one transaction; a pair's pending job is
//!   only taken while its pair has no running job, so claimers on any number of machines never
//!   split a (task, target).
//! - Connection strings never appear with their password in errors, logs or `Debug`.

#![deny(missing_docs)]

mod gates;
mod history;
mod jobs;
mod listen;
mod migrate;
mod pool;
mod sessions;
mod task_writes;
mod tasks;
#[cfg(feature = "testing")]
pub mod testing;
mod url;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use sync_core::store::{StoreError, WakeHint};

pub use history::PostgresHistoryStore;
pub use migrate::SCHEMA_VERSION;

use pool::{OwnedRuntime, Shared};
use url::Secret;

/// How a [`PostgresStore`] connects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PostgresOptions {
    /// The most connections the pool opens (default 16).
    pub pool_size: usize,
    /// How long one connect may take, in ms (default 5000).
    pub connect_timeout_ms: u64,
    /// Whether a dedicated connection `LISTEN`s for job notices from other instances, raising
    /// the store's wake hint (default `true`). Without it, only this instance's own writes
    /// raise the hint; workers still find every job at their next poll.
    pub listen: bool,
}

impl Default for PostgresOptions {
    fn default() -> Self {
        PostgresOptions {
            pool_size: 16,
            connect_timeout_ms: 5_000,
            listen: true,
        }
    }
}

/// A store on one PostgreSQL database, shared by every instance connected to it. Cheap to
/// clone: clones share one pool and one runtime.
#[derive(Clone)]
pub struct PostgresStore {
    inner: Arc<Inner>,
}

struct Inner {
    /// Dropped first: shuts the runtime down in the background, ending the listener.
    runtime: OwnedRuntime,
    shared: Arc<Shared>,
    /// The connection string with its password masked.
    redacted: String,
    options: PostgresOptions,
    /// Kept alive as long as the store (a test database dropped after its last handle).
    _guard: Option<Box<dyn Send + Sync>>,
}

impl fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresStore")
            .field("url", &self.inner.redacted)
            .field("options", &self.inner.options)
            .finish_non_exhaustive()
    }
}

impl PostgresStore {
    /// Connects to the database at `url` (a `postgres://` URL or a key-value string) with the
    /// default [`PostgresOptions`], and migrates its schema.
    pub async fn connect(url: &str) -> Result<PostgresStore, StoreError> {
        Self::connect_with(url, PostgresOptions::default()).await
    }

    /// Connects with `options` and migrates the schema (see [`PostgresStore::connect`]).
    pub async fn connect_with(
        url: &str,
        options: PostgresOptions,
    ) -> Result<PostgresStore, StoreError> {
        Self::open(url, options, None).await
    }

    pub(crate) async fn open(
        url: &str,
        options: PostgresOptions,
        guard: Option<Box<dyn Send + Sync>>,
    ) -> Result<PostgresStore, StoreError> {
        let redacted = url::redact(url);
        let mut config: tokio_postgres::Config = url.parse().map_err(|e| {
            let secret = Secret::of(url, None);
            StoreError::Backend(secret.scrub(format!(
                "invalid PostgreSQL connection string `{redacted}`: {e}"
            )))
        })?;
        let secret = Secret::of(url, config.get_password());
        let timeout = Duration::from_millis(options.connect_timeout_ms.max(1));
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(timeout);
        }
        if config.get_application_name().is_none() {
            config.application_name("tasksync");
        }
        let runtime = OwnedRuntime::new(2)?;
        let shared = {
            // The pool's connection tasks are spawned on the runtime it is built in.
            let _entered = runtime.handle().enter();
            Arc::new(Shared {
                pool: pool::pool(config.clone(), options.pool_size, timeout)?,
                wake: Arc::new(WakeHint::new()),
                secret: secret.clone(),
            })
        };
        let setup = shared.clone();
        let context = redacted.clone();
        pool::on(&runtime, async move {
            let mut conn = setup.conn().await?;
            migrate::migrate(&mut conn).await.map_err(|e| match e {
                StoreError::Backend(m) => StoreError::Backend(setup.secret.scrub(m)),
                other => other,
            })
        })
        .await
        .map_err(|e| match e {
            StoreError::Backend(m) => {
                StoreError::Backend(format!("cannot open PostgreSQL store `{context}`: {m}"))
            }
            other => other,
        })?;
        if options.listen {
            listen::spawn(runtime.handle(), config, shared.wake.clone(), secret);
        }
        Ok(PostgresStore {
            inner: Arc::new(Inner {
                runtime,
                shared,
                redacted,
                options,
                _guard: guard,
            }),
        })
    }

    /// The history store on the same database, pool and runtime.
    pub fn history(&self) -> PostgresHistoryStore {
        PostgresHistoryStore::new(self.clone())
    }

    /// The options this store was opened with.
    pub fn options(&self) -> &PostgresOptions {
        &self.inner.options
    }

    /// Runs `work` with the shared state on the store's runtime.
    pub(crate) async fn run<T, F, Fut>(&self, work: F) -> Result<T, StoreError>
    where
        F: FnOnce(Arc<Shared>) -> Fut,
        Fut: std::future::Future<Output = Result<T, StoreError>> + Send + 'static,
        T: Send + 'static,
    {
        pool::on(&self.inner.runtime, work(self.inner.shared.clone())).await
    }

    /// The store's wake hint.
    pub(crate) fn wake(&self) -> Arc<WakeHint> {
        self.inner.shared.wake.clone()
    }
}
