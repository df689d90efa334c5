//! [`TaskStore`] for [`PostgresStore`]: the `tasks` and `scopes` tables, and the one
//! transaction a change set is applied in.
//!
//! A task row is its key columns (`id`, `source`, `external_id`, `scope`, `version`) plus the
//! task as JSON without its base (`body`) and the base (`base`): NULL for none, a marker when
//! the base mirrors the task's own content (nearly every row: `=` without a status, `=s` with
//! the task's status), else the base's JSON. The marker saves encoding, storing and decoding
//! the fields twice.
//!
//! Invariants of [`TaskStore::apply`] (one READ COMMITTED transaction):
//! - The touched scopes are bumped first, in sorted order, with one upsert that locks their
//!   rows: concurrent sets on a scope serialise there (and cannot deadlock on each other), and
//!   each guard is checked against the version the bump replaced, so of two sets expecting one
//!   version exactly one commits.
//! - Task writes run in order, batched, each checked (`task_writes.rs`).
//! - Job writes follow (`jobs.rs`); when one leaves a job pending, `pg_notify` is sent in the
//!   transaction (delivered only on commit) and the local hint is raised after the commit.
//! - Any failure returns before the commit: the transaction is dropped and rolled back. A set
//!   that lost a deadlock (two sets locking shared job rows in opposite orders) is tried again,
//!   up to [`ATTEMPTS`] times in all: nothing of it was written, so it is the same set.
//! - [`TaskStore::snapshot`] reads the version and the tasks in one statement (one snapshot of
//!   the database, so they agree), prepared once per connection: one round trip.

use std::collections::HashMap;

use async_trait::async_trait;
use deadpool_postgres::Transaction;
use sync_core::Task;
use sync_core::store::base::{base_column, base_of};
use sync_core::store::{
    Applied, ChangeSet, Identity, ScopeSnapshot, StoreError, TaskStore, TaskWrite,
};
use tokio_postgres::error::SqlState;

use crate::pool::{ATTEMPTS, Shared, is_transient, json, parse, text, to_u64};
use crate::{PostgresStore, jobs, listen, task_writes};

/// The most rows one batched statement carries.
pub(crate) const BATCH: usize = 5_000;

/// A task's `body` and `base` columns (the base as [`sync_core::store::base`] stores it). The
/// base is taken out for the body's encoding and put back.
fn encode(task: &mut Task) -> Result<(String, Option<String>), StoreError> {
    let column = base_column(task)
        .map_err(|e| StoreError::Backend(format!("cannot encode a task base as JSON: {e}")));
    let base = task.base.take();
    let body = json(&*task, "task");
    task.base = base;
    Ok((body?, column?))
}

/// The task a `body` and `base` column hold.
fn decode(body: &str, base: Option<&str>) -> Result<Task, StoreError> {
    let mut task: Task = parse(body, "task")?;
    task.base = base_of(&task, base)
        .map_err(|e| StoreError::Backend(format!("a stored task base is not valid JSON: {e}")))?;
    Ok(task)
}

fn task_of(row: &tokio_postgres::Row) -> Result<Task, StoreError> {
    decode(row.get(0), row.get(1))
}

/// A scope's version (the row whose body is NULL) and its tasks, in one statement, so both
/// come from one snapshot of the database.
const SNAPSHOT_SQL: &str = "SELECT NULL::text, NULL::text, (SELECT version FROM scopes WHERE scope = $1) \
     UNION ALL SELECT body, base, NULL FROM tasks WHERE scope = $1";

const BUMP_SQL: &str = "INSERT INTO scopes (scope, version) SELECT s, 1 FROM unnest($1::bytea[]) AS s \
     ON CONFLICT (scope) DO UPDATE SET version = scopes.version + 1 RETURNING scope, version";

/// Bumps every touched scope (locking them) and checks the guards against the versions the
/// bumps replaced.
async fn bump_scopes(
    tx: &Transaction<'_>,
    shared: &Shared,
    changes: &ChangeSet,
) -> Result<Applied, StoreError> {
    let touched = changes.touched_scopes();
    if touched.is_empty() {
        return Ok(Applied::default());
    }
    let mut sorted: Vec<&[u8]> = touched.iter().map(|s| s.as_bytes()).collect();
    sorted.sort_unstable();
    let stmt = tx
        .prepare_cached(BUMP_SQL)
        .await
        .map_err(|e| shared.error(e))?;
    let rows = tx
        .query(&stmt, &[&sorted])
        .await
        .map_err(|e| shared.error(e))?;
    let mut versions: HashMap<Vec<u8>, u64> = HashMap::with_capacity(rows.len());
    for row in rows {
        versions.insert(row.get(0), to_u64(row.get(1)));
    }
    for guard in &changes.guards {
        let now = versions.get(guard.scope.as_bytes()).copied().unwrap_or(1);
        let before = now - 1;
        if before != guard.expected_version {
            return Err(StoreError::Conflict(format!(
                "scope `{}` is at version {before}, expected {}",
                guard.scope, guard.expected_version
            )));
        }
    }
    let scope_versions = touched
        .into_iter()
        .map(|scope| {
            let version = versions.get(scope.as_bytes()).copied().unwrap_or(1);
            (scope, version)
        })
        .collect();
    Ok(Applied { scope_versions })
}

/// Checks and writes a whole set inside `tx`; says whether a job was left pending. The
/// caller commits.
async fn apply_in(
    tx: &Transaction<'_>,
    shared: &Shared,
    changes: &ChangeSet,
    encoded: &[(String, Option<String>)],
) -> Result<(Applied, bool), StoreError> {
    let applied = bump_scopes(tx, shared, changes).await?;
    task_writes::write_all(tx, shared, &changes.tasks, encoded).await?;
    let pending = jobs::write_all(tx, shared, &changes.jobs).await?;
    if pending {
        let notify = tx
            .prepare_cached("SELECT pg_notify($1, '')")
            .await
            .map_err(|e| shared.error(e))?;
        tx.execute(&notify, &[&listen::CHANNEL])
            .await
            .map_err(|e| shared.error(e))?;
    }
    Ok((applied, pending))
}

