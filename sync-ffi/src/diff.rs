//! The diff's shapes: the [`Policy`] record in, and the [`Plan`] out. A plan is an object,
//! not a record: `execute` must get back exactly what `preview` produced (its token covers the
//! writes), so hosts read it through accessors returning records and hand the object back.
//! `Plan.to_json` / `Plan.from_json` carry a plan across processes in the core's JSON shape.

use std::collections::HashMap;
use std::sync::Arc;

use crate::error::{TasksyncError, guard};
use crate::input;
use crate::model::{Status, Task};

/// How conflicting edits (hub and source both changed a field) are resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ConflictStrategy {
    /// The source's value wins.
    SourceWins,
    /// The hub's value wins.
    HubWins,
    /// The later `modified_at` wins.
    NewestWins,
    /// Neither: the conflict is reported and the hub keeps its value.
    Manual,
}

/// What a sync may touch (the core's `Policy`; [`default_policy`] gives its defaults).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Policy {
    /// Hub statuses a sync may change (`None`: all).
    pub writable: Option<Vec<Status>>,
    /// Hub statuses a sync never touches.
    pub protected: Vec<Status>,
    /// Delete the scope's tasks and recreate them from the listing.
    pub overwrite: bool,
    /// Conflict resolution.
    pub strategy: ConflictStrategy,
    /// Largest share of the scope one sync may delete without `force_deletes`.
    pub max_delete_ratio: f64,
    /// Deletes always allowed regardless of the ratio.
    pub max_delete_floor: u64,
    /// Allow a mass deletion.
    pub force_deletes: bool,
}

/// The core's default policy (only drafts writable, source wins, mass-deletion guard on).
#[uniffi::export]
pub fn default_policy() -> Policy {
    (&sync_core::Policy::default()).into()
}

impl From<&sync_core::Policy> for Policy {
    fn from(p: &sync_core::Policy) -> Self {
        Policy {
            writable: p
                .writable
                .as_ref()
                .map(|w| w.iter().copied().map(Into::into).collect()),
            protected: p.protected.iter().copied().map(Into::into).collect(),
            overwrite: p.overwrite,
            strategy: match p.strategy {
                sync_core::ConflictStrategy::SourceWins => ConflictStrategy::SourceWins,
                sync_core::ConflictStrategy::HubWins => ConflictStrategy::HubWins,
                sync_core::ConflictStrategy::NewestWins => ConflictStrategy::NewestWins,
                sync_core::ConflictStrategy::Manual => ConflictStrategy::Manual,
            },
            max_delete_ratio: p.max_delete_ratio,
            max_delete_floor: p.max_delete_floor as u64,
            force_deletes: p.force_deletes,
        }
    }
}

impl From<Policy> for sync_core::Policy {
    fn from(p: Policy) -> Self {
        sync_core::Policy {
            writable: p.writable.map(|w| w.into_iter().map(Into::into).collect()),
            protected: p.protected.into_iter().map(Into::into).collect(),
            overwrite: p.overwrite,
            strategy: match p.strategy {
                ConflictStrategy::SourceWins => sync_core::ConflictStrategy::SourceWins,
                ConflictStrategy::HubWins => sync_core::ConflictStrategy::HubWins,
                ConflictStrategy::NewestWins => sync_core::ConflictStrategy::NewestWins,
                ConflictStrategy::Manual => sync_core::ConflictStrategy::Manual,
            },
            max_delete_ratio: p.max_delete_ratio,
            max_delete_floor: usize::try_from(p.max_delete_floor).unwrap_or(usize::MAX),
            force_deletes: p.force_deletes,
        }
    }
}

/// One changed field of an update (values as JSON text).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct FieldChange {
    /// Field name (`title`, `status`, `fields.x`, ...).
    pub field: String,
    /// Hub value before.
    pub before: String,
    /// Value after.
    pub after: String,
}

/// A planned update.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Update {
    /// Hub id.
    pub id: String,
    /// External id.
    pub external_id: String,
    /// Task kind.
    pub kind: String,
    /// The version the update expects.
    pub expected_version: u64,
    /// What changes.
    pub changes: Vec<FieldChange>,
    /// The task after the update.
    pub after: Task,
}

/// Why a task is deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum DeleteReason {
    /// The complete listing no longer has it.
    Gone,
    /// Overwrite mode deletes and recreates.
    Overwrite,
}

/// A planned delete.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Delete {
    /// Hub id.
    pub id: String,
    /// External id.
    pub external_id: String,
    /// Task kind.
    pub kind: String,
    /// Title.
    pub title: String,
    /// Hub status.
    pub status: Status,
    /// The version the delete expects.
    pub expected_version: u64,
    /// Why.
    pub reason: DeleteReason,
}

