//! The operation manifest (mirrors `sync_core::manifest`): every public operation of the core,
//! by module, so the binding's tests can check it offers each one.

use pyo3::prelude::*;

/// Every public operation of the core as `{"module", "name"}` dicts (`Type`, `Type.method` or
/// a function, named as in Rust).
#[pyfunction]
fn manifest(py: Python<'_>) -> PyResult<Py<PyAny>> {
    crate::convert::to_py(py, sync_core::manifest::OPERATIONS)
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(manifest, m)?)?;
    Ok(())
}
