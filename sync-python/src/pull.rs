//! Pull (mirrors `sync_core::pull`): `Puller(engine, provider, config, events=None)` lists a
//! provider into a hub scope, previews, and executes only under the configuration's rule;
//! otherwise it keeps the plan (`held()`, a `Plan` that `SyncEngine.execute` takes) and emits
//! `pull_held` to `events`. `run(stop=...)` is the core's loop on tokio's timer, stopped by the
//! `StopToken` the worker's loop takes.
//!
//! Invariants:
//! - The configuration is the core's `PullConfig` (`scope`, `provider_scope`, `policy`,
//!   `rule {auto_execute, allow_conflicts, max_deletes}`, `interval_ms`): unknown keys are
//!   refused naming the field, then the core validates it; the decision is the core's.
//! - A failed listing is the core's: a failed preview run in history, nothing written, and
//!   the provider's error raised as `ProviderFailure`.
//! - A report crosses as the core's serde form (a plain dict, `outcome` = `unchanged`,
//!   `executed` or `held`); blocking calls release the GIL, and no panic crosses (both run
//!   through the runtime's fence).
//! - `on_pull` sees each pull's result as it comes: the report dict, or for a failed pull
//!   `{"scope", "outcome": "failed", "error": {"code", "message"}}`; an exception it raises is
//!   logged and dropped (it cannot stop the loop).

use std::sync::{Arc, Mutex};

use futures::FutureExt;
use pyo3::prelude::*;
use sync_core::pull::{PullConfig, PullReport, PullTotals, Puller};

use crate::convert::{from_py, to_py};
use crate::diff::PyPlan;
use crate::engine::PySyncEngine;
use crate::retry::worker::{PyStopToken, provider, signals, stop_future, tokio_sleep};
use crate::runtime::{run_async, run_blocking};

/// Pulls one provider into one scope, once (`pull`) or every `interval_ms` (`run`).
#[pyclass(name = "Puller", module = "tasksync._native", frozen)]
pub(crate) struct PyPuller {
    inner: Arc<Puller>,
}

/// The run options of a pull made as `actor` (`{"user", "ip", "user_agent"}`; `None`: nobody).
fn options(actor: Option<&Bound<'_, PyAny>>) -> PyResult<sync_core::RunOptions> {
    let mut options = sync_core::RunOptions::default();
    if let Some(actor) = actor.filter(|a| !a.is_none()) {
        options.context.actor = from_py(actor, "actor")?;
    }
    Ok(options)
}

fn report_dict(py: Python<'_>, report: PullReport) -> PyResult<Py<PyAny>> {
    to_py(py, &report)
}

fn totals_dict(py: Python<'_>, totals: PullTotals) -> PyResult<Py<PyAny>> {
    to_py(py, &totals)
}

/// What `on_pull` gets for one pull's result.
fn result_value(scope: &str, result: &sync_core::Result<PullReport>) -> serde_json::Value {
    match result {
        Ok(report) => serde_json::to_value(report).unwrap_or(serde_json::Value::Null),
        Err(err) => serde_json::json!({
            "scope": scope,
            "outcome": "failed",
            "error": {"code": err.kind().code(), "message": err.to_string()},
        }),
    }
}

/// The core's `on_pull`: hands each result to the host callback (under the GIL, briefly).
fn on_pull_callback(
    scope: String,
    callback: Option<Py<PyAny>>,
) -> impl FnMut(&sync_core::Result<PullReport>) + Send {
    move |result| {
        let Some(callback) = &callback else { return };
        let value = result_value(&scope, result);
        Python::attach(|py| {
            let called = to_py(py, &value).and_then(|v| callback.bind(py).call1((v,)).map(drop));
            if let Err(err) = called {
                tracing::warn!(error = %crate::error::describe(py, &err),
                    "on_pull callback raised; ignored");
            }
        });
    }
}

