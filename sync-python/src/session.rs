//! Sessions (mirrors `sync_core::session`): the session engine, the memory store, and a
//! Python object as the session store.
//!
//! A host session store implements `get(id)`, `insert(session)`, `update(session,
//! expected_version)` and `delete(id, expected_version)` (plain or `async def`) on the
//! session's dict form, with the compare-and-swap contract of `SessionStore`; raising
//! `tasksync.ConflictError` reports a failed version check.
//!
//! Invariant: a session a host store returns is read strictly (an unknown key, a wrong type or
//! an integer beyond 64 bits is a `StoreError` naming it) and then passes the core's
//! consistency check (`sync_core::session::check`, run by the engine on every read), so a
//! corrupt session is a typed error and no operation ever sees it.

use std::sync::Arc;

use async_trait::async_trait;
use pyo3::prelude::*;
use pyo3::types::PyTuple;
use sync_core::session::{MemorySessionStore, SessionEngine, SessionStore};
use sync_core::{Cycle, ServerTime, Session, SessionState, StoreError};

use crate::convert::record::record;
use crate::convert::{from_py, to_py, to_value};
use crate::error::store_error;
use crate::runtime::{call_host, run_async, run_blocking};

record!(
    /// A session record (see `sync_core::Session`).
    PySession, "Session", Session
);
record!(
    /// A session's derived view at one instant (see `sync_core::SessionState`).
    PySessionState, "SessionState", SessionState
);
record!(
    /// The server's clock, for client-side offset correction.
    PyServerTime, "ServerTime", ServerTime
);

struct HostSessionStore {
    obj: Py<PyAny>,
}

/// What a host store's `get` returned, read strictly: `None`, or a session's dict form with
/// only the keys a `Session` has. Anything else is a store failure saying what is wrong.
fn session_from_host(obj: &Bound<'_, PyAny>) -> Result<Option<Session>, StoreError> {
    let value = to_value(obj, "session").map_err(|err| {
        StoreError::Backend(format!(
            "the session store returned an unreadable session: {}",
            err.value(obj.py())
        ))
    })?;
    if value.is_null() {
        return Ok(None);
    }
    sync_core::input::from_store("the session the session store returned", value).map(Some)
}

#[async_trait]
impl SessionStore for HostSessionStore {
    async fn get(&self, id: String) -> Result<Option<Session>, StoreError> {
        let ret = call_host(&self.obj, "get", |py| PyTuple::new(py, [id]))
            .await
            .map_err(store_error)?;
        Python::attach(|py| session_from_host(ret.bind(py)))
    }

    async fn insert(&self, session: Session) -> Result<(), StoreError> {
        call_host(&self.obj, "insert", |py| {
            PyTuple::new(py, [to_py(py, &session)?])
        })
        .await
        .map(drop)
        .map_err(store_error)
    }

    async fn update(&self, session: Session, expected_version: u64) -> Result<(), StoreError> {
        call_host(&self.obj, "update", |py| {
            (to_py(py, &session)?, expected_version).into_pyobject(py)
        })
        .await
        .map(drop)
        .map_err(store_error)
    }

    async fn delete(&self, id: String, expected_version: u64) -> Result<(), StoreError> {
        call_host(&self.obj, "delete", |py| {
            (id, expected_version).into_pyobject(py)
        })
        .await
        .map(drop)
        .map_err(store_error)
    }
}

/// The in-memory session store.
#[pyclass(name = "MemorySessionStore", module = "tasksync._native", frozen)]
#[derive(Debug, Default)]
pub(crate) struct PyMemorySessionStore {
    inner: Arc<MemorySessionStore>,
}

#[pymethods]
impl PyMemorySessionStore {
    #[new]
    fn new() -> Self {
        PyMemorySessionStore::default()
    }

    fn __repr__(&self) -> &'static str {
        "MemorySessionStore()"
    }
}

/// The session store a `store=` argument names (`None`: a fresh memory store).
pub(crate) fn session_store(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Arc<dyn SessionStore>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(Arc::new(MemorySessionStore::new()));
    };
    if let Ok(s) = obj.cast::<PyMemorySessionStore>() {
        return Ok(s.get().inner.clone());
    }
    if let Ok(s) = obj.cast::<crate::store::PySqliteStore>() {
        return Ok(s.get().inner.clone());
    }
    if let Ok(s) = obj.cast::<crate::store::PyPostgresStore>() {
        return Ok(s.get().inner.clone());
    }
    crate::runtime::require(obj, "session store", &["get", "insert", "update", "delete"])?;
    Ok(Arc::new(HostSessionStore {
        obj: obj.clone().unbind(),
    }))
}

