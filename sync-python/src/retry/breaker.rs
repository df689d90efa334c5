//! The per-provider circuit breaker (mirrors `sync_core::retry::breaker`).

use pyo3::prelude::*;
use pyo3::types::PyDict;
use sync_core::Millis;
use sync_core::retry::{Breaker, BreakerConfig};

use crate::convert::to_py;
use crate::error::to_py as error_to_py;

/// A per-provider circuit breaker (see `sync_core::retry::Breaker`).
#[pyclass(name = "Breaker", module = "tasksync._native")]
#[derive(Debug)]
pub(crate) struct PyBreaker {
    inner: Breaker,
}

#[pymethods]
impl PyBreaker {
    #[new]
    #[pyo3(signature = (**fields))]
    fn new(fields: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        let config: BreakerConfig = super::config(fields, "breaker config")?;
        config.validate().map_err(error_to_py)?;
        Ok(PyBreaker {
            inner: Breaker::new(config),
        })
    }

    /// `None` if a call may go now, else the earliest time to try again.
    fn try_acquire(&mut self, now: Millis) -> Option<Millis> {
        self.inner.try_acquire(now).err()
    }

    /// Records a successful call.
    fn on_success(&mut self) {
        self.inner.on_success();
    }

    /// Records a failed call at `now` for `job` (a job already counted since the last success
    /// is not counted again; `None` always counts).
    #[pyo3(signature = (now, job = None))]
    fn on_failure(&mut self, now: Millis, job: Option<&str>) {
        self.inner.on_failure(now, job);
    }

    /// The state: `{"state": "closed", "failures": n}`, `{"state": "open", "until": t}` or
    /// `{"state": "half_open"}`.
    #[getter]
    fn state(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        to_py(py, &self.inner.state)
    }

    fn __repr__(&self) -> String {
        format!("Breaker({:?})", self.inner.state)
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyBreaker>()?;
    Ok(())
}
