//! Transitions (mirrors `sync_core::transition`): the status state machine and the provider
//! status mappings. Tasks and statuses cross in their serde form (dicts, snake_case names).

use pyo3::prelude::*;
use pyo3::types::PyDict;
use sync_core::transition::{ProviderKind, StatusMapping, TransitionRules};
use sync_core::{Millis, Status, Task};

use crate::convert::record::record;
use crate::convert::{from_py, to_py, to_value};
use crate::error::to_py as error_to_py;

record!(
    /// The allowed status changes, their guards and effects (see
    /// `sync_core::transition::TransitionRules`); the default table when built with no
    /// arguments, or the given fields.
    PyTransitionRules, "TransitionRules", TransitionRules, {
    #[new]
    #[pyo3(signature = (**fields))]
    fn new(fields: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        match fields {
            None => Ok(TransitionRules::default().into()),
            Some(d) => Ok(from_py::<TransitionRules>(d.as_any(), "transition rules")?.into()),
        }
    }

    /// Whether the table has the edge `from_` → `to`.
    fn allows(&self, from_: &Bound<'_, PyAny>, to: &Bound<'_, PyAny>) -> PyResult<bool> {
        let from: Status = from_py(from_, "status")?;
        let to: Status = from_py(to, "status")?;
        Ok(self.inner.allows(from, to))
    }

    /// Every status change moving `task` to `to` implies (the requested one first, then
    /// effects on `related` tasks), as dicts; `InvalidTransitionError` when refused.
    #[pyo3(signature = (task, to, related = None))]
    fn plan(
        &self,
        py: Python<'_>,
        task: &Bound<'_, PyAny>,
        to: &Bound<'_, PyAny>,
        related: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let task: Task = from_py(task, "task")?;
        let to: Status = from_py(to, "status")?;
        let related: Vec<Task> = match related {
            Some(r) => from_py(r, "related tasks")?,
            None => Vec::new(),
        };
        let changes = self
            .inner
            .plan(&task, to, &related)
            .map_err(|e| error_to_py(e.into()))?;
        to_py(py, &changes)
    }
});

/// How a hub status becomes one provider's payload and back.
#[pyclass(name = "StatusMapping", module = "tasksync._native", frozen)]
#[derive(Debug)]
pub(crate) struct PyStatusMapping {
    inner: StatusMapping,
}

#[pymethods]
impl PyStatusMapping {
    /// `kind`: `ms_todo`, `connect_wise_ticket`, `connect_wise_project_task`, `process_step`
    /// or `cal_dav`.
    #[new]
    fn new(kind: &Bound<'_, PyAny>) -> PyResult<Self> {
        let kind: ProviderKind = from_py(kind, "provider kind")?;
        Ok(PyStatusMapping {
            inner: StatusMapping::new(kind),
        })
    }

    /// The payload moving the provider's task (now `current`) to `to`, and its undo:
    /// `{"payload": ..., "undo": {"payload": ...}}`.
    fn to_provider(
        &self,
        py: Python<'_>,
        to: &Bound<'_, PyAny>,
        current: &Bound<'_, PyAny>,
        now: Millis,
    ) -> PyResult<Py<PyAny>> {
        let to: Status = from_py(to, "status")?;
        let current = to_value(current, "current")?;
        to_py(py, &self.inner.to_provider(to, &current, now))
    }

    /// The hub status a provider payload means, or `None`.
    // Named after the core's `StatusMapping::from_provider`, which this binds.
    #[allow(clippy::wrong_self_convention)]
    fn from_provider(&self, payload: &Bound<'_, PyAny>) -> PyResult<Option<&'static str>> {
        let payload = to_value(payload, "payload")?;
        Ok(self.inner.from_provider(&payload).map(Status::as_str))
    }

    fn __repr__(&self) -> String {
        format!("StatusMapping({:?})", self.inner.kind)
    }
}

/// Milliseconds since the epoch as an ISO 8601 UTC timestamp.
#[pyfunction]
fn iso8601(ms: Millis) -> String {
    sync_core::transition::iso8601(ms)
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyTransitionRules>()?;
    m.add_class::<PyStatusMapping>()?;
    m.add_function(wrap_pyfunction!(iso8601, m)?)?;
    Ok(())
}
