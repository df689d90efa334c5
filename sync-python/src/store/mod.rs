//! Task stores: the built-in ones, and a Python object as the store (mirrors
//! `sync_core::store` and `sync_core::memory`, plus `sync_sqlite` and `sync_postgres`).
//!
//! The built-in stores keep tasks, jobs, sessions (SQLite, PostgreSQL) and the provider gates
//! every worker on them shares (see [`gate_store`]).
//!
//! A host store implements `snapshot(scope)`, `scope_version(scope)`, `get(id)`,
//! `find_identities(source, external_ids)` and `apply(changes)` (plain or `async def`), taking
//! and returning the core's serde forms as dicts, and must keep the `TaskStore` contract (the
//! conformance suite checks it). Raising `tasksync.ConflictError` means a failed version check;
//! any other exception is a backend failure.
//!
//! Outbox contract: a host store that also has the job store methods (see
//! [`job_store`]) receives a change set's job writes in `jobs` and must apply them
//! with the tasks, atomically (a job-only set bumps no scope). A host store without them is
//! wrapped in the core's `without_jobs` wherever jobs could be written, so it never sees jobs.

pub(crate) mod job;
pub(crate) mod job_store;

use std::sync::Arc;

use async_trait::async_trait;
use pyo3::prelude::*;
use pyo3::types::PyTuple;
use sync_core::store::GateStore;
use sync_core::{
    Applied, ChangeSet, Identity, MemoryStore, ScopeSnapshot, StoreError, Task, TaskStore,
};
use sync_postgres::{PostgresOptions, PostgresStore};
use sync_sqlite::SqliteStore;

use crate::convert::{from_py, to_py};
use crate::error::store_error;
use crate::runtime::{call_host, run_blocking};

/// A Python object implementing the `TaskStore` methods.
pub(crate) struct HostTaskStore {
    pub(crate) obj: Py<PyAny>,
}

impl HostTaskStore {
    /// A host object as a task store (its job store methods are bound in
    /// [`job_store`]).
    pub(crate) fn new(obj: &Bound<'_, PyAny>) -> PyResult<Self> {
        crate::runtime::require(obj, "task store", TASK_METHODS)?;
        Ok(HostTaskStore {
            obj: obj.clone().unbind(),
        })
    }

