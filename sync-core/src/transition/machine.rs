//! The status state machine: allowed transitions, guards and effects, as data.

use serde::{Deserialize, Serialize};

pub use crate::error::TransitionError;
use crate::model::{Status, Task};

/// One status change a transition implies.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusChange {
    /// Hub id.
    pub task_id: String,
    /// Status before.
    pub from: Status,
    /// Status after.
    pub to: Status,
    /// Why, for effects (`None` for the requested change).
    pub cause: Option<String>,
}

/// A condition that must hold before a task may enter a status.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Guard {
    /// Every external id in the task's `depends_on` field (a list) names a sibling task of the
    /// same source that is completed.
    DependenciesCompleted,
}

/// A change that follows a transition.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    /// When every child of a parent is completed or cancelled, the parent completes (a process
    /// auto-advances when its last step completes); applied upwards.
    CompleteParentWhenChildrenDone,
    /// When a child starts, a parent that has not started starts too.
    StartParentWhenChildStarts,
}

/// The state machine, as data: edges, guards per target status, effects.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransitionRules {
    /// Allowed `(from, to)` edges.
    pub allowed: Vec<(Status, Status)>,
    /// Guards checked before entering a status.
    pub guards: Vec<(Status, Guard)>,
    /// Effects applied after a change.
    pub effects: Vec<Effect>,
}

impl Default for TransitionRules {
    /// The hub's lifecycle: draft → pending → in_progress ⇄ blocked → completed, cancel from
    /// any open status, reopen from completed or cancelled; dependencies guard starting and
    /// completing; a parent completes with its last child and starts with its first.
    fn default() -> Self {
        use Status::*;
        TransitionRules {
            allowed: vec![
                (Draft, Pending),
                (Draft, Cancelled),
                (Pending, InProgress),
                (Pending, Blocked),
                (Pending, Completed),
                (Pending, Cancelled),
                (InProgress, Pending),
                (InProgress, Blocked),
                (InProgress, Completed),
                (InProgress, Cancelled),
                (Blocked, Pending),
                (Blocked, InProgress),
                (Blocked, Cancelled),
                (Completed, Pending),
                (Completed, InProgress),
                (Cancelled, Pending),
            ],
            guards: vec![
                (InProgress, Guard::DependenciesCompleted),
                (Completed, Guard::DependenciesCompleted),
            ],
            effects: vec![
                Effect::CompleteParentWhenChildrenDone,
                Effect::StartParentWhenChildStarts,
            ],
        }
    }
}

impl TransitionRules {
    /// Whether the machine has an edge `from → to`.
    pub fn allows(&self, from: Status, to: Status) -> bool {
        self.allowed.contains(&(from, to))
    }

    /// Every status change that moving `task` to `to` implies: the change itself, then effects.
    /// `related` holds the tasks guards and effects look at (siblings, parents; the task itself
    /// may be among them). Moving a task to the status it has is no change.
    pub fn plan(
        &self,
        task: &Task,
        to: Status,
        related: &[Task],
    ) -> Result<Vec<StatusChange>, TransitionError> {
        if task.status == to {
            return Ok(Vec::new());
        }
        if !self.allows(task.status, to) {
            return Err(TransitionError::Invalid {
                task: task.id.clone(),
                from: task.status,
                to,
            });
        }
        for (_, guard) in self.guards.iter().filter(|(status, _)| *status == to) {
            check(guard, task, to, related)?;
        }
        let mut changes = vec![StatusChange {
            task_id: task.id.clone(),
            from: task.status,
            to,
            cause: None,
        }];
        self.apply_effects(task, to, related, &mut changes);
        Ok(changes)
    }

    fn apply_effects(
        &self,
        task: &Task,
        to: Status,
        related: &[Task],
        out: &mut Vec<StatusChange>,
    ) {
        let status_of = |t: &Task, out: &[StatusChange]| {
            out.iter()
                .rev()
                .find(|c| c.task_id == t.id)
                .map_or(t.status, |c| c.to)
        };
        let mut child = task.clone();
        child.status = to;
        // Walk up the parents while an effect fires; a depth bound guards against cycles.
        for _ in 0..64 {
            let Some(parent) = parent_of(&child, related) else {
                return;
            };
            let parent_status = status_of(parent, out);
            let target = self.effects.iter().find_map(|effect| match effect {
                Effect::CompleteParentWhenChildrenDone
                    if child.status == Status::Completed
                        && children_of(parent, related)
                            .all(|c| c.id == child.id || status_of(c, out).is_terminal()) =>
                {
                    Some((Status::Completed, "all children done"))
                }
                Effect::StartParentWhenChildStarts
                    if child.status == Status::InProgress
                        && matches!(parent_status, Status::Draft | Status::Pending) =>
                {
                    Some((Status::InProgress, "a child started"))
                }
                _ => None,
            });
            let Some((next, cause)) = target else { return };
            if parent_status == next || !self.allows(parent_status, next) {
                return;
            }
            out.push(StatusChange {
                task_id: parent.id.clone(),
                from: parent_status,
                to: next,
                cause: Some(format!("{cause} (task `{}`)", child.id)),
            });
            child = parent.clone();
            child.status = next;
        }
    }
}

fn parent_of<'a>(task: &Task, related: &'a [Task]) -> Option<&'a Task> {
    let parent = task.parent.as_deref()?;
    related
        .iter()
        .find(|t| t.source == task.source && t.external_id == parent)
}

fn children_of<'a>(parent: &'a Task, related: &'a [Task]) -> impl Iterator<Item = &'a Task> {
    related.iter().filter(move |t| {
        t.source == parent.source && t.parent.as_deref() == Some(parent.external_id.as_str())
    })
}

fn check(guard: &Guard, task: &Task, to: Status, related: &[Task]) -> Result<(), TransitionError> {
    let failed = |reason: String| TransitionError::GuardFailed {
        task: task.id.clone(),
        from: task.status,
        to,
        reason,
    };
    match guard {
        Guard::DependenciesCompleted => {
            let Some(deps) = task.fields.get("depends_on") else {
                return Ok(());
            };
            let deps = deps.as_array().ok_or_else(|| {
                failed("field `depends_on` must be a list of external ids".into())
            })?;
            for dep in deps {
                let id = dep.as_str().unwrap_or_default();
                let found = related
                    .iter()
                    .find(|t| t.source == task.source && t.external_id == id);
                match found {
                    Some(t) if t.status == Status::Completed => {}
                    Some(t) => {
                        return Err(failed(format!("dependency `{id}` is {}", t.status)));
                    }
                    None => return Err(failed(format!("dependency `{id}` not found"))),
                }
            }
            Ok(())
        }
    }
}
