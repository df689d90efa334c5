//! A durable [`TaskStore`] (and [`JobStore`](sync_core::JobStore),
//! [`SessionStore`](sync_core::SessionStore)) on SQLite (bundled, so no system library is
//! needed).
//!
//! This crate owns one thing: [`SqliteStore`], the SQLite file layout of the hub's tasks, scope
//! versions, sync jobs (`jobs.rs`) and sessions (`sessions.rs`), and its schema migrations
//! (`migrate.rs`, tracked with `PRAGMA user_version`). Sync history and the audit log live in the same file, written by
//! [`SqliteHistoryStore`] on a connection of its own (`history.rs` says why).
//!
//! Invariants (on top of the contract in [`sync_core::store`]):
//! - [`TaskStore::apply`] runs in ONE transaction started with `BEGIN IMMEDIATE`, so the write
//!   lock is taken before anything is read: guards, version checks, writes and the scope bumps
//!   all see and produce one consistent state. Any failure drops the transaction, which rolls
//!   it back: nothing of a failed set is ever written.
//! - Every update and delete is a compare-and-swap (`... WHERE id = ? AND version = ?`, exactly
//!   one row changed); inserts rely on the primary key and the `UNIQUE(source, external_id)`
//!   key. A failed guard or version check is a [`StoreError::Conflict`], an insert one of those
//!   keys refuses a [`StoreError::Duplicate`] (naming the task holding the id, if one does);
//!   every other SQLite failure is a [`StoreError::Backend`].
//! - Files use the WAL journal (`synchronous=NORMAL`), so readers never block the writer, and a
//!   committed set survives a process crash.
//! - [`TaskStore::snapshot`] reads the scope version and the tasks in one read transaction.

#![deny(missing_docs)]

mod gates;
mod history;
mod jobs;
mod migrate;
mod sessions;

pub use history::SqliteHistoryStore;
pub(crate) use migrate::migrate;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use rusqlite::{
    Connection, ErrorCode, OptionalExtension, TransactionBehavior, params, params_from_iter,
};
use sync_core::store::base::{base_column, base_of};
use sync_core::store::{
    Applied, ChangeSet, Identity, RefusedInsert, ScopeSnapshot, StoreError, TaskStore, TaskWrite,
};
use sync_core::{Fields, Status, Task};

/// How many ids go into one `IN (...)` list (SQLite limits the number of parameters).
const ID_CHUNK: usize = 500;

const TASK_COLUMNS: &str = "id, source, external_id, scope, kind, title, status, parent, fields, \
                            base, version, created_at, updated_at";

/// A [`TaskStore`] backed by one SQLite database (a file, or memory).
pub struct SqliteStore {
    conn: Mutex<Connection>,
    /// Raised after a change set that writes a pending job commits (this process only).
    wake: Arc<sync_core::store::WakeHint>,
    /// The file, or `None` for an in-memory database.
    path: Option<PathBuf>,
}

impl fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the database file at `path`, in WAL mode, and migrates its
    /// schema to the current version.
    pub fn open(path: impl AsRef<Path>) -> Result<SqliteStore, StoreError> {
        let path = path.as_ref();
        let conn = open_wal(path)?;
        Self::init(conn, Some(path.to_path_buf()))
    }

    /// A fresh in-memory database (gone when the store is dropped).
    pub fn open_in_memory() -> Result<SqliteStore, StoreError> {
        let conn = Connection::open_in_memory().map_err(to_store_error)?;
        Self::init(conn, None)
    }

    fn init(mut conn: Connection, path: Option<PathBuf>) -> Result<SqliteStore, StoreError> {
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(to_store_error)?;
        conn.busy_timeout(Duration::from_secs(5))
            .map_err(to_store_error)?;
        conn.set_prepared_statement_cache_capacity(64);
        // A 64 MiB page cache (the default is 2 MiB): a bulk apply of 100,000 tasks otherwise
        // spills dirty pages to the WAL mid-transaction and re-reads index pages it just wrote.
        conn.pragma_update(None, "cache_size", -65_536)
            .map_err(to_store_error)?;
        migrate(&mut conn)?;
        Ok(SqliteStore {
            conn: Mutex::new(conn),
            wake: Arc::default(),
            path,
        })
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // Every write runs in a transaction that rolls back when dropped, so a panic while the
        // lock is held cannot leave partial data behind: the connection is still usable.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Opens (creating if needed) a database file in WAL mode with `synchronous=NORMAL`: readers
/// never block the writer, and a committed transaction survives a process crash.
pub(crate) fn open_wal(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path).map_err(|e| {
        StoreError::Backend(format!(
            "cannot open SQLite database {}: {e}",
            path.display()
        ))
    })?;
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
        .map_err(to_store_error)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Backend(format!(
            "cannot switch {} to WAL mode (journal_mode is `{mode}`)",
            path.display()
        )));
    }
    conn.pragma_update(None, "synchronous", "NORMAL")
        .map_err(to_store_error)?;
    Ok(conn)
}

