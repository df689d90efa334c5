//! Binding plumbing (no core module of this name). Logging: the core's and the built-in
//! adapters' `tracing` events, routed to a JS function (`setLogger(fn, level)`), which gets
//! `{level, target, message}` objects on the JS thread.
//!
//! Invariants: one logger at a time for the process; an event below its level is not
//! formatted; lines are queued without blocking the thread that logs (a full queue drops the
//! line) and the logger never keeps the process alive; a logger that throws loses that line
//! only. The core and the adapters never put a secret in an event (they redact what a server
//! echoes), so nothing here filters: the host's logs get exactly what the core logs.

use std::sync::{Once, RwLock};

use napi::bindgen_prelude::Function;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;
use serde::Serialize;
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::prelude::*;

use crate::error::{guard_sync, invalid};

type Logger = ThreadsafeFunction<String, (), String, napi::Status, false, true>;

static LOGGER: RwLock<Option<(Logger, Level)>> = RwLock::new(None);
static SUBSCRIBER: Once = Once::new();

#[derive(Serialize)]
struct Line<'a> {
    level: &'a str,
    target: &'a str,
    message: String,
}

struct JsLogging;

impl<S: Subscriber> Layer<S> for JsLogging {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let Ok(installed) = LOGGER.read() else { return };
        let Some((logger, max)) = installed.as_ref() else {
            return;
        };
        let level = *event.metadata().level();
        if level > *max {
            return;
        }
        let name = level.as_str().to_ascii_lowercase();
        let line = Line {
            level: &name,
            target: event.metadata().target(),
            message: sync_core::log::event_message(event),
        };
        if let Ok(json) = serde_json::to_string(&line) {
            let _ = logger.call(json, ThreadsafeFunctionCallMode::NonBlocking);
        }
    }
}

fn level(name: &str) -> napi::Result<Level> {
    Ok(match name {
        "error" => Level::ERROR,
        "warn" => Level::WARN,
        "info" => Level::INFO,
        "debug" => Level::DEBUG,
        "trace" => Level::TRACE,
        other => {
            return Err(invalid(format!(
                "level: unknown log level `{}`; expected error, warn, info, debug or trace",
                other.chars().take(32).collect::<String>()
            )));
        }
    })
}

/// Routes the core's log lines at `level` and above to `logger` (JSON `{level, target,
/// message}` text), replacing the logger set before; no logger stops the routing. The first
/// call installs the binding's `tracing` subscriber for the process.
#[napi]
pub fn set_logger(logger: Option<Function<'_, String, ()>>, level: String) -> napi::Result<()> {
    let level = self::level(&level)?;
    let logger: Option<Logger> = match logger {
        Some(f) => Some(
            f.build_threadsafe_function()
                .callee_handled::<false>()
                .weak::<true>()
                .build()?,
        ),
        None => None,
    };
    guard_sync(|| {
        SUBSCRIBER.call_once(|| {
            let _ = tracing_subscriber::registry().with(JsLogging).try_init();
        });
        let mut installed = LOGGER.write().unwrap_or_else(|p| p.into_inner());
        *installed = logger.map(|l| (l, level));
        Ok(())
    })
}

/// Emits one core `tracing` event at `level`, to test the routing (the binding's own tests).
#[napi]
pub fn log_for_tests(level: String, message: String) {
    match level.as_str() {
        "error" => tracing::error!(target: "sync_core", "{message}"),
        "warn" => tracing::warn!(target: "sync_core", "{message}"),
        "debug" => tracing::debug!(target: "sync_core", "{message}"),
        _ => tracing::info!(target: "sync_core", "{message}"),
    }
}
