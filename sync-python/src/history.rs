//! Sync history and the audit log (mirrors `sync_core::history`).
//!
//! What it owns: the history stores (`MemoryHistoryStore`, `SqliteHistoryStore`,
//! `PostgresHistoryStore`, or a Python
//! object with `write(batch)`, `run(id)`, `runs(query)`, `items(query)`, `audit(query)`),
//! `History` (the recorder an engine records into, its pump, and the queries), `CancelToken`,
//! and the run context argument.
//!
//! The pump is the host's to drive, as the core requires: `History.start()` runs it on a
//! background thread (sync hosts, Django), `await History.pump()` runs it as an asyncio task.
//! `close()` stops recording and waits for the queue to be written.
//!
//! Invariant: history never fails a sync: a failing history store (a Python exception) is
//! logged and counted in `stats()["lost"]`, never raised from `preview`/`execute`.

use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use async_trait::async_trait;
use pyo3::prelude::*;
use pyo3::types::PyTuple;
use sync_core::history::{
    AuditEntry, AuditQuery, CancelToken, Cursor, DEFAULT_LIMIT, HistoryBatch, HistoryPump,
    HistoryRecorder, HistoryStore, Item, ItemQuery, MemoryHistoryStore, Page, RecorderConfig, Run,
    RunContext, RunKind, RunQuery, RunStatus,
};
use sync_core::{Millis, StoreError};
use sync_postgres::{PostgresHistoryStore, PostgresStore};
use sync_sqlite::SqliteHistoryStore;

use crate::convert::record::record;
use crate::convert::{from_py, to_py};
use crate::error::{invalid_input, store_error};
use crate::runtime::{block_on, call_host, run_async, run_blocking};

/// A Python object as a history store.
struct HostHistoryStore {
    obj: Py<PyAny>,
}

impl HostHistoryStore {
    async fn call<T, A>(&self, method: &'static str, args: A) -> Result<T, StoreError>
    where
        T: serde::de::DeserializeOwned,
        A: for<'py> FnOnce(Python<'py>) -> PyResult<Bound<'py, PyTuple>>,
    {
        let ret = call_host(&self.obj, method, args)
            .await
            .map_err(store_error)?;
        Python::attach(|py| from_py::<T>(ret.bind(py), method)).map_err(store_error)
    }
}

#[async_trait]
impl HistoryStore for HostHistoryStore {
    async fn write(&self, batch: HistoryBatch) -> Result<(), StoreError> {
        let ret = call_host(&self.obj, "write", move |py| {
            PyTuple::new(py, [to_py(py, &batch)?])
        })
        .await
        .map_err(store_error)?;
        drop(ret);
        Ok(())
    }

    async fn run(&self, id: String) -> Result<Option<Run>, StoreError> {
        self.call("run", |py| PyTuple::new(py, [id])).await
    }

    async fn runs(&self, query: RunQuery) -> Result<Page<Run, Cursor>, StoreError> {
        self.call("runs", move |py| PyTuple::new(py, [to_py(py, &query)?]))
            .await
    }

    async fn items(&self, query: ItemQuery) -> Result<Page<Item, u64>, StoreError> {
        self.call("items", move |py| PyTuple::new(py, [to_py(py, &query)?]))
            .await
    }

    async fn audit(&self, query: AuditQuery) -> Result<Page<AuditEntry, Cursor>, StoreError> {
        self.call("audit", move |py| PyTuple::new(py, [to_py(py, &query)?]))
            .await
    }
}

/// The in-memory history store.
#[pyclass(name = "MemoryHistoryStore", module = "tasksync._native", frozen)]
pub(crate) struct PyMemoryHistoryStore {
    inner: Arc<MemoryHistoryStore>,
}

#[pymethods]
impl PyMemoryHistoryStore {
    #[new]
    fn new() -> Self {
        PyMemoryHistoryStore {
            inner: Arc::new(MemoryHistoryStore::default()),
        }
    }

    fn __repr__(&self) -> &'static str {
        "MemoryHistoryStore()"
    }
}

/// The SQLite history store (a file, or `":memory:"`).
#[pyclass(name = "SqliteHistoryStore", module = "tasksync._native", frozen)]
pub(crate) struct PySqliteHistoryStore {
    inner: Arc<SqliteHistoryStore>,
}