/// Constraint violations (primary key, unique identity) are conflicts; the rest is the backend.
fn to_store_error(err: rusqlite::Error) -> StoreError {
    match &err {
        rusqlite::Error::SqliteFailure(e, _) if e.code == ErrorCode::ConstraintViolation => {
            StoreError::Conflict(format!("constraint violated: {err}"))
        }
        _ => StoreError::Backend(format!("sqlite: {err}")),
    }
}

fn to_i64(value: u64, what: &str) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| StoreError::Backend(format!("{what} {value} is too large")))
}

fn encode_error(e: serde_json::Error) -> StoreError {
    StoreError::Backend(format!("cannot encode task as JSON: {e}"))
}

fn fields_json(fields: &Fields) -> Result<String, StoreError> {
    serde_json::to_string(fields).map_err(encode_error)
}

/// A task's `fields` and `base` columns (the base as [`sync_core::store::base`] stores it: a
/// marker when it mirrors the task, from schema version 5 on, so an older build refuses the
/// file instead of misreading it).
fn fields_and_base(task: &Task) -> Result<(String, Option<String>), StoreError> {
    let fields = fields_json(&task.fields)?;
    Ok((fields, base_column(task).map_err(encode_error)?))
}

/// The insert of one task row (prepared once per change set, not once per task).
fn insert_sql() -> String {
    format!(
        "INSERT INTO tasks ({TASK_COLUMNS}) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"
    )
}

const UPDATE_SQL: &str = "UPDATE tasks SET source = ?2, external_id = ?3, scope = ?4, kind = ?5, \
     title = ?6, status = ?7, parent = ?8, fields = ?9, base = ?10, version = ?11, \
     created_at = ?12, updated_at = ?13 WHERE id = ?1 AND version = ?14";

fn conversion(column: usize, message: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(column, rusqlite::types::Type::Text, message.into())
}

/// Decodes a row selected with [`TASK_COLUMNS`].
fn task_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Task> {
    let status: String = row.get(6)?;
    let fields: String = row.get(8)?;
    let base: Option<String> = row.get(9)?;
    let version: i64 = row.get(10)?;
    let mut task = Task {
        id: row.get(0)?,
        source: row.get(1)?,
        external_id: row.get(2)?,
        scope: row.get(3)?,
        kind: row.get(4)?,
        title: row.get(5)?,
        status: status
            .parse::<Status>()
            .map_err(|e| conversion(6, e.to_string()))?,
        parent: row.get(7)?,
        fields: serde_json::from_str(&fields).map_err(|e| conversion(8, e.to_string()))?,
        base: None,
        version: u64::try_from(version).map_err(|e| conversion(10, e.to_string()))?,
        created_at: row.get(11)?,
        updated_at: row.get(12)?,
    };
    task.base = base_of(&task, base.as_deref()).map_err(|e| conversion(9, e.to_string()))?;
    Ok(task)
}

fn scope_version_in(conn: &Connection, scope: &str) -> Result<u64, StoreError> {
    let version: Option<i64> = conn
        .prepare_cached("SELECT version FROM scopes WHERE scope = ?1")
        .and_then(|mut stmt| stmt.query_row([scope], |row| row.get(0)).optional())
        .map_err(to_store_error)?;
    Ok(version.map_or(0, |v| v.max(0) as u64))
}

/// A conflict for a compare-and-swap that changed no row, naming what was found instead.
fn version_conflict(conn: &Connection, id: &str, expected: u64) -> StoreError {
    let found: Result<Option<i64>, _> = conn
        .prepare_cached("SELECT version FROM tasks WHERE id = ?1")
        .and_then(|mut stmt| stmt.query_row([id], |row| row.get(0)).optional());
    match found {
        Ok(Some(v)) => StoreError::Conflict(format!(
            "task `{id}` is at version {v}, expected {expected}"
        )),
        Ok(None) => StoreError::Conflict(format!(
            "task `{id}` does not exist (expected version {expected})"
        )),
        Err(e) => to_store_error(e),
    }
}

