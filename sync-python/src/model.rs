//! The task model: statuses, hub ids and new tasks from desired ones (mirrors
//! `sync_core::model`), exactly as the core computes them: a host seeding or importing tasks
//! never restates the identity hash.
//!
//! Tasks, desired tasks and listings cross as plain dicts in their serde form; this module
//! binds the functions of the model that are not data.

use pyo3::prelude::*;
use sync_core::{DesiredTask, Millis, Status, Task};

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

/// A new task (version 1; no source status means draft) of `scope` from a desired task of
/// `source` (a listing item's dict form), created at `now_ms`; the task's dict form.
/// `InvalidInputError` for a malformed desired task or an unknown key.
#[pyfunction]
fn task_from_desired(
    py: Python<'_>,
    scope: &str,
    source: &str,
    desired: &Bound<'_, PyAny>,
    now_ms: &Bound<'_, PyAny>,
) -> PyResult<Py<PyAny>> {
    let desired: DesiredTask = crate::convert::from_py(desired, "desired task")?;
    let now_ms: Millis = crate::convert::from_py(now_ms, "now_ms")?;
    crate::convert::to_py(py, &Task::from_desired(scope, source, &desired, now_ms))
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
    m.add_function(wrap_pyfunction!(task_from_desired, m)?)?;
    Ok(())
}