#[pymethods]
impl PySqliteHistoryStore {
    #[new]
    fn new(py: Python<'_>, path: String) -> PyResult<Self> {
        let store = py.detach(|| {
            if path == ":memory:" {
                SqliteHistoryStore::open_in_memory()
            } else {
                SqliteHistoryStore::open(&path)
            }
        });
        let store = store.map_err(|e| crate::error::to_py(e.into()))?;
        Ok(PySqliteHistoryStore {
            inner: Arc::new(store),
        })
    }

    fn __repr__(&self) -> &'static str {
        "SqliteHistoryStore(...)"
    }
}

/// The PostgreSQL history store: `PostgresHistoryStore(url)`, or `PostgresStore.history()` on
/// that store's connections.
#[pyclass(name = "PostgresHistoryStore", module = "tasksync._native", frozen)]
pub(crate) struct PyPostgresHistoryStore {
    inner: Arc<PostgresHistoryStore>,
}

impl PyPostgresHistoryStore {
    /// The history store of a connected PostgreSQL store.
    pub(crate) fn of(store: &PostgresStore) -> Self {
        PyPostgresHistoryStore {
            inner: Arc::new(store.history()),
        }
    }
}

#[pymethods]
impl PyPostgresHistoryStore {
    /// Connects to the database at `url` (creating and migrating the tables), as
    /// `PostgresStore(url, pool_size=...)` does, and keeps history there.
    #[new]
    #[pyo3(signature = (url, *, pool_size = None))]
    fn new(py: Python<'_>, url: String, pool_size: Option<usize>) -> PyResult<Self> {
        Ok(Self::of(&crate::store::connect_postgres(
            py, url, pool_size,
        )?))
    }

    fn __repr__(&self) -> &'static str {
        "PostgresHistoryStore(...)"
    }
}

/// The history store a `store=` argument names.
fn history_store(obj: &Bound<'_, PyAny>) -> PyResult<Arc<dyn HistoryStore>> {
    if let Ok(s) = obj.cast::<PyMemoryHistoryStore>() {
        return Ok(s.get().inner.clone());
    }
    if let Ok(s) = obj.cast::<PySqliteHistoryStore>() {
        return Ok(s.get().inner.clone());
    }
    if let Ok(s) = obj.cast::<PyPostgresHistoryStore>() {
        return Ok(s.get().inner.clone());
    }
    crate::runtime::require(
        obj,
        "history store",
        &["write", "run", "runs", "items", "audit"],
    )?;
    Ok(Arc::new(HostHistoryStore {
        obj: obj.clone().unbind(),
    }))
}

record!(
    /// One sync run (see `sync_core::history::Run`).
    PyRun, "Run", Run
);
record!(
    /// One processed task of a run.
    PyItem, "Item", Item
);
record!(
    /// One audit log entry.
    PyAuditEntry, "AuditEntry", AuditEntry
);

/// A token that cancels the runs it is passed to (before they write anything).
#[pyclass(name = "CancelToken", module = "tasksync._native", frozen)]
#[derive(Clone, Default)]
pub(crate) struct PyCancelToken {
    pub(crate) inner: CancelToken,
}

#[pymethods]
impl PyCancelToken {
    #[new]
    fn new() -> Self {
        Self::default()
    }

    /// Cancels every run holding this token.
    fn cancel(&self) {
        self.inner.cancel();
    }

    /// Whether `cancel` was called.
    #[getter]
    fn cancelled(&self) -> bool {
        self.inner.is_cancelled()
    }

    fn __repr__(&self) -> String {
        format!("CancelToken(cancelled={})", self.inner.is_cancelled())
    }
}

/// The run options of a `context=` / `cancel=` pair: `context` is `None` or the dict form of a
/// run context (`{"actor": {"user", "ip", "user_agent"}, "source_id", "target_id"}`).
pub(crate) fn run_options(
    context: Option<&Bound<'_, PyAny>>,
    cancel: Option<PyRef<'_, PyCancelToken>>,
) -> PyResult<sync_core::RunOptions> {
    let context: RunContext = match context.filter(|c| !c.is_none()) {
        Some(c) => from_py(c, "run context")?,
        None => RunContext::default(),
    };
    Ok(sync_core::RunOptions {
        context,
        cancel: cancel.map(|c| c.inner.clone()).unwrap_or_default(),
    })
}

/// A history: the recorder engines record into, the pump that writes it, and the queries.
#[pyclass(name = "History", module = "tasksync._native", frozen)]
pub(crate) struct PyHistory {
    pub(crate) recorder: HistoryRecorder,
    pump: Mutex<Option<HistoryPump>>,
    thread: Mutex<Option<JoinHandle<()>>>,
    store: Arc<dyn HistoryStore>,
}

