//! [`HistoryStore`] on PostgreSQL: [`PostgresHistoryStore`], tables `history_runs`,
//! `history_items` and `history_audit` in the same database as the tasks, on the same pool
//! and runtime as the [`PostgresStore`] it came from.
//!
//! Invariants:
//! - [`HistoryStore::write`] applies a batch in ONE transaction, one multi-row upsert per
//!   table (`INSERT … SELECT FROM unnest(…) ON CONFLICT … DO UPDATE`, at most
//!   [`BATCH`] rows a statement): all or nothing, and writing a batch twice is harmless. A
//!   batch that names one record twice keeps the last (an upsert may not touch a row twice).
//!   A batch that lost a deadlock to another writer is written again (up to [`ATTEMPTS`]).
//! - A run, an item and an audit entry are kept whole as JSON (`body`) next to the columns
//!   queries filter and sort on.
//! - Listings are keyset-paginated on indexed `(time DESC, id DESC)` / `(run_id, seq)` keys,
//!   so a page costs the same at any depth; ids are `bytea`, so ties order bytewise, as the
//!   core's cursors do. One row more than the page says whether `next` is set.

use std::collections::HashSet;

use async_trait::async_trait;
use deadpool_postgres::Transaction;
use sync_core::history::{
    AuditEntry, AuditQuery, Cursor, HistoryBatch, HistoryStore, Item, ItemQuery, Page, Run,
    RunQuery,
};
use sync_core::store::StoreError;
use tokio_postgres::types::ToSql;

use crate::PostgresStore;
use crate::pool::{ATTEMPTS, Shared, is_transient, json, parse, to_i64};
use crate::tasks::BATCH;

/// Sync history and the audit log in PostgreSQL (see [`PostgresStore::history`]).
#[derive(Clone, Debug)]
pub struct PostgresHistoryStore {
    store: PostgresStore,
}

impl PostgresHistoryStore {
    pub(crate) fn new(store: PostgresStore) -> Self {
        PostgresHistoryStore { store }
    }
}

/// The records of `all` whose key was not seen later in the list (the last of each key).
fn last_of<'a, T, K: std::hash::Hash + Eq>(all: &[&'a T], key: impl Fn(&T) -> K) -> Vec<&'a T> {
    let mut seen = HashSet::with_capacity(all.len());
    let mut kept: Vec<&T> = all
        .iter()
        .rev()
        .filter(|r| seen.insert(key(r)))
        .copied()
        .collect();
    kept.reverse();
    kept
}

const RUNS_SQL: &str = "INSERT INTO history_runs (id, kind, scope, status, started_at, body) \
     SELECT * FROM unnest($1::bytea[], $2::text[], $3::bytea[], $4::text[], $5::bigint[], \
     $6::text[]) ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, scope = EXCLUDED.scope, \
     status = EXCLUDED.status, started_at = EXCLUDED.started_at, body = EXCLUDED.body";

const ITEMS_SQL: &str = "INSERT INTO history_items (run_id, seq, body) \
     SELECT * FROM unnest($1::bytea[], $2::bigint[], $3::text[]) \
     ON CONFLICT (run_id, seq) DO UPDATE SET body = EXCLUDED.body";

const AUDIT_SQL: &str = "INSERT INTO history_audit (id, at, entity_type, entity_id, body) \
     SELECT * FROM unnest($1::bytea[], $2::bigint[], $3::bytea[], $4::bytea[], $5::text[]) \
     ON CONFLICT (id) DO UPDATE SET at = EXCLUDED.at, entity_type = EXCLUDED.entity_type, \
     entity_id = EXCLUDED.entity_id, body = EXCLUDED.body";

