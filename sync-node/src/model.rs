//! The task model: hub ids and new tasks from desired ones, exactly as the core computes them
//! (hosts seeding or importing tasks must not re-implement the identity hash).

use napi_derive::napi;
use sync_core::{DesiredTask, Status, Task};

use crate::error::{core, guard_sync, to_json};
use crate::input::parse;

/// Whether `status` is terminal (completed or cancelled); an unknown status is
/// `invalid_input` naming the known ones.
#[napi]
pub fn status_is_terminal(status: String) -> napi::Result<bool> {
    guard_sync(|| Ok(status.parse::<Status>().map_err(core)?.is_terminal()))
}

/// The hub id of the task with this identity (a stable 128-bit hash).
#[napi]
pub fn hub_id(source: String, external_id: String) -> String {
    Task::hub_id(&source, &external_id)
}

/// A new task (version 1; no source status means draft) from a desired task (JSON
/// `DesiredTask`), as JSON `Task`.
#[napi]
pub fn task_from_desired(
    scope: String,
    source: String,
    desired: String,
    now_ms: i64,
) -> napi::Result<String> {
    guard_sync(|| {
        let desired: DesiredTask = parse("desired task", &desired)?;
        to_json(&Task::from_desired(&scope, &source, &desired, now_ms))
    })
}