    pub(crate) async fn call<T, A>(&self, method: &'static str, args: A) -> Result<T, StoreError>
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
impl TaskStore for HostTaskStore {
    async fn snapshot(&self, scope: String) -> Result<ScopeSnapshot, StoreError> {
        self.call("snapshot", |py| PyTuple::new(py, [scope])).await
    }

    async fn scope_version(&self, scope: String) -> Result<u64, StoreError> {
        self.call("scope_version", |py| PyTuple::new(py, [scope]))
            .await
    }

    async fn get(&self, id: String) -> Result<Option<Task>, StoreError> {
        self.call("get", |py| PyTuple::new(py, [id])).await
    }

    async fn find_identities(
        &self,
        source: String,
        external_ids: Vec<String>,
    ) -> Result<Vec<Identity>, StoreError> {
        self.call("find_identities", |py| {
            (source, external_ids).into_pyobject(py)
        })
        .await
    }

    async fn apply(&self, changes: ChangeSet) -> Result<Applied, StoreError> {
        self.call("apply", |py| {
            let changes = to_py(py, &changes)?;
            PyTuple::new(py, [changes])
        })
        .await
    }
}

/// The in-memory store (tests, examples).
#[pyclass(name = "MemoryStore", module = "tasksync._native", frozen)]
#[derive(Debug)]
pub(crate) struct PyMemoryStore {
    pub(crate) inner: Arc<MemoryStore>,
}

/// The embedded SQLite store (a file, or memory); also a session store.
#[pyclass(name = "SqliteStore", module = "tasksync._native", frozen)]
#[derive(Debug)]
pub(crate) struct PySqliteStore {
    pub(crate) inner: Arc<SqliteStore>,
}

/// The PostgreSQL store (tasks, jobs, sessions and provider gates, shared by every process on
/// the database); `history()` is its history store on the same connections.
#[pyclass(name = "PostgresStore", module = "tasksync._native", frozen)]
#[derive(Debug)]
pub(crate) struct PyPostgresStore {
    pub(crate) inner: Arc<PostgresStore>,
}

/// The `TaskStore` reads every built-in store offers to Python (for inspection and tests).
macro_rules! store_reads {
    ($t:ty) => {
        #[pymethods]
        impl $t {
            /// All tasks of a scope and its version: `{"version": int, "tasks": [...]}`.
            fn snapshot(&self, py: Python<'_>, scope: String) -> PyResult<Py<PyAny>> {
                let store = self.inner.clone();
                let snap = run_blocking(py, async move { Ok(store.snapshot(scope).await?) })?;
                to_py(py, &snap)
            }

            /// The scope's version (0 if never written).
            fn scope_version(&self, py: Python<'_>, scope: String) -> PyResult<u64> {
                let store = self.inner.clone();
                run_blocking(py, async move { Ok(store.scope_version(scope).await?) })
            }

            /// One task by hub id, or `None`.
            fn get(&self, py: Python<'_>, id: String) -> PyResult<Py<PyAny>> {
                let store = self.inner.clone();
                let task = run_blocking(py, async move { Ok(TaskStore::get(&*store, id).await?) })?;
                to_py(py, &task)
            }

            fn __repr__(&self) -> String {
                format!("{:?}", self.inner)
            }
        }
    };
}

store_reads!(PyMemoryStore);
store_reads!(PySqliteStore);
store_reads!(PyPostgresStore);

#[pymethods]
impl PyMemoryStore {
    #[new]
    fn new() -> Self {
        PyMemoryStore {
            inner: Arc::new(MemoryStore::new()),
        }
    }
}

#[pymethods]
impl PySqliteStore {
    /// Opens (creating and migrating) the database file at `path`; `":memory:"` for a fresh
    /// in-memory database.
    #[new]
    fn new(py: Python<'_>, path: String) -> PyResult<Self> {
        let store = py.detach(|| {
            if path == ":memory:" {
                SqliteStore::open_in_memory()
            } else {
                SqliteStore::open(&path)
            }
        });
        let store = store.map_err(|e| crate::error::to_py(e.into()))?;
        Ok(PySqliteStore {
            inner: Arc::new(store),
        })
    }
}

/// Connects to the PostgreSQL database at `url` (creating and migrating the tables), blocking
/// with the GIL released; `pool_size`: `None` for the store's default.
pub(crate) fn connect_postgres(
    py: Python<'_>,
    url: String,
    pool_size: Option<usize>,
) -> PyResult<PostgresStore> {
    let mut options = PostgresOptions::default();
    if let Some(size) = pool_size {
        options.pool_size = size;
    }
    run_blocking(py, async move {
        Ok(PostgresStore::connect_with(&url, options).await?)
    })
}

#[pymethods]
impl PyPostgresStore {
    /// Connects to the database at `url` (a `postgres://` URL; the tables are created and
    /// migrated); `pool_size`: the most connections this store opens (`None`: 16).
    #[new]
    #[pyo3(signature = (url, *, pool_size = None))]
    fn new(py: Python<'_>, url: String, pool_size: Option<usize>) -> PyResult<Self> {
        Ok(PyPostgresStore {
            inner: Arc::new(connect_postgres(py, url, pool_size)?),
        })
    }

    /// The history store on this store's database and connections.
    fn history(&self) -> crate::history::PyPostgresHistoryStore {
        crate::history::PyPostgresHistoryStore::of(&self.inner)
    }
}

/// The task store an engine argument names: a built-in store, or a host object.
pub(crate) fn task_store(obj: &Bound<'_, PyAny>) -> PyResult<Arc<dyn TaskStore>> {
    if let Ok(s) = obj.cast::<PyMemoryStore>() {
        return Ok(s.get().inner.clone());
    }
    if let Ok(s) = obj.cast::<PySqliteStore>() {
        return Ok(s.get().inner.clone());
    }
    if let Ok(s) = obj.cast::<PyPostgresStore>() {
        return Ok(s.get().inner.clone());
    }
    Ok(Arc::new(HostTaskStore::new(obj)?))
}

/// The provider gates a built-in store keeps, which a worker on it shares with every other
/// worker on the same store; `None` for a host store (the worker then keeps its own, private to
/// it).
pub(crate) fn gate_store(obj: &Bound<'_, PyAny>) -> Option<Arc<dyn GateStore>> {
    if let Ok(s) = obj.cast::<PyMemoryStore>() {
        return Some(s.get().inner.clone());
    }
    if let Ok(s) = obj.cast::<PySqliteStore>() {
        return Some(s.get().inner.clone());
    }
    if let Ok(s) = obj.cast::<PyPostgresStore>() {
        return Some(s.get().inner.clone());
    }
    None
}

/// The methods a host task store must have.
pub(crate) const TASK_METHODS: &[&str] = &[
    "snapshot",
    "scope_version",
    "get",
    "find_identities",
    "apply",
];

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyMemoryStore>()?;
    m.add_class::<PySqliteStore>()?;
    m.add_class::<PyPostgresStore>()?;
    Ok(())
}