fn callable(on_pull: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Py<PyAny>>> {
    match on_pull.filter(|c| !c.is_none()) {
        None => Ok(None),
        Some(c) if c.is_callable() => Ok(Some(c.clone().unbind())),
        Some(_) => Err(crate::error::invalid_input(
            "on_pull must be a callable taking the pull's result",
        )),
    }
}

#[pymethods]
impl PyPuller {
    /// A puller from `provider` (a `Provider` or a host provider object) through `engine`
    /// (whose history records every pull), as `config` (a `PullConfig` dict) says; `events`
    /// (as for `Worker`) receives `pull_held`. A bad configuration is `InvalidInputError`
    /// naming the field.
    #[new]
    #[pyo3(signature = (engine, provider, config, events = None))]
    fn new(
        engine: PyRef<'_, PySyncEngine>,
        provider: &Bound<'_, PyAny>,
        config: &Bound<'_, PyAny>,
        events: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let config: PullConfig = from_py(config, "pull config")?;
        let provider = self::provider(provider)?;
        let events = crate::event::sink(events)?;
        let inner = Puller::new(engine.inner.clone(), provider, config)
            .map_err(crate::error::to_py)?
            .with_events(events);
        Ok(PyPuller {
            inner: Arc::new(inner),
        })
    }

    /// One pull as `actor`: list, preview, execute when the rule allows, else hold. Returns
    /// the report dict; a failed listing raises `ProviderFailure` (recorded as a failed run;
    /// nothing written).
    #[pyo3(signature = (actor = None))]
    fn pull(&self, py: Python<'_>, actor: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
        let options = options(actor)?;
        let inner = self.inner.clone();
        let report = run_blocking(py, async move { inner.pull(&options).await })?;
        report_dict(py, report)
    }

    /// `pull` as a coroutine.
    #[pyo3(signature = (actor = None))]
    fn pull_async<'py>(
        &self,
        py: Python<'py>,
        actor: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let options = options(actor)?;
        let inner = self.inner.clone();
        run_async(py, async move { inner.pull(&options).await }, report_dict)
    }

    /// The plan the last pull held for a person, if it held one.
    fn held(&self) -> Option<PyPlan> {
        self.inner.held().map(PyPlan::from)
    }

    /// The configuration (defaults filled in), as a dict.
    fn config(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        to_py(py, self.inner.config())
    }

    /// Pulls every `interval_ms` as `actor` until `stop` is stopped (`None`: until a signal
    /// handler raises, e.g. `KeyboardInterrupt`, raised once the pull in flight is done); a
    /// failed pull is counted and the loop goes on. `on_pull` sees each result. Returns the
    /// totals (`pulls`, `executed`, `unchanged`, `held`, `failed`).
    #[pyo3(signature = (stop = None, actor = None, on_pull = None))]
    fn run(
        &self,
        py: Python<'_>,
        stop: Option<PyRef<'_, PyStopToken>>,
        actor: Option<&Bound<'_, PyAny>>,
        on_pull: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let options = options(actor)?;
        let callback = on_pull_callback(self.inner.config().scope.clone(), callable(on_pull)?);
        let inner = self.inner.clone();
        let sleep = tokio_sleep();
        let raised = Arc::new(Mutex::new(None));
        let stopped = futures::future::select(
            stop_future(stop.as_deref()).boxed(),
            signals(sleep.clone(), raised.clone()).boxed(),
        )
        .map(drop);
        let totals = run_blocking(py, async move {
            Ok(inner.run(&options, &*sleep, stopped, callback).await)
        })?;
        if let Some(err) = raised.lock().ok().and_then(|mut r| r.take()) {
            return Err(err);
        }
        totals_dict(py, totals)
    }

    /// `run` as a coroutine: ends when `stop` is stopped (after the pull in flight), or at
    /// once when the task is cancelled.
    #[pyo3(signature = (stop = None, actor = None, on_pull = None))]
    fn run_async<'py>(
        &self,
        py: Python<'py>,
        stop: Option<PyRef<'py, PyStopToken>>,
        actor: Option<&Bound<'py, PyAny>>,
        on_pull: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let options = options(actor)?;
        let callback = on_pull_callback(self.inner.config().scope.clone(), callable(on_pull)?);
        let inner = self.inner.clone();
        let stopped = stop_future(stop.as_deref());
        let fut = async move {
            Ok(inner
                .run(&options, &*tokio_sleep(), stopped, callback)
                .await)
        };
        run_async(py, fut, totals_dict)
    }

    fn __repr__(&self) -> String {
        let config = self.inner.config();
        format!(
            "Puller(scope={:?}, interval_ms={})",
            config.scope, config.interval_ms
        )
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyPuller>()?;
    Ok(())
}
