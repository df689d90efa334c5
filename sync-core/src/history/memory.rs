//! An in-memory [`HistoryStore`]: maps under one lock; queries scan and sort.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;

use crate::store::StoreError;

use super::store::{HistoryBatch, HistoryStore};
use super::{AuditEntry, AuditQuery, Cursor, Item, ItemQuery, Page, Run, RunQuery};

#[derive(Debug, Default)]
struct Inner {
    runs: HashMap<String, Run>,
    items: HashMap<String, BTreeMap<u64, Item>>,
    audit: HashMap<String, AuditEntry>,
}

/// History in process memory (tests, examples, hosts that keep no history on disk).
#[derive(Debug, Default)]
pub struct MemoryHistoryStore {
    inner: Mutex<Inner>,
}

impl MemoryHistoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Each write is a sequence of whole-record upserts, so a poisoned lock still guards
        // whole records.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Newest first by (time, id), after the cursor, at most `limit`, with the next cursor.
fn newest_first<T: Clone>(
    mut rows: Vec<&T>,
    key: impl Fn(&T) -> (i64, &str),
    after: Option<&Cursor>,
    limit: usize,
) -> Page<T, Cursor> {
    rows.retain(|row| {
        let (at, id) = key(row);
        after.is_none_or(|c| c.precedes(at, id))
    });
    rows.sort_unstable_by(|a, b| key(b).cmp(&key(a)));
    let more = rows.len() > limit;
    rows.truncate(limit);
    let next = more.then(|| rows.last()).flatten().map(|row| {
        let (at, id) = key(row);
        Cursor {
            at,
            id: id.to_owned(),
        }
    });
    Page {
        items: rows.into_iter().cloned().collect(),
        next,
    }
}

#[async_trait]
impl HistoryStore for MemoryHistoryStore {
    async fn write(&self, batch: HistoryBatch) -> Result<(), StoreError> {
        let mut inner = self.lock();
        for run in batch.runs {
            inner.runs.insert(run.id.clone(), run);
        }
        for group in batch.items {
            let items = inner.items.entry(group.run_id).or_default();
            for item in group.items {
                items.insert(item.seq, item);
            }
        }
        for entry in batch.audit {
            inner.audit.insert(entry.id.clone(), entry);
        }
        Ok(())
    }

    async fn run(&self, id: String) -> Result<Option<Run>, StoreError> {
        Ok(self.lock().runs.get(&id).cloned())
    }

    async fn runs(&self, query: RunQuery) -> Result<Page<Run, Cursor>, StoreError> {
        let inner = self.lock();
        let rows = inner.runs.values().filter(|r| query.matches(r)).collect();
        Ok(newest_first(
            rows,
            |r: &Run| (r.started_at, r.id.as_str()),
            query.after.as_ref(),
            query.limit,
        ))
    }

    async fn items(&self, query: ItemQuery) -> Result<Page<Item, u64>, StoreError> {
        let inner = self.lock();
        let Some(items) = inner.items.get(&query.run_id) else {
            return Ok(Page {
                items: Vec::new(),
                next: None,
            });
        };
        let start = match query.after {
            None => 0,
            Some(seq) => match seq.checked_add(1) {
                Some(next) => next,
                None => {
                    return Ok(Page {
                        items: Vec::new(),
                        next: None,
                    });
                }
            },
        };
        let mut page: Vec<Item> = items
            .range(start..)
            .take(query.limit + 1)
            .map(|(_, item)| item.clone())
            .collect();
        let more = page.len() > query.limit;
        page.truncate(query.limit);
        let next = if more {
            page.last().map(|i| i.seq)
        } else {
            None
        };
        Ok(Page { items: page, next })
    }

    async fn audit(&self, query: AuditQuery) -> Result<Page<AuditEntry, Cursor>, StoreError> {
        let inner = self.lock();
        let rows = inner.audit.values().filter(|e| query.matches(e)).collect();
        Ok(newest_first(
            rows,
            |e: &AuditEntry| (e.at, e.id.as_str()),
            query.after.as_ref(),
            query.limit,
        ))
    }
}
