//! History and audit: a `History` (memory, SQLite, PostgreSQL or a JS history store) whose recorder the
//! engines, the status service and the dead letters write into, its pump running on the napi
//! tokio runtime, its queries (cursor pagination), and `CancelToken` (the JS wrapper ties it to
//! an `AbortSignal`).
//!
//! Invariants:
//! - The pump is spawned when the `History` is created and ends only when `close` is called
//!   (or the process exits); recording never waits for the store, so history never slows or
//!   fails a sync (the core's contract).
//! - Queries are validated (limits, time ranges) before the store is asked: bad input is
//!   `invalid_input` and reads nothing. A query's default page size and the cursor token
//!   (`at:id`, printed and parsed by `sync_core::history::Cursor`) are the core's: JS hands the
//!   token through and never reads it.
//! - A JS history store is reached like a JS task store: `write(batch)`, `run(id)`,
//!   `runs(query)`, `items(query)`, `audit(query)`, each with the core's JSON shapes.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use napi::Env;
use napi::bindgen_prelude::PromiseRaw;
use napi_derive::napi;
use sync_core::StoreError;
use sync_core::history::{
    AuditEntry, AuditQuery, Cursor, HistoryBatch, HistoryRecorder, HistoryStore, Item, ItemQuery,
    MemoryHistoryStore, Page, RecorderConfig, Run, RunQuery,
};

use crate::error::{core, guard, guard_sync, to_json};
use crate::host_call::{DispatchFn, Host};
use crate::input::parse;
use crate::store::store_error;

/// A JS object implementing `HistoryStore`.
#[derive(Debug)]
pub struct JsHistoryStore(Host);

#[async_trait]
impl HistoryStore for JsHistoryStore {
    async fn write(&self, batch: HistoryBatch) -> Result<(), StoreError> {
        let () = self.0.call("write", &(batch,)).await.map_err(store_error)?;
        Ok(())
    }

    async fn run(&self, id: String) -> Result<Option<Run>, StoreError> {
        self.0.call("run", &(id,)).await.map_err(store_error)
    }

    async fn runs(&self, query: RunQuery) -> Result<Page<Run, Cursor>, StoreError> {
        self.0.call("runs", &(query,)).await.map_err(store_error)
    }

    async fn items(&self, query: ItemQuery) -> Result<Page<Item, u64>, StoreError> {
        self.0.call("items", &(query,)).await.map_err(store_error)
    }

    async fn audit(&self, query: AuditQuery) -> Result<Page<AuditEntry, Cursor>, StoreError> {
        self.0.call("audit", &(query,)).await.map_err(store_error)
    }
}

/// Sync history and the audit log, with the recorder every engine of this process shares.
#[napi]
pub struct History {
    pub(crate) store: Arc<dyn HistoryStore>,
    pub(crate) recorder: HistoryRecorder,
    pump: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl std::fmt::Debug for History {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("History").finish_non_exhaustive()
    }
}

fn failure(err: StoreError) -> napi::Error {
    core(err.into())
}

/// Where a listing continues: the cursor token from JS (the core's `at:id` form, parsed by the
/// core), or the query's own `after`; both at once is `invalid_input`.
fn after(in_query: Option<Cursor>, token: Option<String>) -> napi::Result<Option<Cursor>> {
    match (in_query, token) {
        (Some(_), Some(_)) => Err(crate::error::invalid(
            "give the cursor or the query's `after`, not both",
        )),
        (from_query, None) => Ok(from_query),
        (None, Some(token)) => token.parse::<Cursor>().map(Some).map_err(core),
    }
}

/// A page whose `next` is the cursor's token, the opaque string a client passes back.
fn tokens<T>(page: Page<T, Cursor>) -> Page<T, String> {
    Page {
        items: page.items,
        next: page.next.as_ref().map(Cursor::to_string),
    }
}

impl History {
    fn start(store: Arc<dyn HistoryStore>) -> History {
        let (recorder, pump) = HistoryRecorder::new(store.clone(), RecorderConfig::default());
        let handle = napi::bindgen_prelude::spawn(pump.run());
        History {
            store,
            recorder,
            pump: Mutex::new(Some(handle)),
        }
    }
}

#[napi]
impl History {
    /// An in-memory history.
    #[napi(factory)]
    pub fn memory() -> History {
        History::start(Arc::new(MemoryHistoryStore::new()))
    }

    /// The SQLite history at `path` (`:memory:` for a private one; the same file as a
    /// `Store.sqlite` is fine: it has its own connection and tables).
    #[napi(factory)]
    pub fn sqlite(path: String) -> napi::Result<History> {
        guard_sync(|| {
            let store = if path == ":memory:" {
                sync_sqlite::SqliteHistoryStore::open_in_memory()
            } else {
                sync_sqlite::SqliteHistoryStore::open(&path)
            }
            .map_err(failure)?;
            Ok(History::start(Arc::new(store)))
        })
    }

