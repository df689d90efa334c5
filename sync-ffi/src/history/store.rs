//! A history store implemented by the host: the blocking [`HistoryStore`] foreign trait with
//! `History.foreign(store)`, and the same contract with `async` methods, [`AsyncHistoryStore`]
//! with `History.foreignAsync(store)`; either way the history records into it with the pump on
//! the binding's runtime.
//!
//! Which to pick: the pump calls the store from the binding's tokio threads, never from the
//! host's. Kotlin (`suspend`) and Swift (`async`) implementations of the async trait work from
//! any thread. A Python `async def` implementation runs on an asyncio event loop that uniffi
//! must be told about, because a tokio thread has none (uniffi's generated code would call
//! `asyncio.get_running_loop()` there, fail, and the call would never complete): call
//! `tasksync_ffi.uniffi_set_event_loop(asyncio.get_running_loop())` from the loop that makes
//! the tasksync calls before the pump writes, and keep that loop running (awaiting tasksync
//! calls such as `shutdown()` does); `uniffi_set_event_loop(None)` clears it when that loop
//! ends. Once set, every Python async call of the bindings uses that loop, so only one loop
//! may drive the bindings at a time. The blocking trait needs no event loop: each call runs on
//! tokio's blocking pool.
//!
//! Records, queries and pages cross as JSON text in the core's serde shapes (as plans and
//! payloads do elsewhere in the binding), so a host can keep them as documents without a
//! schema. The host keeps the core's contract (`sync_core::history::store`): upserts by id,
//! newest-first listings with a `next` cursor exactly when more rows match.
//!
//! Invariants: a failing or misbehaving host store never fails a sync (the recorder counts the
//! refused batch in `stats().lost`); JSON the host returns that does not parse is a `Store`
//! error naming the call, never a panic.

use std::sync::Arc;

use async_trait::async_trait;
use serde::de::DeserializeOwned;
use sync_core::StoreError;
use sync_core::history::{
    self as core, AuditQuery, Cursor, HistoryBatch, ItemQuery, Page, RunQuery,
};

use crate::error::{TasksyncError, guard_future, host_store_call};
use crate::history::{History, config, spawn};
use crate::store::store_error;

/// A history store implemented by the host, JSON in and out:
/// - `write(batch)`: `{"runs": [run], "items": [{"run_id", "items": [item]}], "audit": [entry]}`;
///   upsert runs by `id`, items by `(run_id, seq)`, entries by `id` (writing twice is harmless).
/// - `run(id)`: the run's JSON, or null.
/// - `runs(query)`: `query` is `{"status", "kind", "scope", "since", "until", "after", "limit"}`
///   (`after`: `{"at", "id"}` or null); return `{"items": [run], "next": {"at", "id"} | null}`,
///   newest first (`started_at`, then `id`, descending), rows strictly after `after`.
/// - `items(query)`: `{"run_id", "after", "limit"}`; return `{"items": [item], "next": seq | null}`
///   by `seq` ascending.
/// - `audit(query)`: `{"entity_type", "entity_id", "after", "limit"}`; like `runs`, by `at`.
///
/// Raise `TasksyncError.Store` (or any exception) for a failure: a failed `write` is counted
/// as lost and never fails a sync; a failed query reaches its caller as a `Store` error.
///
/// The methods are blocking (not `async`): each call runs on tokio's blocking pool, so a
/// Python host needs no event loop; [`AsyncHistoryStore`] is the `async` form.
#[uniffi::export(with_foreign)]
pub trait HistoryStore: Send + Sync {
    /// Writes a batch (upserts).
    fn write(&self, batch: String) -> Result<(), TasksyncError>;
    /// One run by id, as JSON, or null.
    fn run(&self, id: String) -> Result<Option<String>, TasksyncError>;
    /// A page of runs, newest first.
    fn runs(&self, query: String) -> Result<String, TasksyncError>;
    /// A page of a run's items, by seq.
    fn items(&self, query: String) -> Result<String, TasksyncError>;
    /// A page of audit entries, newest first.
    fn audit(&self, query: String) -> Result<String, TasksyncError>;
}

/// The core's `HistoryStore` over a host's.
struct Foreign(Arc<dyn HistoryStore>);

impl Foreign {
    /// Runs a host call on the blocking pool (the host may block, and owns no event loop).
    async fn call<T: Send + 'static>(
        &self,
        call: impl FnOnce(&dyn HistoryStore) -> Result<T, TasksyncError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let host = self.0.clone();
        tokio::task::spawn_blocking(move || call(host.as_ref()))
            .await
            .map_err(|err| StoreError::Backend(format!("the host history store failed: {err}")))?
            .map_err(store_error)
    }
}

/// JSON text of a record the core built (its serde shapes cannot fail to serialise).
fn out<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value)
        .map_err(|err| StoreError::Backend(format!("history record as JSON: {err}")))
}

/// A host's answer to `call`, parsed.
fn back<T: DeserializeOwned>(call: &str, text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|err| {
        StoreError::Backend(format!(
            "the host history store returned bad JSON from `{call}`: {err}"
        ))
    })
}

