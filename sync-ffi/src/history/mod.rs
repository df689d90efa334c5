//! Sync history and the audit log (mirrors `sync_core::history`): the [`History`] object (a
//! recorder with its pump and the queries), its records, the [`CancelToken`] and the run
//! context an engine call carries.
//!
//! The pump runs on the binding's tokio runtime: the async constructors (`History.memory()`,
//! `History.sqlite(path)`, `History.postgres(url)`) spawn it there, so the host has nothing to drive; `shutdown()` stops
//! recording and waits until the queue is written. Invariants: history never fails a sync (a
//! failing store is counted in `stats().lost`); queries validate their filters and cursors
//! (`InvalidInput`) before touching the store; run ids and cursors are opaque strings.
//!
//! Files: `model` (the records), `cancel` (the cancel token and run options), `store` (host
//! history stores); this file holds the [`History`] object.

mod cancel;
mod model;
pub(crate) mod store;

use std::sync::{Arc, Mutex};

use sync_core::history::{
    self as core, DEFAULT_LIMIT, HistoryRecorder, HistoryStore, RecorderConfig,
};

pub use cancel::CancelToken;
pub(crate) use cancel::run_options;
pub use model::{
    Actor, AuditAction, AuditEntry, AuditPage, Counters, HistoryStats, Item, ItemOutcome, ItemPage,
    Run, RunContext, RunKind, RunPage, RunStatus,
};

use crate::error::{TasksyncError, guard_future};

/// A history: the recorder engines and status services record into (pass it to their
/// constructors), the pump that writes it (spawned on the binding's runtime), and the queries.
#[derive(uniffi::Object)]
pub struct History {
    pub(crate) recorder: HistoryRecorder,
    pub(crate) store: Arc<dyn HistoryStore>,
    pump: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl std::fmt::Debug for History {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("History")
            .field("stats", &self.recorder.stats())
            .finish_non_exhaustive()
    }
}

pub(crate) fn config(
    capacity: Option<u32>,
    max_batch: Option<u32>,
) -> Result<RecorderConfig, TasksyncError> {
    let mut config = RecorderConfig::default();
    if capacity == Some(0) || max_batch == Some(0) {
        return Err(TasksyncError::invalid(
            "`capacity` and `max_batch` must be at least 1",
        ));
    }
    config.capacity = capacity.map_or(config.capacity, |c| c as usize);
    config.max_batch = max_batch.map_or(config.max_batch, |b| b as usize);
    Ok(config)
}

/// A history on `store` whose pump runs on the current (the binding's) tokio runtime.
pub(crate) fn spawn(store: Arc<dyn HistoryStore>, config: RecorderConfig) -> Arc<History> {
    let (recorder, pump) = HistoryRecorder::new(store.clone(), config);
    let handle = tokio::spawn(pump.run());
    Arc::new(History {
        recorder,
        store,
        pump: Mutex::new(Some(handle)),
    })
}

fn cursor(text: Option<String>) -> Result<Option<core::Cursor>, TasksyncError> {
    Ok(text.map(|t| t.parse::<core::Cursor>()).transpose()?)
}

#[uniffi::export(async_runtime = "tokio")]
impl History {
    /// A history in memory. `capacity`: records queued before new ones are dropped;
    /// `max_batch`: records per store write.
    #[uniffi::constructor(default(capacity = None, max_batch = None))]
    pub async fn memory(
        capacity: Option<u32>,
        max_batch: Option<u32>,
    ) -> Result<Arc<Self>, TasksyncError> {
        guard_future(async move {
            let store = Arc::new(core::MemoryHistoryStore::default());
            Ok(spawn(store, config(capacity, max_batch)?))
        })
        .await
    }

    /// A history in the SQLite file at `path` (created when missing; it may be the hub's file).
    #[uniffi::constructor(default(capacity = None, max_batch = None))]
    pub async fn sqlite(
        path: String,
        capacity: Option<u32>,
        max_batch: Option<u32>,
    ) -> Result<Arc<Self>, TasksyncError> {
        guard_future(async move {
            let config = config(capacity, max_batch)?;
            let store = Arc::new(sync_sqlite::SqliteHistoryStore::open(&path)?);
            Ok(spawn(store, config))
        })
        .await
    }

