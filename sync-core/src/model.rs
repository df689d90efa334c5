//! The task model: what a hub task is, what a source says a task should be, and a status set.
//!
//! Invariants:
//! - A task's identity across systems is `(source, external_id)`; the hub id is derived from it
//!   ([`Task::hub_id`]) so two syncs can never mint two hub tasks for one external task.
//! - `version` starts at 1 on insert and grows by exactly 1 on every write; stores compare it
//!   before every update or delete (compare-and-swap).
//! - Times are integer milliseconds from the [`crate::Clock`]; nothing here reads the wall clock.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// Milliseconds since the Unix epoch, as given by a [`crate::Clock`].
pub type Millis = i64;

/// Free-form, source-specific fields of a task (priority, due date, URL, ...). Ordered, so that
/// equality, serialization and fingerprints are deterministic.
pub type Fields = BTreeMap<String, serde_json::Value>;

/// The status of a task in the hub.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Generated but not yet made formal; the only status a sync touches by default.
    Draft,
    /// Formal, not started.
    Pending,
    /// Being worked on.
    InProgress,
    /// Waiting on something else.
    Blocked,
    /// Done.
    Completed,
    /// Abandoned.
    Cancelled,
}

impl Status {
    /// Every status, in lifecycle order.
    pub const ALL: [Status; 6] = [
        Status::Draft,
        Status::Pending,
        Status::InProgress,
        Status::Blocked,
        Status::Completed,
        Status::Cancelled,
    ];

    /// The snake_case name used in JSON, files and every binding.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Pending => "pending",
            Status::InProgress => "in_progress",
            Status::Blocked => "blocked",
            Status::Completed => "completed",
            Status::Cancelled => "cancelled",
        }
    }

    /// Whether the task is finished (completed or cancelled).
    pub fn is_terminal(self) -> bool {
        matches!(self, Status::Completed | Status::Cancelled)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The part of a task that a source owns and a sync compares, field by field.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TaskContent {
    /// Item type: `task`, `epic`, `feature`, `user_story`, `step`, ...
    pub kind: String,
    /// Human-readable title.
    pub title: String,
    /// The status the source asks for; `None` when the source does not dictate status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// External id of the parent task in the same source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// Source-specific fields.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: Fields,
}

/// A task as a source lists it: what the hub's copy should look like. Its serde form is flat
/// (`external_id`, the content's keys, `modified_at`); unknown keys are refused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "DesiredTaskInput")]
pub struct DesiredTask {
    /// The task's id in its source; unique within one listing.
    pub external_id: String,
    /// The compared content.
    #[serde(flatten)]
    pub content: TaskContent,
    /// When the source last changed it, if the source knows (used by newest-wins merges).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified_at: Option<Millis>,
}

/// The flat form a [`DesiredTask`] is read from (serde cannot refuse unknown keys through a
/// flattened field).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DesiredTaskInput {
    external_id: String,
    kind: String,
    title: String,
    #[serde(default)]
    status: Option<Status>,
    #[serde(default)]
    parent: Option<String>,
    #[serde(default)]
    fields: Fields,
    #[serde(default)]
    modified_at: Option<Millis>,
}

impl From<DesiredTaskInput> for DesiredTask {
    fn from(d: DesiredTaskInput) -> Self {
        DesiredTask {
            external_id: d.external_id,
            content: TaskContent {
                kind: d.kind,
                title: d.title,
                status: d.status,
                parent: d.parent,
                fields: d.fields,
            },
            modified_at: d.modified_at,
        }
    }
}

impl DesiredTask {
    /// A `task` with a title and nothing else.
    pub fn new(external_id: impl Into<String>, title: impl Into<String>) -> Self {
        DesiredTask {
            external_id: external_id.into(),
            content: TaskContent {
                kind: "task".into(),
                title: title.into(),
                status: None,
                parent: None,
                fields: Fields::new(),
            },
            modified_at: None,
        }
    }

    /// Sets the kind.
    pub fn kind(mut self, kind: impl Into<String>) -> Self {
        self.content.kind = kind.into();
        self
    }

    /// Sets the status the source asks for.
    pub fn status(mut self, status: Status) -> Self {
        self.content.status = Some(status);
        self
    }

    /// Sets the parent's external id.
    pub fn parent(mut self, parent: impl Into<String>) -> Self {
        self.content.parent = Some(parent.into());
        self
    }

    /// Sets one source-specific field.
    pub fn field(mut self, name: impl Into<String>, value: impl Into<serde_json::Value>) -> Self {
        self.content.fields.insert(name.into(), value.into());
        self
    }

    /// Sets the source's modification time.
    pub fn modified_at(mut self, at: Millis) -> Self {
        self.modified_at = Some(at);
        self
    }
}