async fn exec(
    tx: &Transaction<'_>,
    shared: &Shared,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<(), StoreError> {
    let stmt = tx.prepare_cached(sql).await.map_err(|e| shared.error(e))?;
    tx.execute(&stmt, params)
        .await
        .map(drop)
        .map_err(|e| shared.error(e))
}

async fn write_in(
    tx: &Transaction<'_>,
    shared: &Shared,
    batch: &HistoryBatch,
) -> Result<(), StoreError> {
    let runs: Vec<&Run> = batch.runs.iter().collect();
    for chunk in last_of(&runs, |r| r.id.clone()).chunks(BATCH) {
        let ids: Vec<&[u8]> = chunk.iter().map(|r| r.id.as_bytes()).collect();
        let kinds: Vec<&str> = chunk.iter().map(|r| r.kind.as_str()).collect();
        let scopes: Vec<&[u8]> = chunk.iter().map(|r| r.scope.as_bytes()).collect();
        let statuses: Vec<&str> = chunk.iter().map(|r| r.status.as_str()).collect();
        let started: Vec<i64> = chunk.iter().map(|r| r.started_at).collect();
        let bodies = chunk
            .iter()
            .map(|r| json(*r, "run"))
            .collect::<Result<Vec<_>, _>>()?;
        exec(
            tx,
            shared,
            RUNS_SQL,
            &[&ids, &kinds, &scopes, &statuses, &started, &bodies],
        )
        .await?;
    }
    let pairs: Vec<(&str, &Item)> = batch
        .items
        .iter()
        .flat_map(|group| group.items.iter().map(|i| (group.run_id.as_str(), i)))
        .collect();
    let refs: Vec<&(&str, &Item)> = pairs.iter().collect();
    for chunk in last_of(&refs, |(run, item)| (*run, item.seq)).chunks(BATCH) {
        let runs: Vec<&[u8]> = chunk.iter().map(|(run, _)| run.as_bytes()).collect();
        let seqs = chunk
            .iter()
            .map(|(_, item)| to_i64(item.seq, "item seq"))
            .collect::<Result<Vec<_>, _>>()?;
        let bodies = chunk
            .iter()
            .map(|(_, item)| json(*item, "history item"))
            .collect::<Result<Vec<_>, _>>()?;
        exec(tx, shared, ITEMS_SQL, &[&runs, &seqs, &bodies]).await?;
    }
    let audit: Vec<&AuditEntry> = batch.audit.iter().collect();
    for chunk in last_of(&audit, |e| e.id.clone()).chunks(BATCH) {
        let ids: Vec<&[u8]> = chunk.iter().map(|e| e.id.as_bytes()).collect();
        let at: Vec<i64> = chunk.iter().map(|e| e.at).collect();
        let types: Vec<&[u8]> = chunk.iter().map(|e| e.entity_type.as_bytes()).collect();
        let entities: Vec<&[u8]> = chunk.iter().map(|e| e.entity_id.as_bytes()).collect();
        let bodies = chunk
            .iter()
            .map(|e| json(*e, "audit entry"))
            .collect::<Result<Vec<_>, _>>()?;
        exec(
            tx,
            shared,
            AUDIT_SQL,
            &[&ids, &at, &types, &entities, &bodies],
        )
        .await?;
    }
    Ok(())
}

/// `WHERE` conditions and their parameters, built up filter by filter.
#[derive(Default)]
struct Filter {
    conditions: Vec<String>,
    params: Vec<Box<dyn ToSql + Sync + Send>>,
}

impl Filter {
    /// Adds `column <op> $n` with `value`.
    fn add(&mut self, column: &str, op: &str, value: Box<dyn ToSql + Sync + Send>) {
        self.params.push(value);
        self.conditions
            .push(format!("{column} {op} ${}", self.params.len()));
    }

    /// Keyset condition for "after this cursor" in `(time DESC, id DESC)` order.
    fn after(&mut self, time: &str, cursor: Option<&Cursor>) {
        if let Some(c) = cursor {
            self.params.push(Box::new(c.at));
            self.params.push(Box::new(c.id.clone().into_bytes()));
            let n = self.params.len();
            self.conditions
                .push(format!("({time}, id) < (${}, ${n})", n - 1));
        }
    }

    /// The query (each shape is prepared once per connection: the limit is a parameter).
    fn sql(&mut self, select: &str, order: &str, limit: usize) -> String {
        let mut sql = select.to_owned();
        if !self.conditions.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&self.conditions.join(" AND "));
        }
        // One row more than asked for tells whether a next page exists.
        self.params.push(Box::new(
            i64::try_from(limit.saturating_add(1)).unwrap_or(i64::MAX),
        ));
        sql.push_str(&format!(" ORDER BY {order} LIMIT ${}", self.params.len()));
        sql
    }
}

fn bytes(s: &str) -> Box<dyn ToSql + Sync + Send> {
    Box::new(s.as_bytes().to_vec())
}

impl PostgresHistoryStore {
    /// Bodies (JSON) in order; the last one (if beyond `limit`) only says there is more.
    async fn page<T>(
        &self,
        filter: Filter,
        sql: String,
        limit: usize,
        what: &'static str,
        cursor: fn(&T) -> Cursor,
    ) -> Result<Page<T, Cursor>, StoreError>
    where
        T: serde::de::DeserializeOwned + Send + 'static,
    {
        self.store
            .run(|shared| async move {
                let conn = shared.conn().await?;
                let stmt = conn
                    .prepare_cached(&sql)
                    .await
                    .map_err(|e| shared.error(e))?;
                let refs: Vec<&(dyn ToSql + Sync)> = filter
                    .params
                    .iter()
                    .map(|p| p.as_ref() as &(dyn ToSql + Sync))
                    .collect();
                let rows = conn
                    .query(&stmt, &refs)
                    .await
                    .map_err(|e| shared.error(e))?;
                let more = rows.len() > limit;
                let items = rows
                    .iter()
                    .take(limit)
                    .map(|row| parse(row.get(0), what))
                    .collect::<Result<Vec<T>, _>>()?;
                let next = if more { items.last().map(cursor) } else { None };
                Ok(Page { items, next })
            })
            .await
    }
}

