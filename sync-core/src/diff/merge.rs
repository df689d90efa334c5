//! Field-level merge of one hub task with what its source lists, against the last synced base.

use serde_json::Value;

use super::plan::{Conflict, FieldChange, Resolution};
use super::policy::ConflictStrategy;
use crate::model::{DesiredTask, Task, TaskContent};

/// Where one field's value comes from after the merge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    /// Both sides agree.
    Same,
    /// Only the source changed it (or no base is known): take the source's.
    Source,
    /// Only the hub changed it: keep the hub's.
    Hub,
    /// Both changed it, differently.
    Conflict,
}

fn three_way<T: PartialEq + ?Sized>(hub: &T, source: &T, base: Option<&T>) -> Outcome {
    if hub == source {
        Outcome::Same
    } else {
        match base {
            None => Outcome::Source,
            Some(b) if b == hub => Outcome::Source,
            Some(b) if b == source => Outcome::Hub,
            Some(_) => Outcome::Conflict,
        }
    }
}

/// The result of merging one task.
#[derive(Debug, Default)]
pub(super) struct Merged {
    pub(super) changes: Vec<FieldChange>,
    pub(super) conflicts: Vec<Conflict>,
    /// The task after the merge, when anything (content or base) moves.
    pub(super) after: Option<Task>,
}

/// Whether the hub task already has the source's content and base: the fast path that keeps a
/// million-task diff cheap.
pub(super) fn in_sync(task: &Task, desired: &DesiredTask) -> bool {
    let d = &desired.content;
    task.title == d.title
        && task.kind == d.kind
        && d.status.is_none_or(|s| s == task.status)
        && task.parent == d.parent
        && task.fields == d.fields
        && task.base.as_ref() == Some(d)
}

struct Merger<'a> {
    task: &'a Task,
    desired: &'a DesiredTask,
    strategy: ConflictStrategy,
    merged: Merged,
}

impl<'a> Merger<'a> {
    /// Settles a field; returns whether the source's value is taken.
    fn field(&mut self, name: &str, outcome: Outcome, values: impl Fn() -> [Value; 3]) -> bool {
        let take = match outcome {
            Outcome::Same | Outcome::Hub => false,
            Outcome::Source => true,
            Outcome::Conflict => {
                let resolution = self.resolve();
                let [hub, source, base] = values();
                self.merged.conflicts.push(Conflict {
                    id: self.task.id.clone(),
                    external_id: self.task.external_id.clone(),
                    field: name.to_owned(),
                    base,
                    hub,
                    source,
                    resolution,
                });
                resolution == Resolution::Source
            }
        };
        if take {
            let [before, after, _] = values();
            self.merged.changes.push(FieldChange {
                field: name.to_owned(),
                before,
                after,
            });
        }
        take
    }

    fn resolve(&self) -> Resolution {
        match self.strategy {
            ConflictStrategy::SourceWins => Resolution::Source,
            ConflictStrategy::HubWins => Resolution::Hub,
            ConflictStrategy::Manual => Resolution::Manual,
            ConflictStrategy::NewestWins => match self.desired.modified_at {
                Some(at) if at < self.task.updated_at => Resolution::Hub,
                _ => Resolution::Source,
            },
        }
    }
}

