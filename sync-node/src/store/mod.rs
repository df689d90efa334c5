//! Stores: the native `Store` class (SQLite, PostgreSQL, memory, or a JS object) holding a
//! `TaskStore`, a `SessionStore` and, for the native stores, the job queue and the provider
//! gates, and the adapters that make a JS object a task or session store.
//!
//! `Store.postgres(url)` connects (and migrates) on the store's own runtime and resolves a
//! Promise; the URL is handed to the store and never kept here, so its password reaches no
//! message or `Debug` output of this binding.
//!
//! Invariants: a JS store's failure with code `conflict` becomes `StoreError::Conflict` (so
//! the engine reports a stale plan or retries a session race); anything else is
//! `StoreError::Backend`. Results from JS are parsed into core types before the engine sees
//! them: a store returning the wrong shape is a backend failure, never a panic, and a session
//! with a key the core's `Session` lacks is refused the same way.
//!
//! The outbox contract: a `ChangeSet` carries `jobs`. A JS store that does not keep jobs
//! (`keepsJobs` false) never sees a change set with jobs: the binding refuses it, whole and
//! before calling JS, so jobs are never silently dropped. A JS store that keeps jobs is a
//! `QueueStore` (its job methods are in `retry/store.rs`).

pub mod job;
pub mod job_store;

use std::sync::Arc;

use async_trait::async_trait;
use napi::Env;
use napi::bindgen_prelude::PromiseRaw;
use napi_derive::napi;
use sync_core::retry::QueueStore;
use sync_core::session::{Session, SessionStore};
use sync_core::store::GateStore;
use sync_core::{
    Applied, ChangeSet, Identity, MemorySessionStore, MemoryStore, ScopeSnapshot, StoreError, Task,
    TaskStore,
};

use crate::error::{guard, invalid, to_json};
use crate::host_call::{DispatchFn, Host, HostFailure};
use crate::input::parse;

pub(crate) fn store_error(failure: HostFailure) -> StoreError {
    match failure.code.as_str() {
        "conflict" => StoreError::Conflict(failure.message),
        _ => StoreError::Backend(failure.message),
    }
}

/// A JS object implementing `TaskStore` (and `JobStore` when `keeps_jobs`, see `retry/store.rs`).
#[derive(Debug)]
pub struct JsTaskStore {
    /// The JS object.
    pub host: Host,
    /// Whether the object keeps jobs (implements the job store methods).
    pub keeps_jobs: bool,
}

#[async_trait]
impl TaskStore for JsTaskStore {
    async fn snapshot(&self, scope: String) -> Result<ScopeSnapshot, StoreError> {
        self.host
            .call("snapshot", &(scope,))
            .await
            .map_err(store_error)
    }

    async fn scope_version(&self, scope: String) -> Result<u64, StoreError> {
        self.host
            .call("scopeVersion", &(scope,))
            .await
            .map_err(store_error)
    }

    async fn get(&self, id: String) -> Result<Option<Task>, StoreError> {
        self.host.call("get", &(id,)).await.map_err(store_error)
    }

    async fn find_identities(
        &self,
        source: String,
        external_ids: Vec<String>,
    ) -> Result<Vec<Identity>, StoreError> {
        let args = (source, external_ids);
        self.host
            .call("findIdentities", &args)
            .await
            .map_err(store_error)
    }

    async fn apply(&self, changes: ChangeSet) -> Result<Applied, StoreError> {
        if !self.keeps_jobs {
            changes.refuse_jobs(
                "implement the job store methods and create it with keepsJobs, or use \
                 Store.sqlite / Store.memory",
            )?;
        }
        self.host
            .call("apply", &(changes,))
            .await
            .map_err(store_error)
    }
}

/// A session as a JS session store returned it, read strictly by the core (an unknown key or
/// a wrong shape is the store's bad data).
fn stored_session(value: serde_json::Value) -> Result<Session, StoreError> {
    sync_core::input::from_store("the session the session store returned", value)
}

/// A JS object implementing `SessionStore`.
#[derive(Debug)]
pub struct JsSessionStore(pub Host);

