//! The core's conformance suites, runnable against stores written in Python (mirrors
//! `sync_core::conformance` and `sync_core::session::conformance`).

use pyo3::prelude::*;

use crate::runtime::run_blocking;

/// Runs the task store suite, each case on a fresh store from `factory()`; returns the
/// failures as `(case, message)` pairs (empty when the store conforms).
#[pyfunction]
fn run_store_conformance(py: Python<'_>, factory: Py<PyAny>) -> PyResult<Vec<(String, String)>> {
    let failures = run_blocking(py, async {
        let make = || {
            Python::attach(|py| {
                let store = factory.bind(py).call0()?;
                crate::store::task_store(&store)
            })
            .expect("the conformance factory must return a task store")
        };
        Ok(sync_core::conformance::run_all(make).await)
    })?;
    Ok(failures
        .into_iter()
        .map(|(n, m)| (n.to_owned(), m))
        .collect())
}

/// Runs the session store suite, each case on a fresh store from `factory()`.
#[pyfunction]
fn run_session_store_conformance(
    py: Python<'_>,
    factory: Py<PyAny>,
) -> PyResult<Vec<(String, String)>> {
    let failures = run_blocking(py, async {
        let make = || {
            Python::attach(|py| {
                let store = factory.bind(py).call0()?;
                crate::session::session_store(Some(&store))
            })
            .expect("the conformance factory must return a session store")
        };
        Ok(sync_core::session::conformance::run_all(make).await)
    })?;
    Ok(failures
        .into_iter()
        .map(|(n, m)| (n.to_owned(), m))
        .collect())
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(run_store_conformance, m)?)?;
    m.add_function(wrap_pyfunction!(run_session_store_conformance, m)?)?;
    Ok(())
}