fn json<T: serde::Serialize + ?Sized>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// Merges one hub task with its listed counterpart.
pub(super) fn merge(task: &Task, desired: &DesiredTask, strategy: ConflictStrategy) -> Merged {
    let d = &desired.content;
    let base = task.base.as_ref();
    let mut m = Merger {
        task,
        desired,
        strategy,
        merged: Merged::default(),
    };
    let mut after = task.clone();

    let outcome = three_way(&task.kind, &d.kind, base.map(|b| &b.kind));
    let vals = || {
        [
            json(&task.kind),
            json(&d.kind),
            json(&base.map(|b| &b.kind)),
        ]
    };
    if m.field("kind", outcome, vals) {
        after.kind = d.kind.clone();
    }

    let outcome = three_way(&task.title, &d.title, base.map(|b| &b.title));
    let vals = || {
        [
            json(&task.title),
            json(&d.title),
            json(&base.map(|b| &b.title)),
        ]
    };
    if m.field("title", outcome, vals) {
        after.title = d.title.clone();
    }

    if let Some(status) = d.status {
        let base_status = base.and_then(|b| b.status);
        let outcome = three_way(&task.status, &status, base_status.as_ref());
        let vals = || [json(&task.status), json(&status), json(&base_status)];
        if m.field("status", outcome, vals) {
            after.status = status;
        }
    }

    let outcome = three_way(&task.parent, &d.parent, base.map(|b| &b.parent));
    let vals = || {
        [
            json(&task.parent),
            json(&d.parent),
            json(&base.map(|b| &b.parent)),
        ]
    };
    if m.field("parent", outcome, vals) {
        after.parent = d.parent.clone();
    }

    let mut names: Vec<&String> = task.fields.keys().chain(d.fields.keys()).collect();
    names.sort_unstable();
    names.dedup();
    for name in names {
        let (h, s) = (task.fields.get(name), d.fields.get(name));
        let b = base.map(|b| b.fields.get(name));
        let outcome = three_way(&h, &s, b.as_ref());
        let label = format!("fields.{name}");
        let vals = || [json(&h), json(&s), json(&b.flatten())];
        if m.field(&label, outcome, vals) {
            match s {
                Some(v) => after.fields.insert(name.clone(), v.clone()),
                None => after.fields.remove(name),
            };
        }
    }

    // The new base is what the source said, except where a conflict was not taken: there
    // the old base stays, so the conflict shows again until someone settles it. A conflict
    // settled for the hub advances the base too (the hub's value is the agreed one now).
    let mut new_base: TaskContent = d.clone();
    if let Some(old) = base {
        let manual = m
            .merged
            .conflicts
            .iter()
            .filter(|c| c.resolution == Resolution::Manual);
        for conflict in manual {
            match conflict.field.as_str() {
                "kind" => new_base.kind = old.kind.clone(),
                "title" => new_base.title = old.title.clone(),
                "status" => new_base.status = old.status,
                "parent" => new_base.parent = old.parent.clone(),
                field => {
                    let name = field.trim_start_matches("fields.");
                    match old.fields.get(name) {
                        Some(v) => new_base.fields.insert(name.to_owned(), v.clone()),
                        None => new_base.fields.remove(name),
                    };
                }
            }
        }
    }
    let mut merged = m.merged;
    if !merged.changes.is_empty() || task.base.as_ref() != Some(&new_base) {
        after.base = Some(new_base);
        after.version = task.version + 1;
        merged.after = Some(after);
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Status;

    fn task(title: &str, base_title: Option<&str>) -> Task {
        let desired = DesiredTask::new("x", base_title.unwrap_or(title));
        let mut t = Task::from_desired("s", "src", &desired, 5);
        t.title = title.into();
        if base_title.is_none() {
            t.base = None;
        }
        t
    }

    #[test]
    fn three_way_outcomes() {
        assert_eq!(three_way("a", "a", Some("b")), Outcome::Same);
        assert_eq!(three_way("a", "b", None), Outcome::Source);
        assert_eq!(three_way("a", "b", Some("a")), Outcome::Source);
        assert_eq!(three_way("b", "a", Some("a")), Outcome::Hub);
        assert_eq!(three_way("b", "c", Some("a")), Outcome::Conflict);
    }

    #[test]
    fn manual_conflict_keeps_hub_value_and_old_base() {
        let t = task("hub edit", Some("orig"));
        let d = DesiredTask::new("x", "source edit");
        let m = merge(&t, &d, ConflictStrategy::Manual);
        assert!(m.changes.is_empty());
        assert_eq!(m.conflicts.len(), 1);
        assert_eq!(m.conflicts[0].resolution, Resolution::Manual);
        // Base unchanged, content unchanged: nothing to write.
        assert!(m.after.is_none());
    }

    #[test]
    fn newest_wins_compares_times() {
        let t = task("hub edit", Some("orig")); // updated_at = 5
        let older = DesiredTask::new("x", "source edit").modified_at(4);
        let newer = DesiredTask::new("x", "source edit").modified_at(6);
        let m = merge(&t, &older, ConflictStrategy::NewestWins);
        assert_eq!(m.conflicts[0].resolution, Resolution::Hub);
        assert!(m.changes.is_empty());
        assert_eq!(m.after.unwrap().base.unwrap().title, "source edit");
        let m = merge(&t, &newer, ConflictStrategy::NewestWins);
        assert_eq!(m.conflicts[0].resolution, Resolution::Source);
        assert_eq!(m.after.unwrap().title, "source edit");
    }

    #[test]
    fn status_only_compared_when_source_dictates_it() {
        let mut t = task("a", Some("a"));
        t.status = Status::Completed;
        let d = DesiredTask::new("x", "a");
        assert!(
            merge(&t, &d, ConflictStrategy::SourceWins)
                .changes
                .is_empty()
        );
        let d = d.status(Status::Pending);
        let m = merge(&t, &d, ConflictStrategy::SourceWins);
        assert_eq!(m.changes[0].field, "status");
    }
}
