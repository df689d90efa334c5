//! The core's conformance suites, runnable against stores written in Python (mirrors
//! `sync_core::conformance` and the suites of `session`, `retry` and `history`).
//!
//! Invariant: every store a run needs is built up front, under the GIL, by calling the
//! factory once per case; a factory that raises or returns something that is not a store is
//! a Python exception from the call, never a panic inside the suite.

use std::sync::{Arc, Mutex};

use pyo3::prelude::*;
use sync_core::conformance::{CaseOf, run_cases};

use crate::runtime::run_blocking;

/// Runs `cases`, each on its own store from `factory()` (converted by `convert`); returns the
/// failures as `(case, message)` pairs (empty when the store conforms).
fn run_suite<S: ?Sized + Send + Sync>(
    py: Python<'_>,
    factory: &Py<PyAny>,
    cases: &[CaseOf<S>],
    convert: impl Fn(&Bound<'_, PyAny>) -> PyResult<Arc<S>>,
) -> PyResult<Vec<(String, String)>> {
    let mut stores = Vec::with_capacity(cases.len());
    for _ in cases {
        stores.push(convert(&factory.bind(py).call0()?)?);
    }
    stores.reverse(); // handed out with `pop`, in case order
    let stores = Mutex::new(stores);
    let failures = run_blocking(py, async {
        let make = || {
            stores
                .lock()
                .ok()
                .and_then(|mut s| s.pop())
                .expect("one store per case was built")
        };
        Ok(run_cases(cases, make).await)
    })?;
    Ok(failures
        .into_iter()
        .map(|(n, m)| (n.to_owned(), m))
        .collect())
}

/// Runs the task store suite, each case on a fresh store from `factory()`; returns the
/// failures as `(case, message)` pairs (empty when the store conforms).
#[pyfunction]
fn run_store_conformance(py: Python<'_>, factory: Py<PyAny>) -> PyResult<Vec<(String, String)>> {
    run_suite(py, &factory, sync_core::conformance::CASES, |store| {
        crate::store::task_store(store)
    })
}

/// Runs the session store suite, each case on a fresh store from `factory()`.
#[pyfunction]
fn run_session_store_conformance(
    py: Python<'_>,
    factory: Py<PyAny>,
) -> PyResult<Vec<(String, String)>> {
    run_suite(
        py,
        &factory,
        sync_core::session::conformance::CASES,
        |store| crate::session::session_store(Some(store)),
    )
}

/// Runs the job store suite (`sync_core::retry::conformance`), each case on a fresh queue
/// store from `factory()`; returns the failures as `(case, message)` pairs.
#[pyfunction]
fn run_job_store_conformance(
    py: Python<'_>,
    factory: Py<PyAny>,
) -> PyResult<Vec<(String, String)>> {
    run_suite(
        py,
        &factory,
        sync_core::retry::conformance::CASES,
        crate::jobstore::queue_store,
    )
}

/// Runs the history store suite, each case on a fresh store from `factory()`.
#[pyfunction]
fn run_history_store_conformance(
    py: Python<'_>,
    factory: Py<PyAny>,
) -> PyResult<Vec<(String, String)>> {
    run_suite(
        py,
        &factory,
        sync_core::history::conformance::CASES,
        crate::history::history_store,
    )
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(run_store_conformance, m)?)?;
    m.add_function(wrap_pyfunction!(run_session_store_conformance, m)?)?;
    m.add_function(wrap_pyfunction!(run_job_store_conformance, m)?)?;
    m.add_function(wrap_pyfunction!(run_history_store_conformance, m)?)?;
    Ok(())
}