/// Runs session operations against a store with a clock and an event sink.
#[pyclass(name = "SessionEngine", module = "tasksync._native", frozen)]
#[derive(Debug)]
pub(crate) struct PySessionEngine {
    inner: SessionEngine,
}

/// One engine operation as a blocking method and an `*_async` coroutine.
macro_rules! ops {
    ($( $(#[$doc:meta])* $name:ident / $name_async:ident ( $($arg:ident : $ty:ty),* ) -> $rec:ident
        = |$e:ident| $call:expr; )*) => {
        #[pymethods]
        impl PySessionEngine {
            $(
                $(#[$doc])*
                #[pyo3(signature = ($($arg),*))]
                fn $name(&self, py: Python<'_>, $($arg: $ty),*) -> PyResult<$rec> {
                    let $e = &self.inner;
                    Ok(run_blocking(py, $call)?.into())
                }

                /// The coroutine form of the blocking method of the same name.
                #[pyo3(signature = ($($arg),*))]
                fn $name_async<'py>(&self, py: Python<'py>, $($arg: $ty),*) -> PyResult<Bound<'py, PyAny>> {
                    let engine = self.inner.clone();
                    let fut = async move {
                        let $e = &engine;
                        $call.await
                    };
                    run_async(py, fut, |py, value| {
                        Ok($rec::from(value).into_pyobject(py)?.into_any().unbind())
                    })
                }
            )*
        }
    };
}

ops! {
    /// Starts a session in the `created` state.
    start / start_async (id: String) -> PySession = |e| e.start(&id);
    /// Moves to cycle `to` (an id), or to the next cycle when `to` is `None`.
    switch / switch_async (id: String, to: Option<String>) -> PySession = |e| e.switch(&id, to.as_deref());
    /// Pauses a running session.
    pause / pause_async (id: String) -> PySession = |e| e.pause(&id);
    /// Resumes a paused session.
    resume / resume_async (id: String) -> PySession = |e| e.resume(&id);
    /// Completes a session.
    complete / complete_async (id: String) -> PySession = |e| e.complete(&id);
    /// One session record.
    get / get_async (id: String) -> PySession = |e| e.get(&id);
    /// A session's view now.
    state / state_async (id: String) -> PySessionState = |e| e.state(&id);
    /// Deletes a session, returning its last view.
    delete / delete_async (id: String) -> PySessionState = |e| e.delete(&id);
}

#[pymethods]
impl PySessionEngine {
    /// `store`: `None` (memory), a `MemorySessionStore`, a `SqliteStore`, a `PostgresStore` or a
    /// host object; `clock` and `events` as for `SyncEngine`; `limits`: `None` or a dict raising
    /// the core's limits (`max_cycles`).
    #[new]
    #[pyo3(signature = (store = None, clock = None, events = None, limits = None))]
    fn new(
        store: Option<&Bound<'_, PyAny>>,
        clock: Option<&Bound<'_, PyAny>>,
        events: Option<&Bound<'_, PyAny>>,
        limits: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let inner = SessionEngine::new(
            session_store(store)?,
            crate::clock::clock(clock)?,
            crate::event::sink(events)?,
        )
        .with_limits(crate::limits::limits(limits)?);
        Ok(PySessionEngine { inner })
    }

    /// Creates a session over `cycles` (dicts `{"id", "name"}`), in the `created` state.
    fn create(&self, py: Python<'_>, id: String, cycles: &Bound<'_, PyAny>) -> PyResult<PySession> {
        let cycles: Vec<Cycle> = from_py(cycles, "cycles")?;
        Ok(run_blocking(py, self.inner.create(id, cycles))?.into())
    }

    /// `create` as a coroutine.
    fn create_async<'py>(
        &self,
        py: Python<'py>,
        id: String,
        cycles: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let cycles: Vec<Cycle> = from_py(cycles, "cycles")?;
        let engine = self.inner.clone();
        let fut = async move { engine.create(id, cycles).await };
        run_async(py, fut, |py, s| {
            Ok(PySession::from(s).into_pyobject(py)?.into_any().unbind())
        })
    }

    fn __repr__(&self) -> &'static str {
        "SessionEngine(...)"
    }
}

/// The server's time from a clock (`None`: the system clock).
#[pyfunction]
#[pyo3(signature = (clock = None))]
fn server_time(clock: Option<&Bound<'_, PyAny>>) -> PyResult<PyServerTime> {
    let clock = crate::clock::clock(clock)?;
    Ok(sync_core::server_time(&*clock)
        .map_err(crate::error::to_py)?
        .into())
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PySessionEngine>()?;
    m.add_class::<PyMemorySessionStore>()?;
    m.add_class::<PySession>()?;
    m.add_class::<PySessionState>()?;
    m.add_class::<PyServerTime>()?;
    m.add_function(wrap_pyfunction!(server_time, m)?)?;
    Ok(())
}
