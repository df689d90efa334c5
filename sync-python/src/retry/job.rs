//! Sync jobs (mirrors `sync_core::retry::job`): the `Job` record, and the pure functions of a
//! job a host queue store calls instead of restating the core's rules.

use pyo3::prelude::*;
use sync_core::retry::{Job, JobState, SyncStatus};

use crate::convert::record::record;

record!(
    /// One sync job (see `sync_core::retry::Job`): the outbox record of one status change for
    /// one target.
    PyJob, "Job", Job
);

pub(crate) fn jobs_to_py(py: Python<'_>, jobs: Vec<Job>) -> PyResult<Py<PyAny>> {
    let list: Vec<PyJob> = jobs.into_iter().map(PyJob::from).collect();
    Ok(list.into_pyobject(py)?.into_any().unbind())
}

pub(crate) fn job_to_py(py: Python<'_>, job: Option<Job>) -> PyResult<Py<PyAny>> {
    match job {
        Some(job) => Ok(Py::new(py, PyJob::from(job))?.into_any()),
        None => Ok(py.None()),
    }
}

pub(crate) fn state(name: Option<&str>) -> PyResult<Option<JobState>> {
    name.map(|s| s.parse().map_err(crate::error::to_py))
        .transpose()
}

/// The sync status a task shows when the latest job of a (task, target) is in `state`
/// (`"dead"` is `"failed"`, `"discarded"` is `"discarded"`, ...): the core's rule, for a host
/// queue store's `sync_status`. `InvalidInputError` for an unknown state.
#[pyfunction]
fn sync_status_of(state: &str) -> PyResult<&'static str> {
    let state: JobState = state.parse().map_err(crate::error::to_py)?;
    Ok(SyncStatus::of(state).as_str())
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyJob>()?;
    m.add_function(wrap_pyfunction!(sync_status_of, m)?)?;
    Ok(())
}
