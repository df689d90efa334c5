//! Stores: the native `Store` class (SQLite, memory, or a JS object) holding both a
//! `TaskStore` and a `SessionStore`, and the adapters that make a JS object either.
//!
//! Invariants: a JS store's failure with code `conflict` becomes `StoreError::Conflict` (so
//! the engine reports a stale plan or retries a session race); anything else is
//! `StoreError::Backend`. Results from JS are parsed into core types before the engine sees
//! them: a store returning the wrong shape is a backend failure, never a panic.

use std::sync::Arc;

use async_trait::async_trait;
use napi::Env;
use napi::bindgen_prelude::PromiseRaw;
use napi_derive::napi;
use sync_core::session::{Session, SessionStore};
use sync_core::{
    Applied, ChangeSet, Identity, MemorySessionStore, MemoryStore, ScopeSnapshot, StoreError, Task,
    TaskStore,
};

use crate::error::{guard, parse, to_json};
use crate::host::{DispatchFn, Host, HostFailure};

fn store_error(failure: HostFailure) -> StoreError {
    match failure.code.as_str() {
        "conflict" => StoreError::Conflict(failure.message),
        _ => StoreError::Backend(failure.message),
    }
}

/// A JS object implementing `TaskStore`.
#[derive(Debug)]
pub struct JsTaskStore(pub Host);

#[async_trait]
impl TaskStore for JsTaskStore {
    async fn snapshot(&self, scope: String) -> Result<ScopeSnapshot, StoreError> {
        self.0
            .call("snapshot", &(scope,))
            .await
            .map_err(store_error)
    }

    async fn scope_version(&self, scope: String) -> Result<u64, StoreError> {
        self.0
            .call("scopeVersion", &(scope,))
            .await
            .map_err(store_error)
    }

    async fn get(&self, id: String) -> Result<Option<Task>, StoreError> {
        self.0.call("get", &(id,)).await.map_err(store_error)
    }

    async fn find_identities(
        &self,
        source: String,
        external_ids: Vec<String>,
    ) -> Result<Vec<Identity>, StoreError> {
        let args = (source, external_ids);
        self.0
            .call("findIdentities", &args)
            .await
            .map_err(store_error)
    }

    async fn apply(&self, changes: ChangeSet) -> Result<Applied, StoreError> {
        self.0.call("apply", &(changes,)).await.map_err(store_error)
    }
}

/// A JS object implementing `SessionStore`.
#[derive(Debug)]
pub struct JsSessionStore(pub Host);

#[async_trait]
impl SessionStore for JsSessionStore {
    async fn get(&self, id: String) -> Result<Option<Session>, StoreError> {
        self.0.call("getSession", &(id,)).await.map_err(store_error)
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

/// Where the hub keeps tasks and sessions.
#[napi]
pub struct Store {
    pub(crate) tasks: Arc<dyn TaskStore>,
    pub(crate) sessions: Arc<dyn SessionStore>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").finish_non_exhaustive()
    }
}

fn store_failure(err: StoreError) -> napi::Error {
    crate::error::core(err.into())
}

#[napi]
impl Store {
    /// An in-memory store (tasks and sessions), for tests and examples.
    #[napi(factory)]
    pub fn memory() -> Store {
        Store {
            tasks: Arc::new(MemoryStore::new()),
            sessions: Arc::new(MemorySessionStore::default()),
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
                sessions: store,
            })
        })
    }

    /// A store implemented by a JS object, reached through `dispatch` (built by the wrapper).
    #[napi(factory)]
    pub fn host(
        #[napi(ts_arg_type = "(method: string, argsJson: string) => Promise<string>")]
        dispatch: DispatchFn<'_>,
    ) -> napi::Result<Store> {
        let host = Host::new(dispatch, "store")?;
        Ok(Store {
            tasks: Arc::new(JsTaskStore(host.clone())),
            sessions: Arc::new(JsSessionStore(host)),
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