    /// A history in the PostgreSQL database at `url` (the tables are created and migrated; it
    /// may be the hub's database); `pool_size` as for `HubStore.postgres`.
    #[uniffi::constructor(default(pool_size = None, capacity = None, max_batch = None))]
    pub async fn postgres(
        url: String,
        pool_size: Option<u32>,
        capacity: Option<u32>,
        max_batch: Option<u32>,
    ) -> Result<Arc<Self>, TasksyncError> {
        guard_future(async move {
            let config = config(capacity, max_batch)?;
            let store = crate::store::connect_postgres(&url, pool_size).await?;
            Ok(spawn(Arc::new(store.history()), config))
        })
        .await
    }

    /// Stops recording and waits until everything queued is written. Queries keep working.
    /// (Not `close`: Kotlin objects are `AutoCloseable`, whose `close()` frees the handle.)
    pub async fn shutdown(&self) {
        self.recorder.close();
        let handle = self.pump.lock().ok().and_then(|mut p| p.take());
        if let Some(handle) = handle {
            // The pump never fails; a join error would mean it panicked, and the queue is
            // then lost either way: nothing to report to the caller beyond `stats()`.
            let _ = handle.await;
        }
    }

    /// Record counts so far.
    pub fn stats(&self) -> HistoryStats {
        let s = self.recorder.stats();
        HistoryStats {
            queued: s.queued as u64,
            dropped: s.dropped,
            written: s.written,
            lost: s.lost,
        }
    }

    /// One run, or null.
    pub async fn run(&self, id: String) -> Result<Option<Run>, TasksyncError> {
        guard_future(async move { Ok(self.store.run(id).await?.map(Into::into)) }).await
    }

    /// Runs newest first, filtered by status, kind, scope and start time (`since` inclusive,
    /// `until` exclusive); `after` is the previous page's `next`.
    #[uniffi::method(default(
        status = None,
        kind = None,
        scope = None,
        since = None,
        until = None,
        after = None,
        limit = 50
    ))]
    #[allow(clippy::too_many_arguments)]
    pub async fn runs(
        &self,
        status: Option<RunStatus>,
        kind: Option<RunKind>,
        scope: Option<String>,
        since: Option<i64>,
        until: Option<i64>,
        after: Option<String>,
        limit: u32,
    ) -> Result<RunPage, TasksyncError> {
        guard_future(async move {
            let query = core::RunQuery {
                status: status.map(Into::into),
                kind: kind.map(Into::into),
                scope,
                since,
                until,
                after: cursor(after)?,
                limit: limit as usize,
            };
            query.validate()?;
            let page = self.store.runs(query).await?;
            Ok(RunPage {
                runs: page.items.into_iter().map(Into::into).collect(),
                next: page.next.map(|c| c.to_string()),
            })
        })
        .await
    }

    /// A run's items in order; `after` is the previous page's `next`.
    #[uniffi::method(default(after = None, limit = 50))]
    pub async fn items(
        &self,
        run_id: String,
        after: Option<u64>,
        limit: u32,
    ) -> Result<ItemPage, TasksyncError> {
        guard_future(async move {
            let query = core::ItemQuery {
                run_id,
                after,
                limit: limit as usize,
            };
            query.validate()?;
            let page = self.store.items(query).await?;
            Ok(ItemPage {
                items: page.items.into_iter().map(Into::into).collect(),
                next: page.next,
            })
        })
        .await
    }

    /// Audit entries newest first, by entity (type and/or id); `after` is the previous page's
    /// `next`.
    #[uniffi::method(default(entity_type = None, entity_id = None, after = None, limit = 50))]
    pub async fn audit(
        &self,
        entity_type: Option<String>,
        entity_id: Option<String>,
        after: Option<String>,
        limit: u32,
    ) -> Result<AuditPage, TasksyncError> {
        guard_future(async move {
            let query = core::AuditQuery {
                entity_type,
                entity_id,
                after: cursor(after)?,
                limit: limit as usize,
            };
            query.validate()?;
            let page = self.store.audit(query).await?;
            Ok(AuditPage {
                entries: page.items.into_iter().map(Into::into).collect(),
                next: page.next.map(|c| c.to_string()),
            })
        })
        .await
    }
}

// The default page size of the queries is the core's.
const _: () = assert!(DEFAULT_LIMIT == 50);