#[async_trait]
impl SessionStore for JsSessionStore {
    async fn get(&self, id: String) -> Result<Option<Session>, StoreError> {
        let found: Option<serde_json::Value> = self
            .0
            .call("getSession", &(id,))
            .await
            .map_err(store_error)?;
        found.map(stored_session).transpose()
    }

    async fn insert(&self, session: Session) -> Result<(), StoreError> {
        let () = self
            .0
            .call("insertSession", &(session,))
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn update(&self, session: Session, expected_version: u64) -> Result<(), StoreError> {
        let args = (session, expected_version);
        let () = self
            .0
            .call("updateSession", &args)
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn delete(&self, id: String, expected_version: u64) -> Result<(), StoreError> {
        let args = (id, expected_version);
        let () = self
            .0
            .call("deleteSession", &args)
            .await
            .map_err(store_error)?;
        Ok(())
    }
}

/// Where the hub keeps tasks and sessions (and, for SQLite, PostgreSQL, memory and
/// job-keeping JS stores, the outbound queue's jobs).
#[napi]
pub struct Store {
    pub(crate) tasks: Arc<dyn TaskStore>,
    pub(crate) sessions: Arc<dyn SessionStore>,
    pub(crate) queue: Option<Arc<dyn QueueStore>>,
    /// Where workers on this store keep the providers' breaker and limiter state, shared by
    /// every worker on the same store (PostgreSQL: every instance); `None`: each worker keeps
    /// its own (the core's `LocalGates`).
    pub(crate) gates: Option<Arc<dyn GateStore>>,
    /// Whether its calls never block (the in-memory stores): see `session::run`.
    pub(crate) inline: bool,
}

impl Store {
    /// The store as a status service needs it: its queue, or (for a store keeping no jobs) its
    /// tasks through the core's `without_jobs`, which refuses any job it would be asked for.
    pub(crate) fn queue_or_tasks(&self) -> Arc<dyn QueueStore> {
        self.queue
            .clone()
            .unwrap_or_else(|| sync_core::retry::without_jobs(self.tasks.clone()))
    }

    /// The job store, or `invalid_input` when this store keeps no jobs.
    pub(crate) fn queue(&self) -> napi::Result<Arc<dyn QueueStore>> {
        self.queue.clone().ok_or_else(|| {
            invalid(
                "this store keeps no jobs (a JS store needs the job store methods and keepsJobs)",
            )
        })
    }

    /// The gate store, or `invalid_input` when this store keeps no gates.
    pub(crate) fn gates(&self) -> napi::Result<Arc<dyn GateStore>> {
        self.gates.clone().ok_or_else(|| {
            invalid("this store keeps no provider gates (Store.postgres, Store.sqlite and Store.memory do)")
        })
    }

    fn postgres_store(store: sync_postgres::PostgresStore) -> Store {
        let store = Arc::new(store);
        Store {
            tasks: store.clone(),
            sessions: store.clone(),
            queue: Some(store.clone()),
            gates: Some(store),
            inline: false,
        }
    }
}

/// The connection options of `Store.postgres` / `History.postgres` as the JS wrapper passes
/// them (`poolSize`, `connectTimeoutMs`; each checked here, naming the option).
pub(crate) fn postgres_options(
    pool_size: Option<f64>,
    connect_timeout_ms: Option<f64>,
    listen: bool,
) -> napi::Result<sync_postgres::PostgresOptions> {
    let mut options = sync_postgres::PostgresOptions {
        listen,
        ..Default::default()
    };
    if let Some(size) = pool_size {
        if size.is_nan() || size < 1.0 || size.fract() != 0.0 || size > 1024.0 {
            return Err(invalid(format!(
                "poolSize must be a whole number from 1 to 1024, got {size}"
            )));
        }
        options.pool_size = size as usize;
    }
    if let Some(ms) = connect_timeout_ms {
        options.connect_timeout_ms = crate::retry::duration_ms("connectTimeoutMs", ms)?;
    }
    Ok(options)
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").finish_non_exhaustive()
    }
}

pub(crate) fn store_failure(err: StoreError) -> napi::Error {
    crate::error::core(err.into())
}

#[napi]
impl Store {
    /// An in-memory store (tasks and sessions), for tests and examples.
    #[napi(factory)]
    pub fn memory() -> Store {
        let tasks = Arc::new(MemoryStore::new());
        Store {
            tasks: tasks.clone(),
            sessions: Arc::new(MemorySessionStore::default()),
            queue: Some(tasks.clone()),
            gates: Some(tasks),
            inline: true,
        }
    }

