//! The per-provider token-bucket rate limiter (mirrors `sync_core::retry::limiter`).

use pyo3::prelude::*;
use pyo3::types::PyDict;
use sync_core::Millis;
use sync_core::retry::{RateLimiter, RateLimiterConfig};

use crate::error::to_py as error_to_py;

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
        let config: RateLimiterConfig = super::config(fields, "rate limiter config")?;
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
    m.add_class::<PyRateLimiter>()?;
    Ok(())
}
