//! Binding plumbing (no core module of this name). Logging: the core's `tracing` events, routed to Python's `logging` (logger `tasksync`).
//!
//! Invariant: an event is formatted only if the `tasksync` logger is enabled for its level, and
//! a failure to log is dropped (logging must never fail an operation). The core never puts a
//! secret in an event, so nothing here filters.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::prelude::*;

static LOGGER: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

struct PythonLogging;

fn python_level(level: &Level) -> i32 {
    match *level {
        Level::ERROR => 40,
        Level::WARN => 30,
        Level::INFO => 20,
        Level::DEBUG => 10,
        Level::TRACE => 5,
    }
}

impl<S: Subscriber> Layer<S> for PythonLogging {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let level = python_level(event.metadata().level());
        // `try_attach`: an event after the interpreter shut down (a background thread's) is
        // dropped, not a panic.
        let _ = Python::try_attach(|py| -> PyResult<()> {
            let logger = LOGGER.get_or_try_init(py, || {
                Ok::<_, PyErr>(
                    py.import("logging")?
                        .call_method1("getLogger", ("tasksync",))?
                        .unbind(),
                )
            })?;
            let logger = logger.bind(py);
            if !logger.call_method1("isEnabledFor", (level,))?.is_truthy()? {
                return Ok(());
            }
            let target = event.metadata().target();
            let message = format!("{} [{target}]", sync_core::log::event_message(event));
            logger.call_method1("log", (level, message))?;
            Ok(())
        });
    }
}

/// Installs the layer as the process's tracing subscriber (once; a host that installed its
/// own subscriber first keeps it).
pub(crate) fn install() {
    let _ = tracing_subscriber::registry()
        .with(PythonLogging)
        .try_init();
}

/// Emits one core `tracing` event at `level` (`info`, `warn`, ...), to test log routing (a
/// hidden hook for the binding's own tests).
#[pyfunction]
fn _log_for_tests(level: &str, message: &str) {
    match level {
        "error" => tracing::error!(target: "sync_core", "{message}"),
        "warn" => tracing::warn!(target: "sync_core", "{message}"),
        "debug" => tracing::debug!(target: "sync_core", "{message}"),
        _ => tracing::info!(target: "sync_core", "{message}"),
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_log_for_tests, m)?)?;
    Ok(())
}
