//! The job store suite (mirrors `sync_core::retry::conformance`), runnable against queue
//! stores written in Python.

use pyo3::prelude::*;

use crate::runtime::run_blocking;

/// Runs the job store suite (`sync_core::retry::conformance`), each case on a fresh queue
/// store from `factory()`; returns the failures as `(case, message)` pairs.
#[pyfunction]
fn run_job_store_conformance(
    py: Python<'_>,
    factory: Py<PyAny>,
) -> PyResult<Vec<(String, String)>> {
    // Build every store up front (under the GIL) so a bad factory is an exception here,
    // not a panic inside the suite.
    let count = sync_core::retry::conformance::CASES.len();
    let mut stores = Vec::with_capacity(count);
    for _ in 0..count {
        stores.push(crate::store::job_store::queue_store(
            factory.bind(py).call0()?.as_any(),
        )?);
    }
    let stores = std::sync::Mutex::new(stores);
    let failures = run_blocking(py, async {
        let make = || {
            stores
                .lock()
                .map(|mut s| s.remove(0))
                .expect("one store per case was built")
        };
        Ok(sync_core::retry::conformance::run_all(make).await)
    })?;
    Ok(failures
        .into_iter()
        .map(|(n, m)| (n.to_owned(), m))
        .collect())
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(run_job_store_conformance, m)?)?;
    Ok(())
}
