//! Event sinks (mirrors `sync_core::event`): a collecting sink, or a Python object with an
//! `emit(event)` method taking the event's dict form (`{"type": "sync_executed", ...}`).
//!
//! A host sink's exception is logged and dropped: a sink cannot fail the operation that
//! emitted (the core's contract). `emit` must return quickly; an `async def emit` is scheduled
//! on the package's loop thread and not awaited.

use std::sync::Arc;

use pyo3::prelude::*;
use sync_core::{CollectingSink, Event, EventSink, NullSink};

use crate::convert::to_py;

struct HostSink {
    obj: Py<PyAny>,
}

impl EventSink for HostSink {
    fn emit(&self, event: Event) {
        let sent = Python::attach(|py| -> PyResult<()> {
            let ret = self
                .obj
                .bind(py)
                .call_method1("emit", (to_py(py, &event)?,))?;
            if ret.hasattr("__await__")? {
                py.import("tasksync._hostloop")?
                    .call_method1("spawn", (ret,))?;
            }
            Ok(())
        });
        if let Err(err) = sent {
            tracing::warn!(error = %err, "host event sink failed; event dropped");
        }
    }
}

/// Keeps every event in memory (tests, examples).
#[pyclass(name = "CollectingSink", module = "tasksync._native", frozen)]
#[derive(Debug, Default)]
pub(crate) struct PyCollectingSink {
    inner: Arc<CollectingSink>,
}

#[pymethods]
impl PyCollectingSink {
    #[new]
    fn new() -> Self {
        PyCollectingSink::default()
    }

    /// Takes the events collected so far, as dicts.
    fn take(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        to_py(py, &self.inner.take())
    }

    fn __repr__(&self) -> &'static str {
        "CollectingSink()"
    }
}

/// The sink an `events=` argument names (`None`: events are dropped).
pub(crate) fn sink(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Arc<dyn EventSink>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(Arc::new(NullSink));
    };
    if let Ok(s) = obj.cast::<PyCollectingSink>() {
        return Ok(s.get().inner.clone());
    }
    crate::runtime::require(obj, "event sink", &["emit"])?;
    Ok(Arc::new(HostSink {
        obj: obj.clone().unbind(),
    }))
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyCollectingSink>()
}