/// Applies the set in one transaction, committed; says whether a job was left pending.
async fn apply_once(
    shared: &Shared,
    changes: &ChangeSet,
    encoded: &[(String, Option<String>)],
) -> Result<(Applied, bool), StoreError> {
    let mut conn = shared.conn().await?;
    let tx = conn.transaction().await.map_err(|e| shared.error(e))?;
    // On any error `tx` is dropped here, which rolls the whole set back.
    let done = apply_in(&tx, shared, changes, encoded).await?;
    tx.commit().await.map_err(|e| commit_error(shared, e))?;
    Ok(done)
}

/// A failed commit: a deferred one-pending-job check is a conflict.
fn commit_error(shared: &Shared, err: tokio_postgres::Error) -> StoreError {
    if err.code() == Some(&SqlState::EXCLUSION_VIOLATION) {
        return StoreError::Conflict(format!(
            "the set would leave a (task, target) with two pending jobs; nothing was written \
             ({})",
            err.as_db_error().and_then(|d| d.detail()).unwrap_or("")
        ));
    }
    shared.error(err)
}

#[async_trait]
impl TaskStore for PostgresStore {
    async fn snapshot(&self, scope: String) -> Result<ScopeSnapshot, StoreError> {
        self.run(|shared| async move {
            let conn = shared.conn().await?;
            let stmt = conn
                .prepare_cached(SNAPSHOT_SQL)
                .await
                .map_err(|e| shared.error(e))?;
            let rows = conn
                .query(&stmt, &[&scope.as_bytes()])
                .await
                .map_err(|e| shared.error(e))?;
            let mut version = 0;
            let mut tasks = Vec::with_capacity(rows.len().saturating_sub(1));
            for row in &rows {
                match row.get::<_, Option<&str>>(0) {
                    Some(body) => tasks.push(decode(body, row.get(1))?),
                    None => version = row.get::<_, Option<i64>>(2).map_or(0, to_u64),
                }
            }
            Ok(ScopeSnapshot { version, tasks })
        })
        .await
    }

    async fn scope_version(&self, scope: String) -> Result<u64, StoreError> {
        self.run(|shared| async move {
            let conn = shared.conn().await?;
            let stmt = conn
                .prepare_cached("SELECT version FROM scopes WHERE scope = $1")
                .await
                .map_err(|e| shared.error(e))?;
            let row = conn
                .query_opt(&stmt, &[&scope.as_bytes()])
                .await
                .map_err(|e| shared.error(e))?;
            Ok(row.map_or(0, |row| to_u64(row.get(0))))
        })
        .await
    }

    async fn get(&self, id: String) -> Result<Option<Task>, StoreError> {
        self.run(|shared| async move {
            let conn = shared.conn().await?;
            let stmt = conn
                .prepare_cached("SELECT body, base FROM tasks WHERE id = $1")
                .await
                .map_err(|e| shared.error(e))?;
            let row = conn
                .query_opt(&stmt, &[&id.as_bytes()])
                .await
                .map_err(|e| shared.error(e))?;
            row.as_ref().map(task_of).transpose()
        })
        .await
    }

    async fn find_identities(
        &self,
        source: String,
        external_ids: Vec<String>,
    ) -> Result<Vec<Identity>, StoreError> {
        self.run(|shared| async move {
            let conn = shared.conn().await?;
            let stmt = conn
                .prepare_cached(
                    "SELECT external_id, id, scope FROM tasks \
                     WHERE source = $1 AND external_id = ANY($2::bytea[])",
                )
                .await
                .map_err(|e| shared.error(e))?;
            let mut found = Vec::new();
            for chunk in external_ids.chunks(BATCH) {
                let keys: Vec<&[u8]> = chunk.iter().map(|s| s.as_bytes()).collect();
                let rows = conn
                    .query(&stmt, &[&source.as_bytes(), &keys])
                    .await
                    .map_err(|e| shared.error(e))?;
                for row in rows {
                    found.push(Identity {
                        external_id: text(row.get(0), "external id")?,
                        id: text(row.get(1), "task id")?,
                        scope: text(row.get(2), "scope")?,
                    });
                }
            }
            Ok(found)
        })
        .await
    }

    async fn apply(&self, mut changes: ChangeSet) -> Result<Applied, StoreError> {
        if changes.guards.is_empty() && changes.tasks.is_empty() && changes.jobs.is_empty() {
            return Ok(Applied::default());
        }
        let wake = self.wake();
        self.run(|shared| async move {
            let encoded = changes
                .tasks
                .iter_mut()
                .map(|write| match write {
                    TaskWrite::Insert { task } | TaskWrite::Update { task, .. } => encode(task),
                    TaskWrite::Delete { .. } => Ok((String::new(), None)),
                })
                .collect::<Result<Vec<_>, _>>()?;
            let mut attempt = 1;
            let (applied, pending) = loop {
                match apply_once(&shared, &changes, &encoded).await {
                    Err(e) if attempt < ATTEMPTS && is_transient(&e) => attempt += 1,
                    other => break other?,
                }
            };
            tracing::debug!(
                writes = changes.tasks.len(),
                jobs = changes.jobs.len(),
                scopes = ?applied.scope_versions,
                "postgres change set applied"
            );
            if pending {
                wake.raise();
            }
            Ok(applied)
        })
        .await
    }
}
