//! Events: a core `EventSink` that hands each event, as JSON, to a JS callback without waiting.
//! The wrapper (`js/events.cjs`) turns the callback into an `EventEmitter` and async iterator.
//!
//! Invariant: `emit` never blocks the engine (non-blocking threadsafe call; if Node is shutting
//! down the event is dropped, as the core's sink contract allows).

use napi::bindgen_prelude::Function;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use sync_core::{Event, EventSink};

type EmitFn = ThreadsafeFunction<String, (), String, napi::Status, false, true>;

/// Sends events to a JS function `(eventJson: string) => void`.
pub struct JsSink(EmitFn);

impl std::fmt::Debug for JsSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JsSink")
    }
}

impl JsSink {
    /// Wraps the callback.
    pub fn new(callback: Function<'_, String, ()>) -> napi::Result<JsSink> {
        let tsfn = callback
            .build_threadsafe_function()
            .callee_handled::<false>()
            .weak::<true>()
            .build()?;
        Ok(JsSink(tsfn))
    }
}

impl EventSink for JsSink {
    fn emit(&self, event: Event) {
        if let Ok(json) = serde_json::to_string(&event) {
            let _ = self.0.call(json, ThreadsafeFunctionCallMode::NonBlocking);
        }
    }
}
