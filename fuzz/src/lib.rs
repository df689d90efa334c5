//! What the fuzz targets check besides "no panic": listings that survive a JSON round trip
//! (the form every binding and the CLI hand them over in), output sizes bounded by the input,
//! and a sync of a fuzzed listing that behaves like a sync: its saved plan executes, and a
//! second preview of the same listing plans nothing.

use std::sync::Arc;

use futures::executor::block_on;
use sync_core::{DesiredTask, Listing, MemoryStore, Plan, Policy, SyncEngine};

/// The bytes of text a task carries (id, kind, title, parent, fields as JSON).
pub fn task_bytes(task: &DesiredTask) -> usize {
    let content = &task.content;
    let fields: usize = content
        .fields
        .iter()
        .map(|(key, value)| key.len() + value.to_string().len())
        .sum();
    task.external_id.len()
        + content.kind.len()
        + content.title.len()
        + content.parent.as_ref().map_or(0, String::len)
        + fields
}

/// Asserts that `value` comes back equal from its JSON text.
pub fn assert_json_round_trip<T>(value: &T, what: &str)
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let text = serde_json::to_string(value).expect("a core type always serializes");
    let back: T = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{what} does not read back from its own JSON: {e}\n{text}"));
    assert_eq!(&back, value, "{what} changed through its JSON: {text}");
}

/// The checks every source's tasks get: each id starts with `prefix`, their text is bounded by
/// `limit` bytes, and a listing of them (up to 64) survives its JSON round trip.
pub fn check_tasks(source: &str, tasks: &[DesiredTask], prefix: &str, limit: usize) {
    for task in tasks {
        assert!(
            task.external_id.starts_with(prefix),
            "external id `{}` does not start with `{prefix}`",
            task.external_id
        );
    }
    let total: usize = tasks.iter().map(task_bytes).sum();
    assert!(
        total <= limit,
        "{} tasks carry {total} bytes, more than the bound {limit}",
        tasks.len()
    );
    // Large listings cost far more time than they add: the round trip is about values.
    if tasks.len() <= 64 {
        assert_json_round_trip(&Listing::complete(source, tasks.to_vec()), "a listing");
    }
}

/// Syncs `listing` into a fresh in-memory hub under `policy` the way the CLI does (preview,
/// save the plan as JSON, read it back, execute it) and checks that a second preview plans no
/// write. Listings the core refuses (empty or oversized names) are fine: nothing else is.
pub fn sync_twice(listing: &Listing, policy: &Policy) {
    let engine = SyncEngine::new(Arc::new(MemoryStore::new()));
    let scope = "fuzz";
    let Ok(plan) = block_on(engine.preview(scope, listing, policy)) else {
        return;
    };
    let text = serde_json::to_string(&plan).expect("a plan always serializes");
    let saved: Plan = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("a saved plan does not read back: {e}\n{text}"));
    assert_eq!(saved, plan, "a plan changed through its saved JSON: {text}");
    let report = block_on(engine.execute(&saved, true))
        .unwrap_or_else(|e| panic!("a fresh plan failed to execute: {e}\n{text}"));
    assert_eq!(report.created, plan.creates.len());
    let again = block_on(engine.preview(scope, listing, policy))
        .unwrap_or_else(|e| panic!("the second preview failed: {e}"));
    assert!(
        again.is_empty(),
        "a second preview of the same listing plans writes: {}",
        serde_json::to_string(&again).unwrap_or_default()
    );
}

/// A push receipt is a few values picked out of the answer: its JSON text is bounded by the
/// answer's (a number may print longer than it was written, `1e5` as `100000.0`).
pub fn check_receipt(receipt: &serde_json::Value, body: &[u8]) {
    let text = receipt.to_string().len();
    assert!(
        text <= 8 * body.len() + 128,
        "a {text}-byte receipt from a {}-byte answer",
        body.len()
    );
}
