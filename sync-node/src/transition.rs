//! Status transitions: the core's state machine and provider status mappings, as pure
//! JSON-in/JSON-out functions (no store involved).
//!
//! Invariant: a refused transition is the core's `invalid_transition` error, unchanged.

use napi_derive::napi;
use sync_core::transition::{StatusMapping, TransitionRules};
use sync_core::{Status, Task};

use crate::error::{core, guard_sync, to_json};
use crate::input::parse;

fn status(s: &str) -> napi::Result<Status> {
    s.parse::<Status>().map_err(core)
}

fn rules(json: Option<String>) -> napi::Result<TransitionRules> {
    json.map_or_else(|| Ok(TransitionRules::default()), |j| parse("rules", &j))
}

/// Whether the rules (JSON `TransitionRules`, default when omitted) allow `from` → `to`.
#[napi]
pub fn transition_allowed(
    from: String,
    to: String,
    rules_json: Option<String>,
) -> napi::Result<bool> {
    guard_sync(|| Ok(rules(rules_json)?.allows(status(&from)?, status(&to)?)))
}

/// Every status change moving `task` (JSON `Task`) to `to` implies, given its related tasks
/// (JSON `Task[]`), as JSON `StatusChange[]`; refused changes fail with `invalid_transition`.
#[napi]
pub fn plan_transition(
    task: String,
    to: String,
    related: String,
    rules_json: Option<String>,
) -> napi::Result<String> {
    guard_sync(|| {
        let task: Task = parse("task", &task)?;
        let related: Vec<Task> = parse("related", &related)?;
        let changes = rules(rules_json)?
            .plan(&task, status(&to)?, &related)
            .map_err(|e| core(e.into()))?;
        to_json(&changes)
    })
}

/// The provider payload (JSON `MappedStatus`) for moving a task of provider `kind`
/// (`"mstodo"`, `"connectwise"`, ...) whose current remote state is `current` to status `to`.
#[napi]
pub fn map_status_to_provider(
    kind: String,
    to: String,
    current: String,
    now_ms: i64,
) -> napi::Result<String> {
    guard_sync(|| {
        let kind = parse(
            "provider kind",
            &serde_json::Value::String(kind).to_string(),
        )?;
        let current: serde_json::Value = parse("current", &current)?;
        to_json(&StatusMapping::new(kind).to_provider(status(&to)?, &current, now_ms))
    })
}

/// The hub status a provider payload (JSON) maps back to, or null when it does not map.
#[napi]
pub fn map_status_from_provider(kind: String, payload: String) -> napi::Result<Option<String>> {
    guard_sync(|| {
        let kind = parse(
            "provider kind",
            &serde_json::Value::String(kind).to_string(),
        )?;
        let payload: serde_json::Value = parse("payload", &payload)?;
        Ok(StatusMapping::new(kind)
            .from_provider(&payload)
            .map(|s| s.as_str().to_owned()))
    })
}
