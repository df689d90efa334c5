//! The sync engine (mirrors `sync_core::engine`): preview, execute, check and verify, each as
//! a blocking method that releases the GIL and as an `*_async` coroutine.
//!
//! A listing argument is a dict in the core's serde form (`{"source", "items", "complete"}`)
//! or its JSON text; a policy is `None`, a `Policy` or a dict; a plan is a `Plan` (or its JSON).

use std::borrow::Cow;

use pyo3::prelude::*;
use sync_core::{ExecuteReport, Listing, Plan, SyncEngine};

use crate::convert::record::record;
use crate::convert::{from_json, from_py};
use crate::diff::{PyPlan, PyVerifyReport, policy};
use crate::history::{PyCancelToken, run_options};
use crate::runtime::{run_async, run_blocking};

record!(
    /// What an executed plan did (see `sync_core::ExecuteReport`).
    PyExecuteReport, "ExecuteReport", ExecuteReport
);

/// A listing argument: a dict, or JSON text.
pub(crate) fn listing(obj: &Bound<'_, PyAny>) -> PyResult<Listing> {
    match obj.cast::<pyo3::types::PyString>() {
        Ok(text) => from_json(&text.to_cow()?, "listing"),
        Err(_) => from_py(obj, "listing"),
    }
}

/// The sync engine on a store, a clock and an event sink.
#[pyclass(name = "SyncEngine", module = "tasksync._native", frozen)]
#[derive(Debug)]
pub(crate) struct PySyncEngine {
    pub(crate) inner: SyncEngine,
}

fn ok<T: Into<U>, U: pyo3::PyClass + Into<pyo3::PyClassInitializer<U>>>(
    py: Python<'_>,
    value: T,
) -> PyResult<Py<PyAny>> {
    Ok(Py::new(py, value.into())?.into_any())
}

#[pymethods]
impl PySyncEngine {
    /// `store`: a `MemoryStore`, a `SqliteStore`, a `PostgresStore` or a host object; `clock`:
    /// `None` (system), a `ManualClock` or a host object with `now_ms()`; `events`: `None`, a
    /// `CollectingSink` or a host object with `emit(event)`; `history`: `None` or a `History`
    /// every preview and execute is recorded into (best effort: history never fails a sync);
    /// `limits`: `None` or a dict raising the core's limits (`max_listing_items`,
    /// `max_fields_bytes`).
    #[new]
    #[pyo3(signature = (store, clock = None, events = None, history = None, limits = None))]
    fn new(
        store: &Bound<'_, PyAny>,
        clock: Option<&Bound<'_, PyAny>>,
        events: Option<&Bound<'_, PyAny>>,
        history: Option<PyRef<'_, crate::history::PyHistory>>,
        limits: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let mut inner = SyncEngine::new(crate::store::task_store(store)?)
            .with_clock(crate::clock::clock(clock)?)
            .with_events(crate::event::sink(events)?)
            .with_limits(crate::limits::limits(limits)?);
        if let Some(history) = history {
            inner = inner.with_history(history.recorder.clone());
        }
        Ok(PySyncEngine { inner })
    }

    /// Computes what syncing `listing` into `scope` would do. Read-only. `context` (who runs
    /// it: `{"actor": {"user", "ip", "user_agent"}, "source_id", "target_id"}`) and `cancel`
    /// (a `CancelToken`) go with the recorded run.
    #[pyo3(signature = (scope, listing, policy = None, *, context = None, cancel = None))]
    fn preview(
        &self,
        py: Python<'_>,
        scope: String,
        listing: &Bound<'_, PyAny>,
        policy: Option<&Bound<'_, PyAny>>,
        context: Option<&Bound<'_, PyAny>>,
        cancel: Option<PyRef<'_, PyCancelToken>>,
    ) -> PyResult<PyPlan> {
        let (listing, policy) = (self::listing(listing)?, self::policy(policy)?);
        let options = run_options(context, cancel)?;
        let engine = &self.inner;
        let plan = run_blocking(py, engine.preview_with(&scope, &listing, &policy, &options))?;
        Ok(plan.into())
    }