/// A planned move of a task's sync base (no visible change).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Rebase {
    /// The task after the rebase.
    pub after: Task,
    /// The version the rebase expects.
    pub expected_version: u64,
}

/// Which side a conflict resolved to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Resolution {
    /// The source's value.
    Source,
    /// The hub's value.
    Hub,
    /// Left for a person (the hub keeps its value).
    Manual,
}

/// A field both sides changed (values as JSON text).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Conflict {
    /// Hub id.
    pub id: String,
    /// External id.
    pub external_id: String,
    /// Field name.
    pub field: String,
    /// Last synced value.
    pub base: String,
    /// Hub value.
    pub hub: String,
    /// Source value.
    pub source: String,
    /// How it resolved.
    pub resolution: Resolution,
}

/// Why a listed or stored task is left alone.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum SkipReason {
    /// Its hub status is not writable under the policy.
    NotWritable {
        /// Hub status.
        status: Status,
    },
    /// Its hub status is protected.
    Protected {
        /// Hub status.
        status: Status,
    },
    /// The listing names it more than once.
    DuplicateInListing,
    /// Another scope owns it.
    OwnedByOtherScope {
        /// The owner.
        scope: String,
    },
    /// Not deleted: the listing is incomplete.
    IncompleteListing,
    /// Not deleted: too many deletes (see the policy's guard).
    MassDeletion {
        /// Deletes the sync wanted.
        deletes: u64,
        /// The limit.
        limit: u64,
    },
    /// Not created: the sync's deletions are blocked as a mass deletion, and while they are
    /// the sync creates nothing (so running it again cannot raise the limit).
    HeldByMassDeletion {
        /// Deletes the sync wanted.
        deletes: u64,
        /// The limit.
        limit: u64,
    },
}

impl SkipReason {
    fn of(reason: &sync_core::SkipReason) -> Self {
        use sync_core::SkipReason as S;
        match reason {
            S::NotWritable { status } => SkipReason::NotWritable {
                status: (*status).into(),
            },
            S::Protected { status } => SkipReason::Protected {
                status: (*status).into(),
            },
            S::DuplicateInListing => SkipReason::DuplicateInListing,
            S::OwnedByOtherScope { scope } => SkipReason::OwnedByOtherScope {
                scope: scope.clone(),
            },
            S::IncompleteListing => SkipReason::IncompleteListing,
            S::MassDeletion { deletes, limit } => SkipReason::MassDeletion {
                deletes: *deletes as u64,
                limit: *limit as u64,
            },
            S::HeldByMassDeletion { deletes, limit } => SkipReason::HeldByMassDeletion {
                deletes: *deletes as u64,
                limit: *limit as u64,
            },
        }
    }
}

/// A task the plan leaves alone.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Skipped {
    /// External id.
    pub external_id: String,
    /// Hub id, when stored.
    pub id: Option<String>,
    /// Title.
    pub title: String,
    /// Why.
    pub reason: SkipReason,
}

/// Per-kind counts.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct KindCounts {
    /// Creates.
    pub creates: u64,
    /// Updates.
    pub updates: u64,
    /// Deletes.
    pub deletes: u64,
}

/// A plan's totals.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PlanCounts {
    /// Creates.
    pub creates: u64,
    /// Updates.
    pub updates: u64,
    /// Deletes.
    pub deletes: u64,
    /// Listed tasks already in sync.
    pub unchanged: u64,
    /// Conflicts.
    pub conflicts: u64,
    /// Skipped tasks.
    pub skipped: u64,
    /// The same by task kind.
    pub by_kind: HashMap<String, KindCounts>,
}

/// A previewed sync: what `execute` will write, exactly.
#[derive(Debug, uniffi::Object)]
pub struct Plan(pub(crate) sync_core::Plan);

impl Plan {
    pub(crate) fn new(plan: sync_core::Plan) -> Arc<Self> {
        Arc::new(Plan(plan))
    }
}

#[uniffi::export]
impl Plan {
    /// A plan from the core's JSON (as [`Plan::to_json`] wrote it).
    #[uniffi::constructor]
    pub fn from_json(json: String) -> Result<Arc<Self>, TasksyncError> {
        guard(|| {
            serde_json::from_str(&json)
                .map(Plan::new)
                .map_err(|err| TasksyncError::invalid(format!("not a tasksync plan: {err}")))
        })
    }

