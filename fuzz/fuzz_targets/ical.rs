//! An iCalendar object as a CalDAV server returns it. Reading never panics; rewriting its
//! status (complete, reopen, start) round trips: the rewritten object reads back with exactly
//! the requested status properties and every other property unchanged, a second rewrite with
//! the same payload changes nothing, and the output stays within twice the input plus the new
//! lines.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};
use sync_providers::fuzzing::{VTodo, caldav_apply, caldav_read};

const STAMP: &str = "20260101T100000Z";

fn expected(before: &VTodo, payload: &Value) -> VTodo {
    let mut want = before.clone();
    let text = |key: &str| match &payload[key] {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    };
    want.status = text("STATUS");
    want.completed = text("COMPLETED");
    want.percent = text("PERCENT-COMPLETE");
    want
}

fuzz_target!(|data: &[u8]| {
    // The adapter reads a GET answer as lossy UTF-8.
    let text = String::from_utf8_lossy(data);
    let before = caldav_read(&text);
    let payloads = [
        json!({"STATUS": "COMPLETED", "COMPLETED": STAMP, "PERCENT-COMPLETE": 100}),
        json!({"STATUS": "NEEDS-ACTION", "COMPLETED": null, "PERCENT-COMPLETE": null}),
        json!({"STATUS": "IN-PROCESS", "COMPLETED": null, "PERCENT-COMPLETE": 50}),
    ];
    for payload in &payloads {
        let Ok(out) = caldav_apply(&text, payload, STAMP) else {
            continue;
        };
        let before = before
            .as_ref()
            .expect("a rewritable object has a VTODO to read");
        let after = caldav_read(&out).expect("the rewritten object still has its VTODO");
        assert_eq!(
            after,
            expected(before, payload),
            "rewrite did not round trip:\n{out}"
        );
        assert!(
            out.len() <= 2 * text.len() + 256,
            "{} bytes out of {}",
            out.len(),
            text.len()
        );
        let twice = caldav_apply(&out, payload, STAMP).expect("a rewritten object rewrites");
        assert_eq!(twice, out, "a second identical rewrite changed the object");
    }
});
