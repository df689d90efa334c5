//! Hooks for the binding's own tests (hidden: underscore names, not in the public API).

use pyo3::prelude::*;

use crate::runtime::run_blocking;

/// Panics inside a core future, to prove a panic surfaces as `InternalError`.
#[pyfunction]
fn _panic_for_tests(py: Python<'_>) -> PyResult<()> {
    run_blocking(py, async {
        if std::hint::black_box(true) {
            panic!("panic requested by _panic_for_tests");
        }
        Ok(())
    })
}

/// Emits one core `tracing` event at `level` (`info`, `warn`, ...), to test log routing.
#[pyfunction]
fn _log_for_tests(level: &str, message: &str) {
    match level {
        "error" => tracing::error!(target: "sync_core", "{message}"),
        "warn" => tracing::warn!(target: "sync_core", "{message}"),
        "debug" => tracing::debug!(target: "sync_core", "{message}"),
        _ => tracing::info!(target: "sync_core", "{message}"),
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_panic_for_tests, m)?)?;
    m.add_function(wrap_pyfunction!(_log_for_tests, m)?)?;
    Ok(())
}
