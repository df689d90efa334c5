//! The model as uniffi records: [`Task`], [`DesiredTask`], [`Listing`], [`TaskContent`] and
//! the [`Status`] enum, converted to and from the core's types. Task fields are JSON texts by
//! name (see `json`); converting host input validates them, converting out cannot fail.

use std::collections::HashMap;

use crate::error::{TasksyncError, guard};
use crate::input;

/// A task's hub status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Status {
    /// Not yet accepted.
    Draft,
    /// Accepted, not started.
    Pending,
    /// Being worked on.
    InProgress,
    /// Waiting on something.
    Blocked,
    /// Done (terminal).
    Completed,
    /// Dropped (terminal).
    Cancelled,
}

impl From<Status> for sync_core::Status {
    fn from(s: Status) -> Self {
        match s {
            Status::Draft => sync_core::Status::Draft,
            Status::Pending => sync_core::Status::Pending,
            Status::InProgress => sync_core::Status::InProgress,
            Status::Blocked => sync_core::Status::Blocked,
            Status::Completed => sync_core::Status::Completed,
            Status::Cancelled => sync_core::Status::Cancelled,
        }
    }
}

impl From<sync_core::Status> for Status {
    fn from(s: sync_core::Status) -> Self {
        match s {
            sync_core::Status::Draft => Status::Draft,
            sync_core::Status::Pending => Status::Pending,
            sync_core::Status::InProgress => Status::InProgress,
            sync_core::Status::Blocked => Status::Blocked,
            sync_core::Status::Completed => Status::Completed,
            sync_core::Status::Cancelled => Status::Cancelled,
        }
    }
}

/// The synced content of a task (a task's `base`).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct TaskContent {
    /// Task kind (`task`, `epic`, ...).
    pub kind: String,
    /// Title.
    pub title: String,
    /// Status, when the source dictates it.
    #[uniffi(default = None)]
    pub status: Option<Status>,
    /// Parent's external id.
    #[uniffi(default = None)]
    pub parent: Option<String>,
    /// Extra fields, each value as JSON text.
    #[uniffi(default)]
    pub fields: HashMap<String, String>,
}

impl TryFrom<TaskContent> for sync_core::TaskContent {
    type Error = TasksyncError;
    fn try_from(c: TaskContent) -> Result<Self, TasksyncError> {
        Ok(sync_core::TaskContent {
            kind: c.kind,
            title: c.title,
            status: c.status.map(Into::into),
            parent: c.parent,
            fields: input::fields_in(c.fields)?,
        })
    }
}

impl From<&sync_core::TaskContent> for TaskContent {
    fn from(c: &sync_core::TaskContent) -> Self {
        TaskContent {
            kind: c.kind.clone(),
            title: c.title.clone(),
            status: c.status.map(Into::into),
            parent: c.parent.clone(),
            fields: input::fields_out(&c.fields),
        }
    }
}

/// One task as a source lists it.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct DesiredTask {
    /// The source's id for it.
    pub external_id: String,
    /// Task kind (`task`, `epic`, ...).
    pub kind: String,
    /// Title.
    pub title: String,
    /// Status, when the source dictates it.
    #[uniffi(default = None)]
    pub status: Option<Status>,
    /// Parent's external id.
    #[uniffi(default = None)]
    pub parent: Option<String>,
    /// Extra fields, each value as JSON text.
    #[uniffi(default)]
    pub fields: HashMap<String, String>,
    /// When the source last changed it (ms since the epoch), for `NewestWins`.
    #[uniffi(default = None)]
    pub modified_at: Option<i64>,
}

impl TryFrom<DesiredTask> for sync_core::DesiredTask {
    type Error = TasksyncError;
    fn try_from(d: DesiredTask) -> Result<Self, TasksyncError> {
        Ok(sync_core::DesiredTask {
            external_id: d.external_id,
            content: sync_core::TaskContent {
                kind: d.kind,
                title: d.title,
                status: d.status.map(Into::into),
                parent: d.parent,
                fields: input::fields_in(d.fields)?,
            },
            modified_at: d.modified_at,
        })
    }
}

