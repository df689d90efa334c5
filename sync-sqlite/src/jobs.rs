//! [`JobStore`] for [`SqliteStore`]: the outbound queue in the `jobs` table. It stores; the
//! queue's rules are the core's (`sync_core::retry::lifecycle`).
//!
//! A job is kept as JSON (`body`) plus the columns its queries need (`state`, `run_at`,
//! `lease_owner`, `lease_until`, `version`, pair and order keys). A claim runs in one
//! `IMMEDIATE` transaction, so it is atomic across processes sharing the file: two workers
//! never hold one job, and a worker killed mid-batch leaves its jobs `running` until their
//! lease expires, when the next claim recovers them. Job writes arrive through
//! [`TaskStore::apply`], inside the transaction of the task writes they belong to, each
//! compare-and-swapped on `version`; a partial unique index keeps one pending job per
//! (task, target).
//!
//! [`TaskStore::apply`]: sync_core::TaskStore::apply

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use sync_core::Millis;
use sync_core::retry::{Job, JobQuery, JobStore, JobWrite};
use sync_core::store::StoreError;

use crate::{SqliteStore, to_store_error};

/// The `jobs` table (one step of the schema migrations).
pub(crate) const MIGRATION: &str = "
    CREATE TABLE jobs (
        id          TEXT PRIMARY KEY NOT NULL,
        task_id     TEXT NOT NULL,
        target      TEXT NOT NULL,
        state       TEXT NOT NULL,
        run_at      INTEGER NOT NULL,
        lease_owner TEXT NULL,
        lease_until INTEGER NULL,
        created_at  INTEGER NOT NULL,
        body        TEXT NOT NULL
    );
    CREATE INDEX jobs_due ON jobs (state, run_at);
    CREATE INDEX jobs_lease ON jobs (state, lease_until);
    CREATE INDEX jobs_pair ON jobs (task_id, target, state);
    CREATE INDEX jobs_order ON jobs (created_at, id);
";

fn encode(job: &Job) -> Result<String, StoreError> {
    serde_json::to_string(job)
        .map_err(|e| StoreError::Backend(format!("cannot encode job as JSON: {e}")))
}

fn decode(body: String) -> rusqlite::Result<Job> {
    serde_json::from_str(&body).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, e.into())
    })
}

fn select(
    conn: &Connection,
    sql: &str,
    args: impl rusqlite::Params,
) -> Result<Vec<Job>, StoreError> {
    let mut stmt = conn.prepare_cached(sql).map_err(to_store_error)?;
    let rows = stmt
        .query_map(args, |row| decode(row.get(0)?))
        .map_err(to_store_error)?;
    rows.collect::<Result<Vec<Job>, _>>()
        .map_err(to_store_error)
}

fn get_in(conn: &Connection, id: &str) -> Result<Option<Job>, StoreError> {
    conn.prepare_cached("SELECT body FROM jobs WHERE id = ?1")
        .and_then(|mut stmt| stmt.query_row([id], |row| decode(row.get(0)?)).optional())
        .map_err(to_store_error)
}

/// The step that versions job rows and keeps one pending job per (task, target).
pub(crate) const VERSIONS: &str = "
    ALTER TABLE jobs ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
    CREATE UNIQUE INDEX jobs_one_pending ON jobs (task_id, target) WHERE state = 'pending';
";

/// Replaces a job whose stored version is `expected` (its id and pair never change).
fn update_in(conn: &Connection, job: &Job, expected: u64) -> Result<(), StoreError> {
    let changed = conn
        .prepare_cached(
            "UPDATE jobs SET state = ?2, run_at = ?3, lease_owner = ?4, lease_until = ?5, \
             version = ?6, body = ?7 WHERE id = ?1 AND version = ?8",
        )
        .and_then(|mut stmt| {
            stmt.execute(params![
                job.id,
                job.state.as_str(),
                job.run_at,
                job.lease_owner,
                job.lease_until,
                version(job.version)?,
                encode(job).map_err(|e| rusqlite::Error::ToSqlConversionFailure(e.into()))?,
                version(expected)?,
            ])
        })
        .map_err(to_store_error)?;
    if changed != 1 {
        let found: Option<i64> = conn
            .prepare_cached("SELECT version FROM jobs WHERE id = ?1")
            .and_then(|mut stmt| stmt.query_row([&job.id], |row| row.get(0)).optional())
            .map_err(to_store_error)?;
        return Err(StoreError::Conflict(match found {
            Some(v) => format!("job `{}` is at version {v}, expected {expected}", job.id),
            None => format!("job `{}` does not exist", job.id),
        }));
    }
    Ok(())
}

fn version(v: u64) -> rusqlite::Result<i64> {
    i64::try_from(v).map_err(|e| rusqlite::Error::ToSqlConversionFailure(e.into()))
}

