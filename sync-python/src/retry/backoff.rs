//! Backoff schedules and the classification of a provider call's result (mirrors
//! `sync_core::retry::backoff`). Pure: the caller passes `now` (milliseconds) and obeys the
//! answer.

use pyo3::prelude::*;
use pyo3::types::PyDict;
use sync_core::retry::{Backoff, classify as core_classify};
use sync_core::{Millis, ProviderError};

use crate::convert::record::record;
use crate::convert::{from_py, to_py};
use crate::error::to_py as error_to_py;

record!(
    /// An exponential backoff schedule (see `sync_core::retry::Backoff`); fields as keywords.
    PyBackoff, "Backoff", Backoff, {
    #[new]
    #[pyo3(signature = (**fields))]
    fn new(fields: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        let backoff: Backoff = super::config(fields, "backoff")?;
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

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("MAX_DELAY_MS", sync_core::retry::MAX_DELAY_MS)?;
    m.add_class::<PyBackoff>()?;
    m.add_function(wrap_pyfunction!(classify, m)?)?;
    Ok(())
}
