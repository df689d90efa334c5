//! Retry policies (mirrors `sync_core::retry`): backoff schedules, classification of a
//! provider call's result, circuit breakers and rate limiters. All pure: the caller passes
//! `now` (milliseconds) and obeys the answer.
//!
//! The outbound queue (jobs, job store, worker, dead letters, metrics) binds in its own files
//! beside this one as the core grows them.

use pyo3::prelude::*;
use pyo3::types::PyDict;
use sync_core::retry::{
    Backoff, Breaker, BreakerConfig, RateLimiter, RateLimiterConfig, classify as core_classify,
};
use sync_core::{Millis, ProviderError};

use crate::convert::{from_py, to_py};
use crate::error::to_py as error_to_py;
use crate::record::record;

fn config<T: serde::de::DeserializeOwned + Default>(
    fields: Option<&Bound<'_, PyDict>>,
    what: &str,
) -> PyResult<T> {
    match fields {
        None => Ok(T::default()),
        Some(d) => from_py(d.as_any(), what),
    }
}

record!(
    /// An exponential backoff schedule (see `sync_core::retry::Backoff`); fields as keywords.
    PyBackoff, "Backoff", Backoff, {
    #[new]
    #[pyo3(signature = (**fields))]
    fn new(fields: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        let backoff: Backoff = config(fields, "backoff")?;
        backoff.validate().map_err(error_to_py)?;
        Ok(backoff.into())
    }

    /// The delay before attempt `attempt + 1` after attempt `attempt` failed; `seed` drives
    /// the jitter deterministically.
    #[pyo3(signature = (attempt, seed = 0))]
    fn delay_ms(&self, attempt: u32, seed: u64) -> u64 {
        self.inner.delay_ms(attempt, seed)
    }
});

/// What to do after attempt `attempt` of a provider call at `now`: `error` is `None` for a
/// success, else a provider error's dict form (`{"class": "timeout", "provider": ..., ...}`).
/// Returns `{"outcome": "succeeded" | "retry_at" | "refresh_token" | "dead", ...}`.
#[pyfunction]
#[pyo3(signature = (error, attempt, now, backoff = None, seed = 0))]
fn classify(
    py: Python<'_>,
    error: Option<&Bound<'_, PyAny>>,
    attempt: u32,
    now: Millis,
    backoff: Option<PyRef<'_, PyBackoff>>,
    seed: u64,
) -> PyResult<Py<PyAny>> {
    let error: Option<ProviderError> = match error.filter(|e| !e.is_none()) {
        Some(e) => Some(from_py(e, "provider error")?),
        None => None,
    };
    let backoff = backoff.map(|b| b.inner.clone()).unwrap_or_default();
    let result = match &error {
        Some(e) => Err(e),
        None => Ok(()),
    };
    to_py(py, &core_classify(result, attempt, now, &backoff, seed))
}

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
        let config: BreakerConfig = config(fields, "breaker config")?;
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

/// A per-provider token-bucket rate limiter (see `sync_core::retry::RateLimiter`).
#[pyclass(name = "RateLimiter", module = "tasksync._native")]
#[derive(Debug)]
pub(crate) struct PyRateLimiter {
    inner: RateLimiter,
}

#[pymethods]
impl PyRateLimiter {
    /// A full bucket at `now`; `per_second` and `burst` as keywords.
    #[new]
    #[pyo3(signature = (now, **fields))]
    fn new(now: Millis, fields: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        let config: RateLimiterConfig = config(fields, "rate limiter config")?;
        config.validate().map_err(error_to_py)?;
        Ok(PyRateLimiter {
            inner: RateLimiter::new(config, now),
        })
    }

    /// `None` if a call may go now (a token is taken), else the earliest time to try again.
    fn try_acquire(&mut self, now: Millis) -> Option<Millis> {
        self.inner.try_acquire(now).err()
    }

    /// Pauses the provider for `retry_after_ms` from `now` (an HTTP 429; at most a day).
    fn pause(&mut self, now: Millis, retry_after_ms: u64) {
        self.inner.pause(now, retry_after_ms);
    }

    fn __repr__(&self) -> &'static str {
        "RateLimiter(...)"
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("MAX_DELAY_MS", sync_core::retry::MAX_DELAY_MS)?;
    m.add_class::<PyBackoff>()?;
    m.add_class::<PyBreaker>()?;
    m.add_class::<PyRateLimiter>()?;
    m.add_function(wrap_pyfunction!(classify, m)?)?;
    Ok(())
}
