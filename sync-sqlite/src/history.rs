//! [`HistoryStore`] on SQLite: [`SqliteHistoryStore`], tables `history_runs`, `history_items`
//! and `history_audit` in the same database file as the tasks.
//!
//! Why a separate store with its own connection rather than `impl HistoryStore for
//! SqliteStore`: [`SqliteStore`](crate::SqliteStore) serialises everything on one connection
//! behind one mutex, so a history batch of 100,000 items written by the pump would hold that
//! mutex and stall the next `apply`, the very thing history must never do. With its own
//! connection on the same WAL file, history writes contend only for SQLite's write lock
//! (and `busy_timeout` waits it out), and readers never block at all. Both stores run the same
//! migrations, so either one can create the file.
//!
//! Invariants:
//! - [`HistoryStore::write`] applies a batch in ONE `BEGIN IMMEDIATE` transaction with
//!   `INSERT OR REPLACE` (runs by id, items by `(run_id, seq)`, audit by id): all or nothing,
//!   and writing a batch twice is harmless.
//! - A run is kept whole as JSON (`body`) next to the columns queries filter and sort on
//!   (`status`, `kind`, `scope`, `started_at`); items are plain columns (the bulk of the rows,
//!   cheapest to insert); an audit entry is JSON plus its entity and time columns.
//! - Listings are keyset-paginated on indexed `(time DESC, id DESC)` / `(run_id, seq)` keys,
//!   so a page costs the same at any depth.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params, params_from_iter};
use sync_core::history::{
    AuditEntry, AuditQuery, Cursor, HistoryBatch, HistoryStore, Item, ItemOutcome, ItemQuery, Page,
    Run, RunQuery,
};
use sync_core::store::StoreError;

use crate::{migrate, to_i64, to_store_error};

/// The history tables (appended to the crate's migrations).
pub(crate) const MIGRATION: &str = "
    CREATE TABLE history_runs (
        id         TEXT PRIMARY KEY NOT NULL,
        kind       TEXT NOT NULL,
        scope      TEXT NOT NULL,
        status     TEXT NOT NULL,
        started_at INTEGER NOT NULL,
        body       TEXT NOT NULL
    );
    CREATE INDEX history_runs_started ON history_runs (started_at DESC, id DESC);
    CREATE INDEX history_runs_scope ON history_runs (scope, started_at DESC, id DESC);
    CREATE TABLE history_items (
        run_id      TEXT NOT NULL,
        seq         INTEGER NOT NULL,
        external_id TEXT NOT NULL,
        name        TEXT NOT NULL,
        kind        TEXT NOT NULL,
        outcome     TEXT NOT NULL,
        target_id   TEXT NULL,
        target_url  TEXT NULL,
        error       TEXT NULL,
        PRIMARY KEY (run_id, seq)
    ) WITHOUT ROWID;
    CREATE TABLE history_audit (
        id          TEXT PRIMARY KEY NOT NULL,
        at          INTEGER NOT NULL,
        entity_type TEXT NOT NULL,
        entity_id   TEXT NOT NULL,
        body        TEXT NOT NULL
    );
    CREATE INDEX history_audit_at ON history_audit (at DESC, id DESC);
    CREATE INDEX history_audit_entity ON history_audit (entity_id, entity_type, at DESC, id DESC);
";

/// Sync history and the audit log in a SQLite database (a file, or memory).
#[derive(Debug)]
pub struct SqliteHistoryStore {
    conn: Mutex<Connection>,
}