fn take_pump(h: &PyHistory) -> PyResult<HistoryPump> {
    h.pump
        .lock()
        .ok()
        .and_then(|mut p| p.take())
        .ok_or_else(|| {
            crate::error::InvalidStateError::new_err(
                "the history pump is already running (start() or pump() was called)",
            )
        })
}

fn page<T, C, R>(
    py: Python<'_>,
    page: Page<T, C>,
    cursor: impl Fn(C) -> Py<PyAny>,
) -> PyResult<Py<PyAny>>
where
    R: pyo3::PyClass + From<T> + Into<pyo3::PyClassInitializer<R>>,
{
    let items: Vec<Py<PyAny>> = page
        .items
        .into_iter()
        .map(|t| Ok(Py::new(py, R::from(t))?.into_any()))
        .collect::<PyResult<_>>()?;
    let next = page.next.map(cursor).unwrap_or_else(|| py.None());
    Ok((items, next).into_pyobject(py)?.into_any().unbind())
}

fn cursor(text: Option<&str>) -> PyResult<Option<Cursor>> {
    text.map(|t| {
        t.parse::<Cursor>()
            .map_err(|_| invalid_input(format!("bad cursor `{}`", crate::convert::clip(t))))
    })
    .transpose()
}

fn parse<T: serde::de::DeserializeOwned>(name: Option<&str>, what: &str) -> PyResult<Option<T>> {
    name.map(|n| crate::convert::from_value(serde_json::Value::String(n.to_owned()), what))
        .transpose()
}

#[pymethods]
impl PyHistory {
    /// `store`: a `MemoryHistoryStore`, a `SqliteHistoryStore`, a `PostgresHistoryStore` or a
    /// host history store; `capacity`: records queued before new ones are dropped;
    /// `max_batch`: records per write.
    #[new]
    #[pyo3(signature = (store, capacity = None, max_batch = None))]
    fn new(
        store: &Bound<'_, PyAny>,
        capacity: Option<usize>,
        max_batch: Option<usize>,
    ) -> PyResult<Self> {
        let store = history_store(store)?;
        let mut config = RecorderConfig::default();
        config.capacity = capacity.unwrap_or(config.capacity);
        config.max_batch = max_batch.unwrap_or(config.max_batch);
        let (recorder, pump) = HistoryRecorder::new(store.clone(), config);
        Ok(PyHistory {
            recorder,
            pump: Mutex::new(Some(pump)),
            thread: Mutex::new(None),
            store,
        })
    }

    /// Runs the pump on a background thread (for synchronous hosts). Once only.
    fn start(&self) -> PyResult<()> {
        let pump = take_pump(self)?;
        let handle = std::thread::Builder::new()
            .name("tasksync-history".into())
            .spawn(move || block_on(pump.run()))
            .map_err(|e| crate::error::InternalError::new_err(e.to_string()))?;
        if let Ok(mut t) = self.thread.lock() {
            *t = Some(handle);
        }
        Ok(())
    }