impl From<&sync_core::DesiredTask> for DesiredTask {
    fn from(d: &sync_core::DesiredTask) -> Self {
        DesiredTask {
            external_id: d.external_id.clone(),
            kind: d.content.kind.clone(),
            title: d.content.title.clone(),
            status: d.content.status.map(Into::into),
            parent: d.content.parent.clone(),
            fields: input::fields_out(&d.content.fields),
            modified_at: d.modified_at,
        }
    }
}

/// What a source lists for a scope.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Listing {
    /// The source's name.
    pub source: String,
    /// Its tasks.
    pub items: Vec<DesiredTask>,
    /// Whether this is everything the source has (only then are missing tasks deleted).
    pub complete: bool,
}

impl TryFrom<Listing> for sync_core::Listing {
    type Error = TasksyncError;
    fn try_from(l: Listing) -> Result<Self, TasksyncError> {
        Ok(sync_core::Listing {
            source: l.source,
            items: l
                .items
                .into_iter()
                .map(TryInto::try_into)
                .collect::<Result<_, _>>()?,
            complete: l.complete,
        })
    }
}

impl From<&sync_core::Listing> for Listing {
    fn from(l: &sync_core::Listing) -> Self {
        Listing {
            source: l.source.clone(),
            items: l.items.iter().map(Into::into).collect(),
            complete: l.complete,
        }
    }
}

/// A task in the hub.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Task {
    /// Hub id (see [`hub_id`]).
    pub id: String,
    /// Source name.
    pub source: String,
    /// The source's id for it.
    pub external_id: String,
    /// The scope that owns it.
    pub scope: String,
    /// Task kind.
    pub kind: String,
    /// Title.
    pub title: String,
    /// Hub status.
    pub status: Status,
    /// Parent's external id.
    pub parent: Option<String>,
    /// Extra fields, each value as JSON text.
    pub fields: HashMap<String, String>,
    /// The content last synced from the source (the three-way merge base).
    pub base: Option<TaskContent>,
    /// Row version (optimistic concurrency).
    pub version: u64,
    /// Creation time (ms).
    pub created_at: i64,
    /// Last update time (ms).
    pub updated_at: i64,
}

impl TryFrom<Task> for sync_core::Task {
    type Error = TasksyncError;
    fn try_from(t: Task) -> Result<Self, TasksyncError> {
        Ok(sync_core::Task {
            id: t.id,
            source: t.source,
            external_id: t.external_id,
            scope: t.scope,
            kind: t.kind,
            title: t.title,
            status: t.status.into(),
            parent: t.parent,
            fields: input::fields_in(t.fields)?,
            base: t.base.map(TryInto::try_into).transpose()?,
            version: t.version,
            created_at: t.created_at,
            updated_at: t.updated_at,
        })
    }
}

impl From<&sync_core::Task> for Task {
    fn from(t: &sync_core::Task) -> Self {
        Task {
            id: t.id.clone(),
            source: t.source.clone(),
            external_id: t.external_id.clone(),
            scope: t.scope.clone(),
            kind: t.kind.clone(),
            title: t.title.clone(),
            status: t.status.into(),
            parent: t.parent.clone(),
            fields: input::fields_out(&t.fields),
            base: t.base.as_ref().map(Into::into),
            version: t.version,
            created_at: t.created_at,
            updated_at: t.updated_at,
        }
    }
}

/// The hub id of a source's task: stable, the same in every binding.
#[uniffi::export]
pub fn hub_id(source: String, external_id: String) -> String {
    sync_core::Task::hub_id(&source, &external_id)
}

/// A new hub task (version 1, created and updated at `now_ms`; a desired task without a
/// status is a draft; its content is its base) from what `source` lists in `scope`, exactly as
/// the core computes it, so hosts seeding or importing tasks never restate the identity hash.
/// A field that is not JSON is `InvalidInput` naming it.
#[uniffi::export]
pub fn task_from_desired(
    scope: String,
    source: String,
    desired: DesiredTask,
    now_ms: i64,
) -> Result<Task, TasksyncError> {
    guard(|| {
        let desired: sync_core::DesiredTask = desired.try_into()?;
        Ok((&sync_core::Task::from_desired(&scope, &source, &desired, now_ms)).into())
    })
}

/// Whether `status` is final (completed or cancelled): the core's rule.
#[uniffi::export]
pub fn status_is_terminal(status: Status) -> bool {
    sync_core::Status::from(status).is_terminal()
}