/// Inserts a new job (a duplicate id, or a second pending job of its pair, is a conflict).
fn insert_in(conn: &Connection, job: &Job) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO jobs (id, task_id, target, state, run_at, lease_owner, lease_until, \
         created_at, version, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )
    .and_then(|mut stmt| {
        stmt.execute(params![
            job.id,
            job.task_id,
            job.target,
            job.state.as_str(),
            job.run_at,
            job.lease_owner,
            job.lease_until,
            job.created_at,
            version(job.version)?,
            encode(job).map_err(|e| rusqlite::Error::ToSqlConversionFailure(e.into()))?,
        ])
    })
    .map_err(|e| match to_store_error(e) {
        StoreError::Conflict(detail) => {
            StoreError::Conflict(format!("job `{}` cannot be written: {detail}", job.id))
        }
        other => other,
    })?;
    Ok(())
}

/// Applies one job write inside an open transaction.
pub(crate) fn write_in(conn: &Connection, write: &JobWrite) -> Result<(), StoreError> {
    match write {
        JobWrite::Insert { job } => insert_in(conn, job),
        JobWrite::Update {
            job,
            expected_version,
        } => update_in(conn, job, *expected_version),
    }
}

impl SqliteStore {
    /// Runs `f` in one IMMEDIATE transaction, committing on success.
    fn in_write<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(to_store_error)?;
        let out = f(&tx)?;
        tx.commit().map_err(to_store_error)?;
        Ok(out)
    }
}

#[async_trait]
impl JobStore for SqliteStore {
    async fn claim(
        &self,
        owner: String,
        now: Millis,
        lease_ms: u64,
        limit: usize,
    ) -> Result<Vec<Job>, StoreError> {
        self.in_write(|conn| {
            let limit = limit as i64;
            let mut jobs = select(
                conn,
                "SELECT body FROM jobs WHERE state = 'running' AND lease_until <= ?1 \
                 ORDER BY lease_until LIMIT ?2",
                params![now, limit],
            )?;
            let rest = limit - jobs.len() as i64;
            if rest > 0 {
                jobs.extend(select(
                    conn,
                    "SELECT body FROM jobs AS j WHERE state = 'pending' AND run_at <= ?1 \
                     AND NOT EXISTS (SELECT 1 FROM jobs AS r WHERE r.task_id = j.task_id \
                     AND r.target = j.target AND r.state = 'running') \
                     ORDER BY run_at, rowid LIMIT ?2",
                    params![now, rest],
                )?);
            }
            jobs.into_iter()
                .map(|job| {
                    let claimed = job.claimed(&owner, now, lease_ms);
                    update_in(conn, &claimed, job.version)?;
                    Ok(claimed)
                })
                .collect()
        })
    }

    async fn job(&self, id: String) -> Result<Option<Job>, StoreError> {
        get_in(&self.lock(), &id)
    }

    async fn jobs(&self, query: JobQuery) -> Result<Vec<Job>, StoreError> {
        // Only the filters the query sets go into the SQL, so SQLite can use the indexes (an
        // `?1 IS NULL OR ...` form would scan the table); each shape is prepared once.
        let mut sql = String::from("SELECT body FROM jobs WHERE 1 = 1");
        let mut args: Vec<Box<dyn rusqlite::ToSql>> = Vec::new();
        let mut filter = |column: &str, value: Option<String>| {
            if let Some(value) = value {
                args.push(Box::new(value));
                sql.push_str(&format!(" AND {column} = ?{}", args.len()));
            }
        };
        filter("task_id", query.task_id.clone());
        filter("target", query.target.clone());
        filter("state", query.state.map(|s| s.as_str().to_owned()));
        if let Some(after) = query.after.clone() {
            args.push(Box::new(after));
            sql.push_str(&format!(
                " AND (created_at, id) > (SELECT created_at, id FROM jobs WHERE id = ?{})",
                args.len()
            ));
        }
        args.push(Box::new(query.page_size() as i64));
        sql.push_str(&format!(" ORDER BY created_at, id LIMIT ?{}", args.len()));
        let conn = self.lock();
        select(
            &conn,
            &sql,
            rusqlite::params_from_iter(args.iter().map(|a| a.as_ref())),
        )
    }

    async fn next_due(&self) -> Result<Option<Millis>, StoreError> {
        self.lock()
            .prepare_cached(
                "SELECT min(at) FROM (SELECT min(run_at) AS at FROM jobs WHERE state = 'pending' \
                 UNION ALL SELECT min(lease_until) FROM jobs WHERE state = 'running')",
            )
            .and_then(|mut stmt| stmt.query_row([], |row| row.get(0)))
            .map_err(to_store_error)
    }

    fn wake_hint(&self) -> Option<std::sync::Arc<sync_core::store::WakeHint>> {
        Some(self.wake.clone())
    }
}