    /// The PostgreSQL history at `url` (the same database as a `Store.postgres` is fine: it
    /// has its own pool and tables): connects and migrates, then resolves the history.
    /// `poolSize` and `connectTimeoutMs` as for `Store.postgres`. A failure to connect is a
    /// `store` error whose message carries no password.
    #[napi(ts_return_type = "Promise<History>")]
    pub fn postgres<'env>(
        env: &'env Env,
        url: String,
        pool_size: Option<f64>,
        connect_timeout_ms: Option<f64>,
    ) -> napi::Result<PromiseRaw<'env, History>> {
        // A history hears no job hints: no LISTEN connection.
        let options = crate::store::postgres_options(pool_size, connect_timeout_ms, false)?;
        env.spawn_future(guard(async move {
            let store = sync_postgres::PostgresStore::connect_with(&url, options)
                .await
                .map_err(failure)?;
            Ok(History::start(Arc::new(store.history())))
        }))
    }

    /// A history store implemented by a JS object, reached through `dispatch`.
    #[napi(factory)]
    pub fn host(
        #[napi(ts_arg_type = "(method: string, argsJson: string) => Promise<string>")]
        dispatch: DispatchFn<'_>,
    ) -> napi::Result<History> {
        let host = Host::new(dispatch, "history store")?;
        Ok(History::start(Arc::new(JsHistoryStore(host))))
    }

    /// Runs, newest first (JSON `RunQuery`, its `limit` defaulting to the core's page size),
    /// continuing after `cursor` (the `next` token of the previous page); resolves a page JSON
    /// `{items: Run[], next: string | null}`.
    #[napi]
    pub fn runs<'env>(
        &self,
        env: &'env Env,
        query: String,
        cursor: Option<String>,
    ) -> napi::Result<PromiseRaw<'env, String>> {
        let mut query: RunQuery = parse("run query", &query)?;
        query.after = after(query.after, cursor)?;
        query.validate().map_err(core)?;
        let store = self.store.clone();
        env.spawn_future(guard(async move {
            to_json(&tokens(store.runs(query).await.map_err(failure)?))
        }))
    }

    /// One run (JSON `Run`, or `null`).
    #[napi]
    pub fn run<'env>(&self, env: &'env Env, id: String) -> napi::Result<PromiseRaw<'env, String>> {
        let store = self.store.clone();
        env.spawn_future(guard(async move {
            to_json(&store.run(id).await.map_err(failure)?)
        }))
    }

    /// A run's items in order (JSON `ItemQuery`, `limit` defaulting as for `runs`); resolves a
    /// `Page<Item, u64>` JSON (`next`: the position to continue after).
    #[napi]
    pub fn items<'env>(
        &self,
        env: &'env Env,
        query: String,
    ) -> napi::Result<PromiseRaw<'env, String>> {
        let query: ItemQuery = parse("item query", &query)?;
        query.validate().map_err(core)?;
        let store = self.store.clone();
        env.spawn_future(guard(async move {
            to_json(&store.items(query).await.map_err(failure)?)
        }))
    }

    /// Audit entries, newest first (JSON `AuditQuery`, `limit` defaulting as for `runs`),
    /// continuing after `cursor`; resolves `{items: AuditEntry[], next: string | null}`.
    #[napi]
    pub fn audit<'env>(
        &self,
        env: &'env Env,
        query: String,
        cursor: Option<String>,
    ) -> napi::Result<PromiseRaw<'env, String>> {
        let mut query: AuditQuery = parse("audit query", &query)?;
        query.after = after(query.after, cursor)?;
        query.validate().map_err(core)?;
        let store = self.store.clone();
        env.spawn_future(guard(async move {
            to_json(&tokens(store.audit(query).await.map_err(failure)?))
        }))
    }

    /// The recorder's counters: `{queued, dropped, written, lost}`.
    #[napi]
    pub fn stats(&self) -> napi::Result<String> {
        let s = self.recorder.stats();
        to_json(&serde_json::json!({
            "queued": s.queued, "dropped": s.dropped, "written": s.written, "lost": s.lost,
        }))
    }

    /// Stops recording, writes what is queued and resolves when the pump has ended. Later
    /// records are dropped (counted in `stats`); queries keep working.
    #[napi]
    pub fn close<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, ()>> {
        self.recorder.close();
        let handle = self.pump.lock().unwrap_or_else(|p| p.into_inner()).take();
        env.spawn_future(guard(async move {
            if let Some(handle) = handle {
                let _ = handle.await;
            }
            Ok(())
        }))
    }
}

/// Cancels a run between its steps (the JS wrapper cancels it when an `AbortSignal` aborts).
#[napi]
#[derive(Debug, Default)]
pub struct CancelToken {
    pub(crate) inner: sync_core::history::CancelToken,
}

#[napi]
impl CancelToken {
    /// A token not cancelled yet.
    #[napi(constructor)]
    pub fn new() -> Self {
        CancelToken::default()
    }

    /// Cancels every run holding this token.
    #[napi]
    pub fn cancel(&self) {
        self.inner.cancel();
    }

    /// Whether `cancel` was called.
    #[napi(getter)]
    pub fn cancelled(&self) -> bool {
        self.inner.is_cancelled()
    }
}