    /// The plan in the core's JSON shape.
    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.0).unwrap_or_default()
    }

    /// The scope.
    pub fn scope(&self) -> String {
        self.0.scope.clone()
    }

    /// The source.
    pub fn source(&self) -> String {
        self.0.source.clone()
    }

    /// The scope version the plan was computed on.
    pub fn scope_version(&self) -> u64 {
        self.0.scope_version
    }

    /// Whether the plan is an overwrite.
    pub fn overwrite(&self) -> bool {
        self.0.overwrite
    }

    /// The token that binds execute to this preview.
    pub fn token(&self) -> String {
        self.0.token.clone()
    }

    /// Whether executing would write nothing.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Tasks to create.
    pub fn creates(&self) -> Vec<Task> {
        self.0.creates.iter().map(|c| (&c.task).into()).collect()
    }

    /// Tasks to update.
    pub fn updates(&self) -> Vec<Update> {
        self.0
            .updates
            .iter()
            .map(|u| Update {
                id: u.id.clone(),
                external_id: u.external_id.clone(),
                kind: u.kind.clone(),
                expected_version: u.expected_version,
                changes: u
                    .changes
                    .iter()
                    .map(|c| FieldChange {
                        field: c.field.clone(),
                        before: input::text(&c.before),
                        after: input::text(&c.after),
                    })
                    .collect(),
                after: (&u.after).into(),
            })
            .collect()
    }

    /// Tasks to delete.
    pub fn deletes(&self) -> Vec<Delete> {
        self.0
            .deletes
            .iter()
            .map(|d| Delete {
                id: d.id.clone(),
                external_id: d.external_id.clone(),
                kind: d.kind.clone(),
                title: d.title.clone(),
                status: d.status.into(),
                expected_version: d.expected_version,
                reason: match d.reason {
                    sync_core::DeleteReason::Gone => DeleteReason::Gone,
                    sync_core::DeleteReason::Overwrite => DeleteReason::Overwrite,
                },
            })
            .collect()
    }

    /// Sync bases to move.
    pub fn rebases(&self) -> Vec<Rebase> {
        self.0
            .rebases
            .iter()
            .map(|r| Rebase {
                after: (&r.after).into(),
                expected_version: r.expected_version,
            })
            .collect()
    }

    /// Conflicting fields and how they resolved.
    pub fn conflicts(&self) -> Vec<Conflict> {
        self.0
            .conflicts
            .iter()
            .map(|c| Conflict {
                id: c.id.clone(),
                external_id: c.external_id.clone(),
                field: c.field.clone(),
                base: input::text(&c.base),
                hub: input::text(&c.hub),
                source: input::text(&c.source),
                resolution: match c.resolution {
                    sync_core::Resolution::Source => Resolution::Source,
                    sync_core::Resolution::Hub => Resolution::Hub,
                    sync_core::Resolution::Manual => Resolution::Manual,
                },
            })
            .collect()
    }

    /// Tasks left alone, with the reason.
    pub fn skipped(&self) -> Vec<Skipped> {
        self.0
            .skipped
            .iter()
            .map(|s| Skipped {
                external_id: s.external_id.clone(),
                id: s.id.clone(),
                title: s.title.clone(),
                reason: SkipReason::of(&s.reason),
            })
            .collect()
    }

    /// Totals.
    pub fn counts(&self) -> PlanCounts {
        let c = &self.0.counts;
        PlanCounts {
            creates: c.creates as u64,
            updates: c.updates as u64,
            deletes: c.deletes as u64,
            unchanged: c.unchanged as u64,
            conflicts: c.conflicts as u64,
            skipped: c.skipped as u64,
            by_kind: c
                .by_kind
                .iter()
                .map(|(kind, k)| {
                    let counts = KindCounts {
                        creates: k.creates as u64,
                        updates: k.updates as u64,
                        deletes: k.deletes as u64,
                    };
                    (kind.clone(), counts)
                })
                .collect(),
        }
    }
}

/// A hub task that differs from its source.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Mismatch {
    /// External id.
    pub external_id: String,
    /// The fields that differ.
    pub fields: Vec<String>,
}

/// How a scope compares with a listing (see `SyncEngine.verify`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct VerifyReport {
    /// Whether hub and source agree on every task.
    pub consistent: bool,
    /// Tasks the source lists.
    pub source_count: u64,
    /// Tasks of the source the hub has in the scope.
    pub hub_count: u64,
    /// Listed, but missing from the hub.
    pub missing_in_hub: Vec<String>,
    /// In the hub, but not listed.
    pub missing_in_source: Vec<String>,
    /// In both, with different content.
    pub mismatched: Vec<Mismatch>,
    /// External ids the listing names more than once.
    pub duplicates_in_listing: Vec<String>,
}

impl From<sync_core::VerifyReport> for VerifyReport {
    fn from(r: sync_core::VerifyReport) -> Self {
        VerifyReport {
            consistent: r.consistent,
            source_count: r.source_count as u64,
            hub_count: r.hub_count as u64,
            missing_in_hub: r.missing_in_hub,
            missing_in_source: r.missing_in_source,
            mismatched: r
                .mismatched
                .into_iter()
                .map(|m| Mismatch {
                    external_id: m.external_id,
                    fields: m.fields,
                })
                .collect(),
            duplicates_in_listing: r.duplicates_in_listing,
        }
    }
}