    /// The pump as a coroutine (for asyncio hosts: `asyncio.create_task(history.pump())`);
    /// it ends after `close()` once the queue is written. Once only.
    fn pump<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let pump = take_pump(self)?;
        run_async(
            py,
            async move {
                pump.run().await;
                Ok(())
            },
            |py, ()| Ok(py.None()),
        )
    }

    /// Stops recording and waits (GIL released) until the `start()` thread has written the
    /// queue. With `pump()`, await that task instead.
    fn close(&self, py: Python<'_>) {
        self.recorder.close();
        let handle = self.thread.lock().ok().and_then(|mut t| t.take());
        if let Some(handle) = handle {
            py.detach(|| {
                let _ = handle.join();
            });
        }
    }

    /// `{"queued", "dropped", "written", "lost"}` record counts.
    fn stats(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let s = self.recorder.stats();
        let map = [
            ("queued", s.queued as u64),
            ("dropped", s.dropped),
            ("written", s.written),
            ("lost", s.lost),
        ];
        Ok(pyo3::types::PyDict::from_sequence(&map.into_pyobject(py)?)?
            .into_any()
            .unbind())
    }

    /// One run, or `None`.
    fn run(&self, py: Python<'_>, id: String) -> PyResult<Py<PyAny>> {
        let store = self.store.clone();
        match run_blocking(py, async move { Ok(store.run(id).await?) })? {
            Some(run) => Ok(Py::new(py, PyRun::from(run))?.into_any()),
            None => Ok(py.None()),
        }
    }

    /// Runs newest first, filtered; returns `(runs, next_cursor)`; pass `after=next_cursor`
    /// for the next page (`None` when there is none).
    #[pyo3(signature = (status = None, kind = None, scope = None, since = None, until = None,
                        after = None, limit = DEFAULT_LIMIT))]
    #[allow(clippy::too_many_arguments)]
    fn runs(
        &self,
        py: Python<'_>,
        status: Option<&str>,
        kind: Option<&str>,
        scope: Option<String>,
        since: Option<Millis>,
        until: Option<Millis>,
        after: Option<&str>,
        limit: usize,
    ) -> PyResult<Py<PyAny>> {
        let query = RunQuery {
            status: parse::<RunStatus>(status, "run status")?,
            kind: parse::<RunKind>(kind, "run kind")?,
            scope,
            since,
            until,
            after: cursor(after)?,
            limit,
        };
        query.validate().map_err(crate::error::to_py)?;
        let store = self.store.clone();
        let found = run_blocking(py, async move { Ok(store.runs(query).await?) })?;
        page::<_, _, PyRun>(py, found, |c| to_string_py(py, c.to_string()))
    }

    /// A run's items in order; returns `(items, next_after)`.
    #[pyo3(signature = (run_id, after = None, limit = DEFAULT_LIMIT))]
    fn items(
        &self,
        py: Python<'_>,
        run_id: String,
        after: Option<u64>,
        limit: usize,
    ) -> PyResult<Py<PyAny>> {
        let query = ItemQuery {
            run_id,
            after,
            limit,
        };
        query.validate().map_err(crate::error::to_py)?;
        let store = self.store.clone();
        let found = run_blocking(py, async move { Ok(store.items(query).await?) })?;
        page::<_, _, PyItem>(py, found, |n| {
            n.into_pyobject(py)
                .map(|o| o.into_any().unbind())
                .unwrap_or_else(|_| py.None())
        })
    }

    /// Audit entries newest first, by entity; returns `(entries, next_cursor)`.
    #[pyo3(signature = (entity_id = None, entity_type = None, after = None, limit = DEFAULT_LIMIT))]
    fn audit(
        &self,
        py: Python<'_>,
        entity_id: Option<String>,
        entity_type: Option<String>,
        after: Option<&str>,
        limit: usize,
    ) -> PyResult<Py<PyAny>> {
        let query = AuditQuery {
            entity_type,
            entity_id,
            after: cursor(after)?,
            limit,
        };
        query.validate().map_err(crate::error::to_py)?;
        let store = self.store.clone();
        let found = run_blocking(py, async move { Ok(store.audit(query).await?) })?;
        page::<_, _, PyAuditEntry>(py, found, |c| to_string_py(py, c.to_string()))
    }

    fn __repr__(&self) -> String {
        format!("History({:?})", self.recorder.stats())
    }
}

fn to_string_py(py: Python<'_>, s: String) -> Py<PyAny> {
    pyo3::types::PyString::new(py, &s).into_any().unbind()
}

/// Runs the history store suite, each case on a fresh store from `factory()`.
#[pyfunction]
fn run_history_store_conformance(
    py: Python<'_>,
    factory: Py<PyAny>,
) -> PyResult<Vec<(String, String)>> {
    let count = sync_core::history::conformance::CASES.len();
    let mut stores = Vec::with_capacity(count);
    for _ in 0..count {
        stores.push(history_store(factory.bind(py).call0()?.as_any())?);
    }
    let stores = Mutex::new(stores);
    let failures = run_blocking(py, async {
        let make = || {
            stores
                .lock()
                .map(|mut s| s.remove(0))
                .expect("one store per case was built")
        };
        Ok(sync_core::history::conformance::run_all(make).await)
    })?;
    Ok(failures
        .into_iter()
        .map(|(n, m)| (n.to_owned(), m))
        .collect())
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyMemoryHistoryStore>()?;
    m.add_class::<PySqliteHistoryStore>()?;
    m.add_class::<PyPostgresHistoryStore>()?;
    m.add_class::<PyHistory>()?;
    m.add_class::<PyRun>()?;
    m.add_class::<PyItem>()?;
    m.add_class::<PyAuditEntry>()?;
    m.add_class::<PyCancelToken>()?;
    m.add_function(wrap_pyfunction!(run_history_store_conformance, m)?)?;
    Ok(())
}