#[async_trait]
impl core::HistoryStore for Foreign {
    async fn write(&self, batch: HistoryBatch) -> Result<(), StoreError> {
        host_store_call("the host history store's `write`", async move {
            let batch = out(&batch)?;
            self.call(move |h| h.write(batch)).await
        })
        .await
    }

    async fn run(&self, id: String) -> Result<Option<core::Run>, StoreError> {
        host_store_call("the host history store's `run`", async move {
            let text = self.call(move |h| h.run(id)).await?;
            text.map(|t| back("run", &t)).transpose()
        })
        .await
    }

    async fn runs(&self, query: RunQuery) -> Result<Page<core::Run, Cursor>, StoreError> {
        host_store_call("the host history store's `runs`", async move {
            let query = out(&query)?;
            let text = self.call(move |h| h.runs(query)).await?;
            back("runs", &text)
        })
        .await
    }

    async fn items(&self, query: ItemQuery) -> Result<Page<core::Item, u64>, StoreError> {
        host_store_call("the host history store's `items`", async move {
            let query = out(&query)?;
            let text = self.call(move |h| h.items(query)).await?;
            back("items", &text)
        })
        .await
    }

    async fn audit(&self, query: AuditQuery) -> Result<Page<core::AuditEntry, Cursor>, StoreError> {
        host_store_call("the host history store's `audit`", async move {
            let query = out(&query)?;
            let text = self.call(move |h| h.audit(query)).await?;
            back("audit", &text)
        })
        .await
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl History {
    /// A history in a host-implemented store. `capacity`: records queued before new ones are
    /// dropped; `max_batch`: records per `write`.
    #[uniffi::constructor(default(capacity = None, max_batch = None))]
    pub async fn foreign(
        store: Arc<dyn HistoryStore>,
        capacity: Option<u32>,
        max_batch: Option<u32>,
    ) -> Result<Arc<Self>, TasksyncError> {
        guard_future(async move {
            Ok(spawn(
                Arc::new(Foreign(store)),
                config(capacity, max_batch)?,
            ))
        })
        .await
    }
}

/// [`HistoryStore`]'s contract with `async` methods (Kotlin `suspend`, Swift `async`, Python
/// `async def`; a Python host first calls `uniffi_set_event_loop`: see the module doc).
#[uniffi::export(with_foreign)]
#[async_trait]
pub trait AsyncHistoryStore: Send + Sync {
    /// Writes a batch (upserts).
    async fn write(&self, batch: String) -> Result<(), TasksyncError>;
    /// One run by id, as JSON, or null.
    async fn run(&self, id: String) -> Result<Option<String>, TasksyncError>;
    /// A page of runs, newest first.
    async fn runs(&self, query: String) -> Result<String, TasksyncError>;
    /// A page of a run's items, by seq.
    async fn items(&self, query: String) -> Result<String, TasksyncError>;
    /// A page of audit entries, newest first.
    async fn audit(&self, query: String) -> Result<String, TasksyncError>;
}

/// The core's `HistoryStore` over a host's async one.
struct ForeignAsync(Arc<dyn AsyncHistoryStore>);

#[async_trait]
impl core::HistoryStore for ForeignAsync {
    async fn write(&self, batch: HistoryBatch) -> Result<(), StoreError> {
        host_store_call("the host history store's `write`", async move {
            self.0.write(out(&batch)?).await.map_err(store_error)
        })
        .await
    }

    async fn run(&self, id: String) -> Result<Option<core::Run>, StoreError> {
        host_store_call("the host history store's `run`", async move {
            let text = self.0.run(id).await.map_err(store_error)?;
            text.map(|t| back("run", &t)).transpose()
        })
        .await
    }

    async fn runs(&self, query: RunQuery) -> Result<Page<core::Run, Cursor>, StoreError> {
        host_store_call("the host history store's `runs`", async move {
            let text = self.0.runs(out(&query)?).await.map_err(store_error)?;
            back("runs", &text)
        })
        .await
    }

    async fn items(&self, query: ItemQuery) -> Result<Page<core::Item, u64>, StoreError> {
        host_store_call("the host history store's `items`", async move {
            let text = self.0.items(out(&query)?).await.map_err(store_error)?;
            back("items", &text)
        })
        .await
    }

    async fn audit(&self, query: AuditQuery) -> Result<Page<core::AuditEntry, Cursor>, StoreError> {
        host_store_call("the host history store's `audit`", async move {
            let text = self.0.audit(out(&query)?).await.map_err(store_error)?;
            back("audit", &text)
        })
        .await
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl History {
    /// A history in a host-implemented async store (see `foreign` for the arguments).
    #[uniffi::constructor(default(capacity = None, max_batch = None))]
    pub async fn foreign_async(
        store: Arc<dyn AsyncHistoryStore>,
        capacity: Option<u32>,
        max_batch: Option<u32>,
    ) -> Result<Arc<Self>, TasksyncError> {
        guard_future(async move {
            Ok(spawn(
                Arc::new(ForeignAsync(store)),
                config(capacity, max_batch)?,
            ))
        })
        .await
    }
}