/// Inserts a new record with `stmt` (from [`insert_sql`]); an existing id or identity is a
/// [`StoreError::Duplicate`].
fn insert_task(
    conn: &Connection,
    stmt: &mut rusqlite::CachedStatement<'_>,
    task: &Task,
) -> Result<(), StoreError> {
    let (fields, base) = fields_and_base(task)?;
    stmt.execute(params![
        task.id,
        task.source,
        task.external_id,
        task.scope,
        task.kind,
        task.title,
        task.status.as_str(),
        task.parent,
        fields,
        base,
        to_i64(task.version, "version")?,
        task.created_at,
        task.updated_at,
    ])
    .map_err(|e| {
        let unique_key = matches!(
            &e,
            rusqlite::Error::SqliteFailure(f, _)
                if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
                    || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
        );
        match to_store_error(e) {
            StoreError::Conflict(detail) if unique_key => refused_insert(conn, task, detail),
            other => other,
        }
    })?;
    Ok(())
}

/// The [`StoreError::Duplicate`] of an insert a unique key refused, naming the task that holds
/// its id when one does (a record of another identity: not a race a fresh preview settles).
fn refused_insert(conn: &Connection, task: &Task, constraint: String) -> StoreError {
    let holder: Result<Option<(String, String)>, _> = conn
        .prepare_cached("SELECT source, external_id FROM tasks WHERE id = ?1")
        .and_then(|mut stmt| {
            stmt.query_row([&task.id], |row| Ok((row.get(0)?, row.get(1)?)))
                .optional()
        });
    StoreError::Duplicate(match holder {
        Ok(Some((source, external_id)))
            if (source.as_str(), external_id.as_str())
                != (task.source.as_str(), task.external_id.as_str()) =>
        {
            RefusedInsert::id_held_by(task, &source, &external_id)
        }
        _ => RefusedInsert::of(task, constraint),
    })
}

/// Updates a record with `stmt` (from [`UPDATE_SQL`]) under a version check.
fn update_task(
    conn: &Connection,
    stmt: &mut rusqlite::CachedStatement<'_>,
    task: &Task,
    expected: u64,
) -> Result<(), StoreError> {
    let (fields, base) = fields_and_base(task)?;
    let changed = stmt
        .execute(params![
            task.id,
            task.source,
            task.external_id,
            task.scope,
            task.kind,
            task.title,
            task.status.as_str(),
            task.parent,
            fields,
            base,
            to_i64(task.version, "version")?,
            task.created_at,
            task.updated_at,
            to_i64(expected, "expected version")?,
        ])
        .map_err(to_store_error)?;
    if changed != 1 {
        return Err(version_conflict(conn, &task.id, expected));
    }
    Ok(())
}

fn delete_task(conn: &Connection, id: &str, expected: u64) -> Result<(), StoreError> {
    let expected_i64 = to_i64(expected, "expected version")?;
    let changed = conn
        .prepare_cached("DELETE FROM tasks WHERE id = ?1 AND version = ?2")
        .and_then(|mut stmt| stmt.execute(params![id, expected_i64]))
        .map_err(to_store_error)?;
    if changed != 1 {
        return Err(version_conflict(conn, id, expected));
    }
    Ok(())
}

