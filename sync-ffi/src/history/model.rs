//! The history's records (mirrors `sync_core::history`'s model): runs, items, audit entries,
//! their pages and enums, the actor and run context an engine call carries, and the recorder's
//! counts, with their conversions to and from the core's types (conversion only).

use std::collections::HashMap;

use sync_core::history as core;

use crate::input;

/// The life of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum RunStatus {
    /// Recorded, not started yet.
    Pending,
    /// Running.
    InProgress,
    /// Finished without error.
    Completed,
    /// Finished with an error (nothing of an execute was written).
    Failed,
    /// Stopped by its cancel token before anything was written.
    Cancelled,
}

/// What a run did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum RunKind {
    /// A read-only preview.
    Preview,
    /// An execute.
    Execute,
}

/// How one item of a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ItemOutcome {
    /// Created.
    Created,
    /// Updated.
    Updated,
    /// Deleted.
    Deleted,
    /// The write failed.
    Failed,
    /// Skipped by the policy or the identity rules.
    Skipped,
}

/// What an audit entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum AuditAction {
    /// An execute started.
    SyncStarted,
    /// An execute completed.
    SyncCompleted,
    /// An execute failed.
    SyncFailed,
    /// An execute was cancelled.
    SyncCancelled,
    /// A task's status changed.
    StatusChanged,
    /// A dead job was requeued by hand.
    JobRetried,
    /// A dead job was discarded by hand.
    JobDiscarded,
}

/// Who started a run or made a change (never a secret: no tokens, no cookies).
#[derive(Debug, Clone, Default, PartialEq, Eq, uniffi::Record)]
pub struct Actor {
    /// The user's name or id.
    #[uniffi(default = None)]
    pub user: Option<String>,
    /// The client's IP address.
    #[uniffi(default = None)]
    pub ip: Option<String>,
    /// The client's user agent.
    #[uniffi(default = None)]
    pub user_agent: Option<String>,
}

/// What a caller records with a run: who, and between which configured systems.
#[derive(Debug, Clone, Default, PartialEq, Eq, uniffi::Record)]
pub struct RunContext {
    /// Who.
    #[uniffi(default)]
    pub actor: Actor,
    /// The configured source's id.
    #[uniffi(default = None)]
    pub source_id: Option<String>,
    /// The configured target's id.
    #[uniffi(default = None)]
    pub target_id: Option<String>,
}

/// A run's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, uniffi::Record)]
pub struct Counters {
    /// Created.
    pub created: u64,
    /// Updated.
    pub updated: u64,
    /// Deleted.
    pub deleted: u64,
    /// Failed.
    pub failed: u64,
    /// Skipped.
    pub skipped: u64,
}

/// One sync run.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Run {
    /// Its id.
    pub id: String,
    /// Preview or execute.
    pub kind: RunKind,
    /// The scope.
    pub scope: String,
    /// The listing's source.
    pub source: String,
    /// Where it is.
    pub status: RunStatus,
    /// The policy's overwrite flag.
    pub overwrite: bool,
    /// Who and between which systems.
    pub context: RunContext,
    /// Start, ms since the epoch.
    pub started_at: i64,
    /// End, once over.
    pub ended_at: Option<i64>,
    /// Duration, once over.
    pub duration_ms: Option<i64>,
    /// Items it was to process.
    pub total_items: u64,
    /// Its counters.
    pub totals: Counters,
    /// Counters per item type.
    pub by_type: HashMap<String, Counters>,
    /// Deletions planned or made.
    pub deletions: u64,
    /// Why it failed.
    pub error: Option<String>,
}

/// One processed task of a run.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Item {
    /// Its position in the run.
    pub seq: u64,
    /// The task's id in its source.
    pub external_id: String,
    /// Its title.
    pub name: String,
    /// Its item type.
    pub kind: String,
    /// How it ended.
    pub outcome: ItemOutcome,
    /// The hub id it was written to.
    pub target_id: Option<String>,
    /// A link to it, when known.
    pub target_url: Option<String>,
    /// Why it failed or was skipped.
    pub error: Option<String>,
}

/// One audit log entry.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AuditEntry {
    /// Its id.
    pub id: String,
    /// When.
    pub at: i64,
    /// What.
    pub action: AuditAction,
    /// The entity's type (`run`, `task`, `job`).
    pub entity_type: String,
    /// The entity's id.
    pub entity_id: String,
    /// Who.
    pub actor: Actor,
    /// The state before, when it applies.
    pub from: Option<String>,
    /// The state after, when it applies.
    pub to: Option<String>,
    /// Details, as JSON text.
    pub details: String,
}

