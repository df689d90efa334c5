//! Binding plumbing (no core module of this name). Logging: the core's and the built-in
//! adapters' `tracing` events, routed to a host [`LogSink`] (`set_log_sink`).
//!
//! Invariants: one sink at a time for the process; an event below the sink's level is not
//! formatted; a sink that fails or panics loses that line and never fails an operation. The
//! core and the adapters never put a secret in an event (they redact what a server echoes), so
//! nothing here filters: the host's own logs get exactly what the core logs.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Once, RwLock};

use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::prelude::*;

use crate::error::{TasksyncError, guard};

/// Receives log lines, implemented by the host (Python `logging`, Android `Log`, ...).
#[uniffi::export(with_foreign)]
pub trait LogSink: Send + Sync {
    /// One line: `level` (`error`, `warn`, `info`, `debug`, `trace`), `target` (the Rust
    /// module, `sync_core::retry::worker`, ...) and the message with its fields.
    fn log(&self, level: String, target: String, message: String);
}

type Installed = Option<(Arc<dyn LogSink>, Level)>;

static SINK: RwLock<Installed> = RwLock::new(None);
static SUBSCRIBER: Once = Once::new();

struct HostLogging;

impl<S: Subscriber> Layer<S> for HostLogging {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let Some((sink, max)) = SINK.read().ok().and_then(|s| s.clone()) else {
            return;
        };
        let level = *event.metadata().level();
        if level > max {
            return;
        }
        let message = sync_core::log::event_message(event);
        let target = event.metadata().target().to_owned();
        let name = level.as_str().to_ascii_lowercase();
        let _ = catch_unwind(AssertUnwindSafe(|| sink.log(name, target, message)));
    }
}

fn level(name: &str) -> Result<Level, TasksyncError> {
    Ok(match name {
        "error" => Level::ERROR,
        "warn" => Level::WARN,
        "info" => Level::INFO,
        "debug" => Level::DEBUG,
        "trace" => Level::TRACE,
        other => {
            return Err(TasksyncError::invalid(format!(
                "level: unknown log level `{}`; expected error, warn, info, debug or trace",
                other.chars().take(32).collect::<String>()
            )));
        }
    })
}

/// Routes the core's log lines at `level` (`error`, `warn`, `info`, `debug`, `trace`) and
/// above to `sink`, replacing the sink set before; `None` stops the routing. The first call
/// installs the binding's subscriber for the process (a host that installed another
/// `tracing` subscriber first keeps it, and this sink then gets nothing). An unknown level is
/// `InvalidInput` naming it.
#[uniffi::export(default(level = "info"))]
pub fn set_log_sink(sink: Option<Arc<dyn LogSink>>, level: String) -> Result<(), TasksyncError> {
    guard(|| {
        let level = self::level(&level)?;
        SUBSCRIBER.call_once(|| {
            let _ = tracing_subscriber::registry().with(HostLogging).try_init();
        });
        let mut installed = SINK
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *installed = sink.map(|sink| (sink, level));
        Ok(())
    })
}

/// Emits one core `tracing` event at `level` (`error`, `warn`, `info`, `debug`), to test the
/// routing (a hook for the binding's own tests).
#[uniffi::export]
pub fn log_for_tests(level: String, message: String) {
    match level.as_str() {
        "error" => tracing::error!(target: "sync_core", "{message}"),
        "warn" => tracing::warn!(target: "sync_core", "{message}"),
        "debug" => tracing::debug!(target: "sync_core", "{message}"),
        _ => tracing::info!(target: "sync_core", "{message}"),
    }
}