    /// `preview` as a coroutine.
    #[pyo3(signature = (scope, listing, policy = None, *, context = None, cancel = None))]
    fn preview_async<'py>(
        &self,
        py: Python<'py>,
        scope: String,
        listing: &Bound<'py, PyAny>,
        policy: Option<&Bound<'py, PyAny>>,
        context: Option<&Bound<'py, PyAny>>,
        cancel: Option<PyRef<'py, PyCancelToken>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (listing, policy) = (self::listing(listing)?, self::policy(policy)?);
        let options = run_options(context, cancel)?;
        let engine = self.inner.clone();
        let fut = async move {
            engine
                .preview_with(&scope, &listing, &policy, &options)
                .await
        };
        run_async(py, fut, ok::<_, PyPlan>)
    }

    /// Applies exactly `plan`, atomically; refuses unless `confirmed`, and raises
    /// `StalePlanError` when the scope changed since the preview, `CancelledError` when
    /// `cancel` was cancelled before the write. `context` and `cancel` as for `preview`.
    #[pyo3(signature = (plan, confirmed = false, *, context = None, cancel = None))]
    fn execute(
        &self,
        py: Python<'_>,
        plan: &Bound<'_, PyAny>,
        confirmed: bool,
        context: Option<&Bound<'_, PyAny>>,
        cancel: Option<PyRef<'_, PyCancelToken>>,
    ) -> PyResult<PyExecuteReport> {
        let options = run_options(context, cancel)?;
        // A `Plan` is executed in place: a 100,000-task plan is not copied.
        let held = plan.cast::<PyPlan>().ok();
        let plan: Cow<'_, Plan> = match &held {
            Some(p) => Cow::Borrowed(&p.get().inner),
            None => Cow::Owned(crate::diff::plan(plan)?),
        };
        let report = run_blocking(py, self.inner.execute_with(&plan, confirmed, &options))?;
        Ok(report.into())
    }

    /// `execute` as a coroutine.
    #[pyo3(signature = (plan, confirmed = false, *, context = None, cancel = None))]
    fn execute_async<'py>(
        &self,
        py: Python<'py>,
        plan: &Bound<'py, PyAny>,
        confirmed: bool,
        context: Option<&Bound<'py, PyAny>>,
        cancel: Option<PyRef<'py, PyCancelToken>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let plan = crate::diff::plan(plan)?;
        let options = run_options(context, cancel)?;
        let engine = self.inner.clone();
        let fut = async move { engine.execute_with(&plan, confirmed, &options).await };
        run_async(py, fut, ok::<_, PyExecuteReport>)
    }

    /// Whether a sync of `listing` into `scope` would write anything.
    #[pyo3(signature = (scope, listing, policy = None))]
    fn check_sync_needed(
        &self,
        py: Python<'_>,
        scope: String,
        listing: &Bound<'_, PyAny>,
        policy: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        let (listing, policy) = (self::listing(listing)?, self::policy(policy)?);
        run_blocking(py, self.inner.check_sync_needed(&scope, &listing, &policy))
    }

    /// `check_sync_needed` as a coroutine.
    #[pyo3(signature = (scope, listing, policy = None))]
    fn check_sync_needed_async<'py>(
        &self,
        py: Python<'py>,
        scope: String,
        listing: &Bound<'py, PyAny>,
        policy: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (listing, policy) = (self::listing(listing)?, self::policy(policy)?);
        let engine = self.inner.clone();
        let fut = async move { engine.check_sync_needed(&scope, &listing, &policy).await };
        run_async(py, fut, |py, needed| {
            Ok(pyo3::types::PyBool::new(py, needed)
                .to_owned()
                .into_any()
                .unbind())
        })
    }

    /// Compares `scope` with `listing`, regardless of policy. Read-only.
    fn verify(
        &self,
        py: Python<'_>,
        scope: String,
        listing: &Bound<'_, PyAny>,
    ) -> PyResult<PyVerifyReport> {
        let listing = self::listing(listing)?;
        Ok(run_blocking(py, self.inner.verify(&scope, &listing))?.into())
    }

    /// `verify` as a coroutine.
    fn verify_async<'py>(
        &self,
        py: Python<'py>,
        scope: String,
        listing: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let listing = self::listing(listing)?;
        let engine = self.inner.clone();
        let fut = async move { engine.verify(&scope, &listing).await };
        run_async(py, fut, ok::<_, PyVerifyReport>)
    }

    fn __repr__(&self) -> &'static str {
        "SyncEngine(...)"
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PySyncEngine>()?;
    m.add_class::<PyExecuteReport>()?;
    Ok(())
}