/// A page of runs, newest first; pass `next` as `after` for the following page.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RunPage {
    /// The runs.
    pub runs: Vec<Run>,
    /// The cursor of the next page (null on the last page).
    pub next: Option<String>,
}

/// A page of a run's items, in order.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ItemPage {
    /// The items.
    pub items: Vec<Item>,
    /// The `after` of the next page (null on the last page).
    pub next: Option<u64>,
}

/// A page of audit entries, newest first.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AuditPage {
    /// The entries.
    pub entries: Vec<AuditEntry>,
    /// The cursor of the next page (null on the last page).
    pub next: Option<String>,
}

/// What the recorder did so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct HistoryStats {
    /// Records waiting to be written.
    pub queued: u64,
    /// Records dropped (queue full, or recorded after `shutdown()`).
    pub dropped: u64,
    /// Records written.
    pub written: u64,
    /// Records the store refused.
    pub lost: u64,
}

/// Generates the two-way conversions of a fieldless enum mirrored from the core.
macro_rules! mirror_enum {
    ($ours:ident, $theirs:path, [$($v:ident),*]) => {
        impl From<$theirs> for $ours {
            fn from(v: $theirs) -> Self {
                use $theirs as T;
                match v { $(T::$v => $ours::$v,)* }
            }
        }
        impl From<$ours> for $theirs {
            fn from(v: $ours) -> Self {
                use $theirs as T;
                match v { $($ours::$v => T::$v,)* }
            }
        }
    };
}

mirror_enum!(
    RunStatus,
    core::RunStatus,
    [Pending, InProgress, Completed, Failed, Cancelled]
);
mirror_enum!(RunKind, core::RunKind, [Preview, Execute]);
mirror_enum!(
    ItemOutcome,
    core::ItemOutcome,
    [Created, Updated, Deleted, Failed, Skipped]
);
mirror_enum!(
    AuditAction,
    core::AuditAction,
    [
        SyncStarted,
        SyncCompleted,
        SyncFailed,
        SyncCancelled,
        StatusChanged,
        JobRetried,
        JobDiscarded
    ]
);

impl From<core::Actor> for Actor {
    fn from(a: core::Actor) -> Self {
        Actor {
            user: a.user,
            ip: a.ip,
            user_agent: a.user_agent,
        }
    }
}

impl From<Actor> for core::Actor {
    fn from(a: Actor) -> Self {
        core::Actor {
            user: a.user,
            ip: a.ip,
            user_agent: a.user_agent,
        }
    }
}

impl From<core::RunContext> for RunContext {
    fn from(c: core::RunContext) -> Self {
        RunContext {
            actor: c.actor.into(),
            source_id: c.source_id,
            target_id: c.target_id,
        }
    }
}

impl From<RunContext> for core::RunContext {
    fn from(c: RunContext) -> Self {
        core::RunContext {
            actor: c.actor.into(),
            source_id: c.source_id,
            target_id: c.target_id,
        }
    }
}

impl From<core::Counters> for Counters {
    fn from(c: core::Counters) -> Self {
        Counters {
            created: c.created,
            updated: c.updated,
            deleted: c.deleted,
            failed: c.failed,
            skipped: c.skipped,
        }
    }
}

impl From<core::Run> for Run {
    fn from(r: core::Run) -> Self {
        Run {
            id: r.id,
            kind: r.kind.into(),
            scope: r.scope,
            source: r.source,
            status: r.status.into(),
            overwrite: r.overwrite,
            context: r.context.into(),
            started_at: r.started_at,
            ended_at: r.ended_at,
            duration_ms: r.duration_ms,
            total_items: r.total_items,
            totals: r.totals.into(),
            by_type: r.by_type.into_iter().map(|(k, c)| (k, c.into())).collect(),
            deletions: r.deletions,
            error: r.error,
        }
    }
}

impl From<core::Item> for Item {
    fn from(i: core::Item) -> Self {
        Item {
            seq: i.seq,
            external_id: i.external_id,
            name: i.name,
            kind: i.kind,
            outcome: i.outcome.into(),
            target_id: i.target_id,
            target_url: i.target_url,
            error: i.error,
        }
    }
}

impl From<core::AuditEntry> for AuditEntry {
    fn from(e: core::AuditEntry) -> Self {
        AuditEntry {
            id: e.id,
            at: e.at,
            action: e.action.into(),
            entity_type: e.entity_type,
            entity_id: e.entity_id,
            actor: e.actor.into(),
            from: e.from,
            to: e.to,
            details: input::text(&e.details),
        }
    }
}