/// What a source listed for a scope. Unknown keys are refused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Listing {
    /// The source's name (`files`, `mstodo`, `connectwise`, ...); half of every task's identity.
    pub source: String,
    /// The tasks it listed.
    pub items: Vec<DesiredTask>,
    /// Whether the listing is known to be complete. A sync never deletes on an incomplete
    /// listing: a missing item may just not have been fetched.
    pub complete: bool,
}

impl Listing {
    /// A complete listing.
    pub fn complete(source: impl Into<String>, items: Vec<DesiredTask>) -> Self {
        Listing {
            source: source.into(),
            items,
            complete: true,
        }
    }

    /// A partial listing (a failed page, a filtered query): deletions are never derived from it.
    pub fn partial(source: impl Into<String>, items: Vec<DesiredTask>) -> Self {
        Listing {
            source: source.into(),
            items,
            complete: false,
        }
    }
}

/// A task as the hub stores it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Task {
    /// Hub id; for synced tasks derived from the identity by [`Task::hub_id`].
    pub id: String,
    /// The source system's name.
    pub source: String,
    /// The task's id in its source.
    pub external_id: String,
    /// The hub grouping it belongs to (a project, a work order, a list).
    pub scope: String,
    /// Item type.
    pub kind: String,
    /// Title.
    pub title: String,
    /// Hub status.
    pub status: Status,
    /// External id of the parent task in the same source.
    #[serde(default)]
    pub parent: Option<String>,
    /// Source-specific fields.
    #[serde(default)]
    pub fields: Fields,
    /// The values last synced from the source (the base of a three-way merge).
    #[serde(default)]
    pub base: Option<TaskContent>,
    /// Compare-and-swap version: 1 on insert, +1 on every write.
    pub version: u64,
    /// When the hub created it.
    pub created_at: Millis,
    /// When the hub last wrote it.
    pub updated_at: Millis,
}

impl Task {
    /// The hub id of the task with this identity: a stable 128-bit hash, so that every process,
    /// binding and retry computes the same id and a unique key makes a double create impossible.
    ///
    /// The hashed bytes encode the two parts unambiguously, so two identities never share
    /// them (only a 128-bit hash collision could give two identities one id):
    /// - neither part contains a NUL: `source ‖ 0x00 ‖ external_id`. The one NUL marks where
    ///   the source ends. This is the encoding every hub id had before NUL-safe ids, kept so
    ///   that the ids stores, jobs, history and hosts already hold stay valid.
    /// - a part contains a NUL: `0x00 0x00 ‖ len(source) as u64 LE ‖ source ‖ external_id`.
    ///   The length says where the source ends. These bytes begin with two NULs, which the
    ///   first form never holds (exactly one NUL), so the two forms never meet.
    ///
    /// (Joining with a NUL alone made `("a", "b\0c")` and `("a\0b", "c")` one id, so the
    /// second could never be created.) Stores that kept such a task under its old id re-key it
    /// when they migrate (see `sync-sqlite`).
    pub fn hub_id(source: &str, external_id: &str) -> String {
        let mut hasher = xxhash_rust::xxh3::Xxh3::new();
        if source.contains('\0') || external_id.contains('\0') {
            hasher.update(&[0, 0]);
            hasher.update(&(source.len() as u64).to_le_bytes());
            hasher.update(source.as_bytes());
        } else {
            hasher.update(source.as_bytes());
            hasher.update(&[0]);
        }
        hasher.update(external_id.as_bytes());
        format!("t{:032x}", hasher.digest128())
    }

    /// The hub id this identity had before NUL-safe ids (the parts joined by one NUL): equal to
    /// [`Task::hub_id`] unless a part contains a NUL. For store migrations that re-key tasks
    /// stored under the old id; never use it for new tasks.
    pub fn legacy_hub_id(source: &str, external_id: &str) -> String {
        let mut hasher = xxhash_rust::xxh3::Xxh3::new();
        hasher.update(source.as_bytes());
        hasher.update(&[0]);
        hasher.update(external_id.as_bytes());
        format!("t{:032x}", hasher.digest128())
    }

    /// A new task (version 1) from a desired task, with no status from the source meaning draft.
    pub fn from_desired(scope: &str, source: &str, desired: &DesiredTask, now: Millis) -> Self {
        let content = &desired.content;
        Task {
            id: Task::hub_id(source, &desired.external_id),
            source: source.to_owned(),
            external_id: desired.external_id.clone(),
            scope: scope.to_owned(),
            kind: content.kind.clone(),
            title: content.title.clone(),
            status: content.status.unwrap_or(Status::Draft),
            parent: content.parent.clone(),
            fields: content.fields.clone(),
            base: Some(content.clone()),
            version: 1,
            created_at: now,
            updated_at: now,
        }
    }
}
