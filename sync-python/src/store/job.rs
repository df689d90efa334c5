//! Sync jobs (mirrors `sync_core::store::job`): the `Job` record, and the pure functions of a
//! job a host queue store calls instead of restating the core's rules.

use pyo3::prelude::*;
use sync_core::Millis;
use sync_core::retry::{Job, JobState, SyncStatus};

use crate::convert::record::record;
use crate::convert::{from_py, to_py};

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
/// (`"dead"` is `"failed"`, `"discarded"` is `"discarded"`, ...): the core's rule
/// (`SyncStatus::of`). `InvalidInputError` for an unknown state.
#[pyfunction]
fn sync_status_of(state: &str) -> PyResult<&'static str> {
    let state: JobState = state.parse().map_err(crate::error::to_py)?;
    Ok(SyncStatus::of(state).as_str())
}

/// The job as a claim by `owner` at `now` writes it (`running`, one more attempt, the next
/// lease number, leased for `lease_ms`, the next version): a host queue store's `claim`
/// stores and returns exactly this, so the claim's fields are the core's, not restated.
/// `job` and the result are the core's `Job` dict form.
#[pyfunction]
fn claimed_job(
    py: Python<'_>,
    job: &Bound<'_, PyAny>,
    owner: &str,
    now: &Bound<'_, PyAny>,
    lease_ms: &Bound<'_, PyAny>,
) -> PyResult<Py<PyAny>> {
    let job: Job = from_py(job, "job")?;
    let now: Millis = from_py(now, "now")?;
    let lease_ms: u64 = from_py(lease_ms, "lease_ms")?;
    to_py(py, &job.claimed(owner, now, lease_ms))
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyJob>()?;
    m.add_function(wrap_pyfunction!(sync_status_of, m)?)?;
    m.add_function(wrap_pyfunction!(claimed_job, m)?)?;
    Ok(())
}