impl SqliteHistoryStore {
    /// Opens (creating if needed) the database file at `path` on its own connection, in WAL
    /// mode, and migrates its schema (the same file a [`SqliteStore`](crate::SqliteStore) uses).
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        Self::init(crate::open_wal(path.as_ref())?)
    }

    /// A fresh in-memory database of its own (gone when the store is dropped).
    pub fn open_in_memory() -> Result<Self, StoreError> {
        Self::init(Connection::open_in_memory().map_err(to_store_error)?)
    }

    fn init(mut conn: Connection) -> Result<Self, StoreError> {
        conn.busy_timeout(Duration::from_secs(5))
            .map_err(to_store_error)?;
        conn.set_prepared_statement_cache_capacity(32);
        migrate(&mut conn)?;
        Ok(SqliteHistoryStore {
            conn: Mutex::new(conn),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // Writes run in a transaction that rolls back when dropped: a panic under the lock
        // leaves nothing partial, and the connection stays usable.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn json<T: serde::Serialize>(value: &T, what: &str) -> Result<String, StoreError> {
    serde_json::to_string(value)
        .map_err(|e| StoreError::Backend(format!("cannot encode {what} as JSON: {e}")))
}

fn parse<T: serde::de::DeserializeOwned>(text: &str, what: &str) -> Result<T, StoreError> {
    serde_json::from_str(text)
        .map_err(|e| StoreError::Backend(format!("stored {what} is not valid JSON: {e}")))
}

fn write_in(conn: &Connection, batch: &HistoryBatch) -> Result<(), StoreError> {
    if !batch.runs.is_empty() {
        let mut stmt = conn
            .prepare_cached(
                "INSERT OR REPLACE INTO history_runs (id, kind, scope, status, started_at, body) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .map_err(to_store_error)?;
        for run in &batch.runs {
            let body = json(run, "run")?;
            stmt.execute(params![
                run.id,
                run.kind.as_str(),
                run.scope,
                run.status.as_str(),
                run.started_at,
                body
            ])
            .map_err(to_store_error)?;
        }
    }
    if !batch.items.is_empty() {
        let mut stmt = conn
            .prepare_cached(
                "INSERT OR REPLACE INTO history_items \
                 (run_id, seq, external_id, name, kind, outcome, target_id, target_url, error) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )
            .map_err(to_store_error)?;
        for group in &batch.items {
            for item in &group.items {
                stmt.execute(params![
                    group.run_id,
                    to_i64(item.seq, "item seq")?,
                    item.external_id,
                    item.name,
                    item.kind,
                    item.outcome.as_str(),
                    item.target_id,
                    item.target_url,
                    item.error
                ])
                .map_err(to_store_error)?;
            }
        }
    }
    if !batch.audit.is_empty() {
        let mut stmt = conn
            .prepare_cached(
                "INSERT OR REPLACE INTO history_audit (id, at, entity_type, entity_id, body) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .map_err(to_store_error)?;
        for entry in &batch.audit {
            let body = json(entry, "audit entry")?;
            stmt.execute(params![
                entry.id,
                entry.at,
                entry.entity_type,
                entry.entity_id,
                body
            ])
            .map_err(to_store_error)?;
        }
    }
    Ok(())
}

/// `WHERE` conditions and their parameters, built up filter by filter.
#[derive(Default)]
struct Filter {
    conditions: Vec<&'static str>,
    params: Vec<Value>,
}

impl Filter {
    fn add(&mut self, condition: &'static str, values: impl IntoIterator<Item = Value>) {
        self.conditions.push(condition);
        self.params.extend(values);
    }

    /// Keyset condition for "after this cursor" in `(time DESC, id DESC)` order.
    fn after(&mut self, time: &'static str, cursor: Option<&Cursor>) {
        if let Some(c) = cursor {
            let condition = match time {
                "started_at" => "(started_at < ? OR (started_at = ? AND id < ?))",
                _ => "(at < ? OR (at = ? AND id < ?))",
            };
            self.add(
                condition,
                [
                    Value::Integer(c.at),
                    Value::Integer(c.at),
                    Value::Text(c.id.clone()),
                ],
            );
        }
    }

    fn sql(&self, select: &str, order: &str, limit: usize) -> String {
        let mut sql = select.to_owned();
        if !self.conditions.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&self.conditions.join(" AND "));
        }
        // One row more than asked for tells whether a next page exists.
        sql.push_str(&format!(" ORDER BY {order} LIMIT {}", limit + 1));
        sql
    }
}

/// Bodies (JSON) in order; the last one (if beyond `limit`) only says there is more.
fn page_of<T: serde::de::DeserializeOwned>(
    conn: &Connection,
    sql: &str,
    params: Vec<Value>,
    limit: usize,
    what: &str,
    cursor: impl Fn(&T) -> Cursor,
) -> Result<Page<T, Cursor>, StoreError> {
    let mut stmt = conn.prepare(sql).map_err(to_store_error)?;
    let bodies = stmt
        .query_map(params_from_iter(params), |row| row.get::<_, String>(0))
        .and_then(|rows| rows.collect::<rusqlite::Result<Vec<String>>>())
        .map_err(to_store_error)?;
    let more = bodies.len() > limit;
    let items = bodies
        .iter()
        .take(limit)
        .map(|text| parse(text, what))
        .collect::<Result<Vec<T>, _>>()?;
    let next = if more { items.last().map(cursor) } else { None };
    Ok(Page { items, next })
}

fn item_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Item> {
    let seq: i64 = row.get(0)?;
    let outcome: String = row.get(4)?;
    let outcome = outcome.parse::<ItemOutcome>().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(4, rusqlite::types::Type::Text, e.into())
    })?;
    Ok(Item {
        seq: seq as u64,
        external_id: row.get(1)?,
        name: row.get(2)?,
        kind: row.get(3)?,
        outcome,
        target_id: row.get(5)?,
        target_url: row.get(6)?,
        error: row.get(7)?,
    })
}

#[async_trait]
impl HistoryStore for SqliteHistoryStore {
    async fn write(&self, batch: HistoryBatch) -> Result<(), StoreError> {
        if batch.is_empty() {
            return Ok(());
        }
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(to_store_error)?;
        write_in(&tx, &batch)?;
        tx.commit().map_err(to_store_error)
    }

    async fn run(&self, id: String) -> Result<Option<Run>, StoreError> {
        let conn = self.lock();
        let body: Option<String> = conn
            .prepare_cached("SELECT body FROM history_runs WHERE id = ?1")
            .and_then(|mut stmt| stmt.query_row([&id], |row| row.get(0)).optional())
            .map_err(to_store_error)?;
        body.map(|text| parse(&text, "run")).transpose()
    }

    async fn runs(&self, query: RunQuery) -> Result<Page<Run, Cursor>, StoreError> {
        let mut filter = Filter::default();
        if let Some(status) = query.status {
            filter.add("status = ?", [Value::Text(status.as_str().into())]);
        }
        if let Some(kind) = query.kind {
            filter.add("kind = ?", [Value::Text(kind.as_str().into())]);
        }
        if let Some(scope) = &query.scope {
            filter.add("scope = ?", [Value::Text(scope.clone())]);
        }
        if let Some(since) = query.since {
            filter.add("started_at >= ?", [Value::Integer(since)]);
        }
        if let Some(until) = query.until {
            filter.add("started_at < ?", [Value::Integer(until)]);
        }
        filter.after("started_at", query.after.as_ref());
        let sql = filter.sql(
            "SELECT body FROM history_runs",
            "started_at DESC, id DESC",
            query.limit,
        );
        let conn = self.lock();
        page_of(&conn, &sql, filter.params, query.limit, "run", |r: &Run| {
            Cursor {
                at: r.started_at,
                id: r.id.clone(),
            }
        })
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
        let conn = self.lock();
        let mut stmt = conn
            .prepare_cached(
                "SELECT seq, external_id, name, kind, outcome, target_id, target_url, error \
                 FROM history_items WHERE run_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
            )
            .map_err(to_store_error)?;
        let limit = query.limit as i64 + 1;
        let mut items = stmt
            .query_map(params![query.run_id, after, limit], item_from_row)
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<Item>>>())
            .map_err(to_store_error)?;
        let more = items.len() > query.limit;
        items.truncate(query.limit);
        let next = if more {
            items.last().map(|i| i.seq)
        } else {
            None
        };
        Ok(Page { items, next })
    }

    async fn audit(&self, query: AuditQuery) -> Result<Page<AuditEntry, Cursor>, StoreError> {
        let mut filter = Filter::default();
        if let Some(entity_id) = &query.entity_id {
            filter.add("entity_id = ?", [Value::Text(entity_id.clone())]);
        }
        if let Some(entity_type) = &query.entity_type {
            filter.add("entity_type = ?", [Value::Text(entity_type.clone())]);
        }
        filter.after("at", query.after.as_ref());
        let sql = filter.sql(
            "SELECT body FROM history_audit",
            "at DESC, id DESC",
            query.limit,
        );
        let conn = self.lock();
        page_of(
            &conn,
            &sql,
            filter.params,
            query.limit,
            "audit entry",
            |e: &AuditEntry| Cursor {
                at: e.at,
                id: e.id.clone(),
            },
        )
    }
}
