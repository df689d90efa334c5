//! Where history is kept.
//!
//! Contract for every [`HistoryStore`] (checked by the history conformance suite):
//! - [`HistoryStore::write`] applies a [`HistoryBatch`]: each run replaces the stored run with
//!   its id (the newest record of a run is the whole truth about it), each item replaces the one
//!   with its `(run_id, seq)`, each audit entry replaces the one with its id. So writing a batch
//!   twice is harmless. Stores should apply a batch in one transaction, but the recorder never
//!   depends on it: history is best effort.
//! - [`HistoryStore::runs`] lists runs newest first (`started_at`, then `id`, descending),
//!   filtered by [`RunQuery`], starting strictly after `after`, at most `limit` of them, with a
//!   `next` cursor (the last run returned) exactly when more runs match.
//! - [`HistoryStore::items`] lists a run's items by `seq` ascending, after `after`, with `next`
//!   (the last seq returned) exactly when more items follow.
//! - [`HistoryStore::audit`] lists audit entries newest first (`at`, then `id`, descending),
//!   like `runs`.
//! - Queries reach the store validated (`limit` in 1..=[`MAX_LIMIT`](super::MAX_LIMIT)).

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::store::StoreError;

use super::{AuditEntry, AuditQuery, Cursor, Item, ItemQuery, Page, Run, RunItems, RunQuery};

/// Everything the recorder writes in one call.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryBatch {
    /// Runs, each the latest record of its run (upserted by id).
    pub runs: Vec<Run>,
    /// Items, grouped by run (upserted by `(run_id, seq)`).
    pub items: Vec<RunItems>,
    /// Audit entries (upserted by id).
    pub audit: Vec<AuditEntry>,
}

impl HistoryBatch {
    /// Whether there is nothing to write.
    pub fn is_empty(&self) -> bool {
        self.runs.is_empty() && self.items.is_empty() && self.audit.is_empty()
    }

    /// How many records it holds (runs + items + audit entries).
    pub fn len(&self) -> usize {
        self.runs.len() + self.items.iter().map(|r| r.items.len()).sum::<usize>() + self.audit.len()
    }
}

/// Where the hub keeps sync history and the audit log. See the module doc for the contract.
#[async_trait]
pub trait HistoryStore: Send + Sync {
    /// Writes a batch (upserts; see the module doc).
    async fn write(&self, batch: HistoryBatch) -> Result<(), StoreError>;

    /// One run by id.
    async fn run(&self, id: String) -> Result<Option<Run>, StoreError>;

    /// A page of runs, newest first.
    async fn runs(&self, query: RunQuery) -> Result<Page<Run, Cursor>, StoreError>;

    /// A page of a run's items, by seq.
    async fn items(&self, query: ItemQuery) -> Result<Page<Item, u64>, StoreError>;

    /// A page of audit entries, newest first.
    async fn audit(&self, query: AuditQuery) -> Result<Page<AuditEntry, Cursor>, StoreError>;
}
