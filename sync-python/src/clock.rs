//! Clocks (mirrors `sync_core::clock`): the system clock, a manual clock, or a Python object
//! with a `now_ms()` method returning integer milliseconds.
//!
//! A host clock that fails (raises, or returns something that is not an integer) fails the
//! operation that asked for the time with `StoreError` (the core's `HostClock` rule), before
//! it writes anything; never a crash.

use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyInt};
use sync_core::{Clock, FallibleClock, HostClock, ManualClock, Millis, SystemClock};

/// A Python object as the clock.
struct PyHostClock {
    obj: Py<PyAny>,
}

impl FallibleClock for PyHostClock {
    fn read(&self) -> Result<Millis, String> {
        Python::attach(|py| {
            let now = self
                .obj
                .bind(py)
                .call_method0("now_ms")
                .map_err(|err| crate::error::describe(py, &err))?;
            // A bool is an int in Python, but never a time.
            if !now.is_instance_of::<PyInt>() || now.is_instance_of::<PyBool>() {
                let kind = now.get_type().name().map(|n| n.to_string());
                return Err(format!(
                    "now_ms() returned {}, not an integer number of milliseconds",
                    kind.unwrap_or_else(|_| "?".into())
                ));
            }
            now.extract::<Millis>()
                .map_err(|_| "now_ms() returned an integer beyond 64 bits".to_owned())
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
    crate::runtime::require(obj, "clock", &["now_ms"])?;
    Ok(Arc::new(HostClock::new(PyHostClock {
        obj: obj.clone().unbind(),
    })))
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyManualClock>()?;
    m.add_class::<PySystemClock>()?;
    Ok(())
}
