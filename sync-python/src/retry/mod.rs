//! The outbound queue and its policies (mirrors `sync_core::retry`, file for file):
//! `backoff` (schedules, `classify`), `breaker`, `limiter`, `outbox` (`StatusService`), `worker` (`Worker`, with its metrics), `dead`
//! (`JobQueue`: dead letters by hand, sync status) and `conformance` (the job store suite).

use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::convert::from_py;

mod backoff;
mod breaker;
mod conformance;
mod dead;
mod limiter;
mod outbox;
pub(crate) mod worker;

/// A policy's config from keyword fields (`None`: the defaults).
pub(crate) fn config<T: serde::de::DeserializeOwned + Default>(
    fields: Option<&Bound<'_, PyDict>>,
    what: &str,
) -> PyResult<T> {
    match fields {
        None => Ok(T::default()),
        Some(d) => from_py(d.as_any(), what),
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    backoff::register(m)?;
    breaker::register(m)?;
    limiter::register(m)?;
    crate::store::job::register(m)?;
    dead::register(m)?;
    outbox::register(m)?;
    worker::register(m)?;
    conformance::register(m)?;
    Ok(())
}