    /// The SQLite store at `path` (created if missing; `:memory:` for a private in-memory one).
    #[napi(factory)]
    pub fn sqlite(path: String) -> napi::Result<Store> {
        crate::error::guard_sync(|| {
            let store = if path == ":memory:" {
                sync_sqlite::SqliteStore::open_in_memory()
            } else {
                sync_sqlite::SqliteStore::open(&path)
            }
            .map_err(store_failure)?;
            let store = Arc::new(store);
            Ok(Store {
                tasks: store.clone(),
                sessions: store.clone(),
                queue: Some(store.clone()),
                gates: Some(store),
                inline: false,
            })
        })
    }

    /// The PostgreSQL store at `url` (tasks, sessions, the job queue and the provider gates,
    /// shared by every instance on the database): connects and migrates, then resolves the
    /// store. `poolSize` (default 16) and `connectTimeoutMs` (default 5000) tune the pool;
    /// `listen` (default true) hears other instances' job hints (LISTEN/NOTIFY). A failure to
    /// connect is a `store` error whose message carries no password.
    #[napi(ts_return_type = "Promise<Store>")]
    pub fn postgres<'env>(
        env: &'env Env,
        url: String,
        pool_size: Option<f64>,
        connect_timeout_ms: Option<f64>,
        listen: Option<bool>,
    ) -> napi::Result<PromiseRaw<'env, Store>> {
        let options = postgres_options(pool_size, connect_timeout_ms, listen.unwrap_or(true))?;
        env.spawn_future(guard(async move {
            let store = sync_postgres::PostgresStore::connect_with(&url, options)
                .await
                .map_err(store_failure)?;
            Ok(Store::postgres_store(store))
        }))
    }

    /// A store implemented by a JS object, reached through `dispatch` (built by the wrapper);
    /// with `keepsJobs` it also implements the job store methods.
    #[napi(factory)]
    pub fn host(
        #[napi(ts_arg_type = "(method: string, argsJson: string) => Promise<string>")]
        dispatch: DispatchFn<'_>,
        keeps_jobs: Option<bool>,
    ) -> napi::Result<Store> {
        let host = Host::new(dispatch, "store")?;
        let keeps_jobs = keeps_jobs.unwrap_or(false);
        let tasks = Arc::new(JsTaskStore {
            host: host.clone(),
            keeps_jobs,
        });
        Ok(Store {
            tasks: tasks.clone(),
            sessions: Arc::new(JsSessionStore(host)),
            queue: keeps_jobs.then_some(tasks as Arc<dyn QueueStore>),
            gates: None,
            inline: false,
        })
    }

    /// All tasks of a scope and its version, as JSON (`ScopeSnapshot`).
    #[napi]
    pub fn snapshot<'env>(
        &self,
        env: &'env Env,
        scope: String,
    ) -> napi::Result<PromiseRaw<'env, String>> {
        let tasks = self.tasks.clone();
        env.spawn_future(guard(async move {
            to_json(&tasks.snapshot(scope).await.map_err(store_failure)?)
        }))
    }

    /// Applies a change set (JSON `ChangeSet`) atomically; resolves the `Applied` JSON.
    #[napi]
    pub fn apply<'env>(
        &self,
        env: &'env Env,
        changes: String,
    ) -> napi::Result<PromiseRaw<'env, String>> {
        let changes: ChangeSet = parse("change set", &changes)?;
        let tasks = self.tasks.clone();
        env.spawn_future(guard(async move {
            to_json(&tasks.apply(changes).await.map_err(store_failure)?)
        }))
    }
}