/// Checks and writes a whole set inside `conn`'s open transaction; the caller commits.
fn apply_in(conn: &Connection, changes: &ChangeSet) -> Result<Applied, StoreError> {
    for guard in &changes.guards {
        let actual = scope_version_in(conn, &guard.scope)?;
        if actual != guard.expected_version {
            return Err(StoreError::Conflict(format!(
                "scope `{}` is at version {actual}, expected {}",
                guard.scope, guard.expected_version
            )));
        }
    }
    // Statements are prepared on first use and reused for the whole set: a bulk apply of
    // 100,000 tasks would otherwise format and look up its SQL 100,000 times.
    let mut insert = None;
    let mut update = None;
    for write in &changes.tasks {
        match write {
            TaskWrite::Insert { task } => {
                let stmt = match &mut insert {
                    Some(stmt) => stmt,
                    None => {
                        insert.insert(conn.prepare_cached(&insert_sql()).map_err(to_store_error)?)
                    }
                };
                insert_task(conn, stmt, task)?
            }
            TaskWrite::Update {
                task,
                expected_version,
            } => {
                let stmt = match &mut update {
                    Some(stmt) => stmt,
                    None => update.insert(conn.prepare_cached(UPDATE_SQL).map_err(to_store_error)?),
                };
                update_task(conn, stmt, task, *expected_version)?
            }
            TaskWrite::Delete {
                id,
                expected_version,
                ..
            } => delete_task(conn, id, *expected_version)?,
        }
    }
    for write in &changes.jobs {
        jobs::write_in(conn, write)?;
    }
    let mut bump = conn
        .prepare_cached(
            "INSERT INTO scopes (scope, version) VALUES (?1, 1) \
             ON CONFLICT (scope) DO UPDATE SET version = version + 1 RETURNING version",
        )
        .map_err(to_store_error)?;
    let mut applied = Applied::default();
    for scope in changes.touched_scopes() {
        let version: i64 = bump
            .query_row([&scope], |row| row.get(0))
            .map_err(to_store_error)?;
        applied.scope_versions.push((scope, version.max(0) as u64));
    }
    Ok(applied)
}

// The async methods run their rusqlite calls inline, on the caller's task: SQLite is embedded
// (no network round trip) and every call here is short, so handing the work to a blocking pool
// would cost more than it saves and would tie the crate to one async runtime.
#[async_trait]
impl TaskStore for SqliteStore {
    async fn snapshot(&self, scope: String) -> Result<ScopeSnapshot, StoreError> {
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Deferred)
            .map_err(to_store_error)?;
        let version = scope_version_in(&tx, &scope)?;
        let tasks = {
            let mut stmt = tx
                .prepare_cached(&format!(
                    "SELECT {TASK_COLUMNS} FROM tasks WHERE scope = ?1"
                ))
                .map_err(to_store_error)?;
            let rows = stmt
                .query_map([&scope], task_from_row)
                .map_err(to_store_error)?;
            rows.collect::<Result<Vec<Task>, _>>()
                .map_err(to_store_error)?
        };
        tx.commit().map_err(to_store_error)?;
        Ok(ScopeSnapshot { version, tasks })
    }

    async fn scope_version(&self, scope: String) -> Result<u64, StoreError> {
        scope_version_in(&self.lock(), &scope)
    }

    async fn get(&self, id: String) -> Result<Option<Task>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare_cached(&format!("SELECT {TASK_COLUMNS} FROM tasks WHERE id = ?1"))
            .map_err(to_store_error)?;
        stmt.query_row([&id], task_from_row)
            .optional()
            .map_err(to_store_error)
    }

    async fn find_identities(
        &self,
        source: String,
        external_ids: Vec<String>,
    ) -> Result<Vec<Identity>, StoreError> {
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Deferred)
            .map_err(to_store_error)?;
        let mut found = Vec::new();
        for chunk in external_ids.chunks(ID_CHUNK) {
            let marks = vec!["?"; chunk.len()].join(", ");
            let mut stmt = tx
                .prepare_cached(&format!(
                    "SELECT external_id, id, scope FROM tasks \
                     WHERE source = ? AND external_id IN ({marks})"
                ))
                .map_err(to_store_error)?;
            let args = std::iter::once(&source).chain(chunk.iter());
            let rows = stmt
                .query_map(params_from_iter(args), |row| {
                    Ok(Identity {
                        external_id: row.get(0)?,
                        id: row.get(1)?,
                        scope: row.get(2)?,
                    })
                })
                .map_err(to_store_error)?;
            for row in rows {
                found.push(row.map_err(to_store_error)?);
            }
        }
        tx.commit().map_err(to_store_error)?;
        Ok(found)
    }

    async fn apply(&self, changes: ChangeSet) -> Result<Applied, StoreError> {
        if changes.guards.is_empty() && changes.tasks.is_empty() && changes.jobs.is_empty() {
            return Ok(Applied::default());
        }
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(to_store_error)?;
        // On any error `tx` is dropped here, which rolls the whole set back.
        let applied = apply_in(&tx, &changes)?;
        tx.commit().map_err(to_store_error)?;
        drop(conn);
        if changes
            .jobs
            .iter()
            .any(|w| w.job().state == sync_core::JobState::Pending)
        {
            self.wake.raise();
        }
        tracing::debug!(
            writes = changes.tasks.len(),
            scopes = ?applied.scope_versions,
            "sqlite change set applied"
        );
        Ok(applied)
    }
}
