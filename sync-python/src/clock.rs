//! Clocks (mirrors `sync_core::clock`): the system clock, a manual clock, or a Python object
//! with a `now_ms()` method returning integer milliseconds.
//!
//! A host clock that fails (raises, or returns a non-integer) is logged and the system clock's
//! time is used instead: the `Clock` trait cannot fail, and a wrong clock must not crash a sync.

use std::sync::Arc;

use pyo3::prelude::*;
use sync_core::{Clock, ManualClock, Millis, SystemClock};

/// A Python object as the clock.
struct HostClock {
    obj: Py<PyAny>,
}

impl Clock for HostClock {
    fn now_ms(&self) -> Millis {
        let now = Python::attach(|py| {
            self.obj
                .bind(py)
                .call_method0("now_ms")?
                .extract::<Millis>()
        });
        now.unwrap_or_else(|err| {
            tracing::warn!(error = %err, "host clock failed; using the system clock");
            SystemClock.now_ms()
        })
    }
}

/// A clock that moves only when told to (tests).
#[pyclass(name = "ManualClock", module = "tasksync._native", frozen)]
#[derive(Debug)]
pub(crate) struct PyManualClock {
    inner: Arc<ManualClock>,
}

#[pymethods]
impl PyManualClock {
    #[new]
    #[pyo3(signature = (start = 0))]
    fn new(start: Millis) -> Self {
        PyManualClock {
            inner: Arc::new(ManualClock::new(start)),
        }
    }

    /// Now, in milliseconds.
    fn now_ms(&self) -> Millis {
        self.inner.now_ms()
    }

    /// Moves the clock by `delta_ms` (negative moves it back).
    fn advance(&self, delta_ms: i64) {
        self.inner.advance(delta_ms);
    }

    /// Sets the clock.
    fn set(&self, at: Millis) {
        self.inner.set(at);
    }

    fn __repr__(&self) -> String {
        format!("ManualClock(now_ms={})", self.inner.now_ms())
    }
}

/// The system's wall clock.
#[pyclass(name = "SystemClock", module = "tasksync._native", frozen)]
#[derive(Debug)]
pub(crate) struct PySystemClock;

#[pymethods]
impl PySystemClock {
    #[new]
    fn new() -> Self {
        PySystemClock
    }

    /// Now, in milliseconds.
    fn now_ms(&self) -> Millis {
        SystemClock.now_ms()
    }

    fn __repr__(&self) -> &'static str {
        "SystemClock()"
    }
}

/// The clock a `clock=` argument names (`None`: the system clock).
pub(crate) fn clock(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Arc<dyn Clock>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(Arc::new(SystemClock));
    };
    if let Ok(c) = obj.cast::<PyManualClock>() {
        return Ok(c.get().inner.clone());
    }
    if obj.cast::<PySystemClock>().is_ok() {
        return Ok(Arc::new(SystemClock));
    }
    crate::host::require(obj, "clock", &["now_ms"])?;
    Ok(Arc::new(HostClock {
        obj: obj.clone().unbind(),
    }))
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyManualClock>()?;
    m.add_class::<PySystemClock>()?;
    Ok(())
}
