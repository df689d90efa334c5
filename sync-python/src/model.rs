//! The task model: statuses and hub ids (mirrors `sync_core::model`).
//!
//! Tasks, desired tasks and listings cross as plain dicts in their serde form; this module
//! binds the functions of the model that are not data.

use pyo3::prelude::*;
use sync_core::{Status, Task};

/// Every status name, in lifecycle order.
#[pyfunction]
fn statuses() -> Vec<&'static str> {
    Status::ALL.iter().map(|s| s.as_str()).collect()
}

/// The hub id of the task with this identity (stable across processes and bindings).
#[pyfunction]
fn hub_id(source: &str, external_id: &str) -> String {
    Task::hub_id(source, external_id)
}

/// Whether a status is terminal (completed or cancelled).
#[pyfunction]
fn is_terminal(status: &Bound<'_, PyAny>) -> PyResult<bool> {
    let status: Status = crate::convert::from_py(status, "status")?;
    Ok(status.is_terminal())
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(statuses, m)?)?;
    m.add_function(wrap_pyfunction!(hub_id, m)?)?;
    m.add_function(wrap_pyfunction!(is_terminal, m)?)?;
    Ok(())
}
