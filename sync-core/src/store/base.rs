//! The stored form of a task's sync base, shared by the durable stores.
//!
//! A task's `base` (the source's content at the last sync, for three-way merges) nearly always
//! mirrors the task's own content: every create and every update from the source writes it so.
//! A store then keeps a marker instead of a second copy of the fields: [`BASE_SAME`] when the
//! base has the task's kind, title, parent and fields and no status, [`BASE_SAME_STATUS`] when
//! it also has the task's status; otherwise the base's JSON, and no column value at all for no
//! base. The marker saves encoding, storing and decoding the fields a second time.
//!
//! Invariant: [`base_of`] of [`base_column`] gives back exactly the task's base.

use crate::model::{Task, TaskContent};

/// The base column of a base that mirrors the task's content, with no status.
pub const BASE_SAME: &str = "=";
/// The base column of a base that mirrors the task's content, status included.
pub const BASE_SAME_STATUS: &str = "=s";

/// The marker for `base` when it mirrors `task`'s content, else `None`.
pub fn base_marker(task: &Task, base: &TaskContent) -> Option<&'static str> {
    let mirrors = base.kind == task.kind
        && base.title == task.title
        && base.parent == task.parent
        && base.fields == task.fields;
    match base.status {
        _ if !mirrors => None,
        None => Some(BASE_SAME),
        Some(status) if status == task.status => Some(BASE_SAME_STATUS),
        Some(_) => None,
    }
}

/// The base column of `task`: `None` for no base, a marker, or the base's JSON.
pub fn base_column(task: &Task) -> Result<Option<String>, serde_json::Error> {
    let Some(base) = task.base.as_ref() else {
        return Ok(None);
    };
    Ok(Some(match base_marker(task, base) {
        Some(marker) => marker.to_owned(),
        None => serde_json::to_string(base)?,
    }))
}

/// The base a column holds, for a task whose other columns are decoded already.
pub fn base_of(
    task: &Task,
    column: Option<&str>,
) -> Result<Option<TaskContent>, serde_json::Error> {
    let mirrored = |status| TaskContent {
        kind: task.kind.clone(),
        title: task.title.clone(),
        status,
        parent: task.parent.clone(),
        fields: task.fields.clone(),
    };
    match column {
        None => Ok(None),
        Some(BASE_SAME) => Ok(Some(mirrored(None))),
        Some(BASE_SAME_STATUS) => Ok(Some(mirrored(Some(task.status)))),
        Some(json) => serde_json::from_str(json).map(Some),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::model::{DesiredTask, Status};

    /// Every kind of base survives the column: none, mirrored with and without status, and
    /// bases that differ from the task in each part.
    #[test]
    fn base_column_round_trips() {
        let mut desired = DesiredTask::new("e\u{0}1", "Tïtle \"quoted\" ✓");
        desired.content.fields.insert("priority".into(), json!(3));
        desired
            .content
            .fields
            .insert("nested".into(), json!({"a": [1, "ü\0", null], "b\n": true}));
        let plain = Task::from_desired("s", "src", &desired, 1);
        let with_status =
            Task::from_desired("s", "src", &desired.clone().status(Status::Pending), 1);
        let mut other_status = with_status.clone();
        other_status.status = Status::Completed;
        let mut other_fields = plain.clone();
        other_fields.fields.insert("extra".into(), json!(1));
        let mut other_title = plain.clone();
        other_title.title = "edited in the hub".into();
        let mut other_parent = plain.clone();
        other_parent.parent = Some("p".into());
        let mut no_base = plain.clone();
        no_base.base = None;
        let cases = [
            (plain, Some(BASE_SAME)),
            (with_status, Some(BASE_SAME_STATUS)),
            (other_status, None),
            (other_fields, None),
            (other_title, None),
            (other_parent, None),
            (no_base, None),
        ];
        for (task, marker) in cases {
            let column = base_column(&task).expect("encodes");
            match (&task.base, marker) {
                (Some(_), Some(marker)) => assert_eq!(column.as_deref(), Some(marker)),
                (Some(b), None) => assert_eq!(column, Some(serde_json::to_string(b).unwrap())),
                (None, _) => assert_eq!(column, None),
            }
            assert_eq!(
                base_of(&task, column.as_deref()).expect("decodes"),
                task.base
            );
        }
    }
}
