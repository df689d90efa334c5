//! Log lines as the hosts show them: one `tracing` event as one line of text, the message then
//! its fields (`message key=value ...`). Every binding's log routing (Python `logging`, a JS
//! logger, a uniffi `LogSink`) formats events with [`event_message`], so a line reads the same
//! in every host.
//!
//! Invariant: nothing is filtered here; the core and the adapters never put a secret in an
//! event (they redact what a server echoes).

use std::fmt::Write as _;

use tracing::Event;
use tracing::field::{Field, Visit};

#[derive(Default)]
struct Fields {
    message: String,
    rest: String,
}

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            let _ = write!(self.rest, " {}={value:?}", field.name());
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            let _ = write!(self.rest, " {}={value}", field.name());
        }
    }
}

/// The event as one line: its message, then ` key=value` for each other field.
pub fn event_message(event: &Event<'_>) -> String {
    let mut fields = Fields::default();
    event.record(&mut fields);
    fields.message + &fields.rest
}