#[async_trait]
impl HistoryStore for PostgresHistoryStore {
    async fn write(&self, batch: HistoryBatch) -> Result<(), StoreError> {
        if batch.is_empty() {
            return Ok(());
        }
        self.store
            .run(|shared| async move {
                let mut attempt = 1;
                loop {
                    let mut conn = shared.conn().await?;
                    let tx = conn.transaction().await.map_err(|e| shared.error(e))?;
                    let written = match write_in(&tx, &shared, &batch).await {
                        Ok(()) => tx.commit().await.map_err(|e| shared.error(e)),
                        Err(e) => Err(e),
                    };
                    match written {
                        Err(e) if attempt < ATTEMPTS && is_transient(&e) => attempt += 1,
                        other => return other,
                    }
                }
            })
            .await
    }

    async fn run(&self, id: String) -> Result<Option<Run>, StoreError> {
        self.store
            .run(|shared| async move {
                let conn = shared.conn().await?;
                let stmt = conn
                    .prepare_cached("SELECT body FROM history_runs WHERE id = $1")
                    .await
                    .map_err(|e| shared.error(e))?;
                let row = conn
                    .query_opt(&stmt, &[&id.as_bytes()])
                    .await
                    .map_err(|e| shared.error(e))?;
                row.map(|row| parse(row.get(0), "run")).transpose()
            })
            .await
    }

    async fn runs(&self, query: RunQuery) -> Result<Page<Run, Cursor>, StoreError> {
        let mut filter = Filter::default();
        if let Some(status) = query.status {
            filter.add("status", "=", Box::new(status.as_str().to_owned()));
        }
        if let Some(kind) = query.kind {
            filter.add("kind", "=", Box::new(kind.as_str().to_owned()));
        }
        if let Some(scope) = &query.scope {
            filter.add("scope", "=", bytes(scope));
        }
        if let Some(since) = query.since {
            filter.add("started_at", ">=", Box::new(since));
        }
        if let Some(until) = query.until {
            filter.add("started_at", "<", Box::new(until));
        }
        filter.after("started_at", query.after.as_ref());
        let sql = filter.sql(
            "SELECT body FROM history_runs",
            "started_at DESC, id DESC",
            query.limit,
        );
        self.page(filter, sql, query.limit, "run", |r: &Run| Cursor {
            at: r.started_at,
            id: r.id.clone(),
        })
        .await
    }

    async fn items(&self, query: ItemQuery) -> Result<Page<Item, u64>, StoreError> {
        let after = match query.after {
            None => -1,
            // Past the largest seq a row can have: nothing follows.
            Some(seq) => match i64::try_from(seq) {
                Ok(seq) => seq,
                Err(_) => {
                    return Ok(Page {
                        items: Vec::new(),
                        next: None,
                    });
                }
            },
        };
        let limit = query.limit;
        let fetch = i64::try_from(limit.saturating_add(1)).unwrap_or(i64::MAX);
        self.store
            .run(|shared| async move {
                let conn = shared.conn().await?;
                let stmt = conn
                    .prepare_cached(
                        "SELECT body FROM history_items WHERE run_id = $1 AND seq > $2 \
                         ORDER BY seq LIMIT $3",
                    )
                    .await
                    .map_err(|e| shared.error(e))?;
                let rows = conn
                    .query(&stmt, &[&query.run_id.as_bytes(), &after, &fetch])
                    .await
                    .map_err(|e| shared.error(e))?;
                let more = rows.len() > limit;
                let items = rows
                    .iter()
                    .take(limit)
                    .map(|row| parse(row.get(0), "history item"))
                    .collect::<Result<Vec<Item>, _>>()?;
                let next = if more {
                    items.last().map(|i| i.seq)
                } else {
                    None
                };
                Ok(Page { items, next })
            })
            .await
    }

    async fn audit(&self, query: AuditQuery) -> Result<Page<AuditEntry, Cursor>, StoreError> {
        let mut filter = Filter::default();
        if let Some(entity_id) = &query.entity_id {
            filter.add("entity_id", "=", bytes(entity_id));
        }
        if let Some(entity_type) = &query.entity_type {
            filter.add("entity_type", "=", bytes(entity_type));
        }
        filter.after("at", query.after.as_ref());
        let sql = filter.sql(
            "SELECT body FROM history_audit",
            "at DESC, id DESC",
            query.limit,
        );
        self.page(filter, sql, query.limit, "audit entry", |e: &AuditEntry| {
            Cursor {
                at: e.at,
                id: e.id.clone(),
            }
        })
        .await
    }
}
