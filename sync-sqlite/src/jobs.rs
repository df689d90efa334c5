//! [`JobStore`] for [`SqliteStore`]: the outbound queue in the `jobs` table.
//!
//! A job is kept as JSON (`body`) plus the columns its queries need (`state`, `run_at`,
//! `lease_owner`, `lease_until`, pair and order keys). Every method runs in one `IMMEDIATE`
//! transaction, so a claim is atomic across processes sharing the file: two workers never hold
//! one job, and a worker killed mid-batch leaves its jobs `running` until their lease expires,
//! when the next claim recovers them. Jobs are enqueued by [`TaskStore::apply`] (the outbox),
//! inside the transaction of the task writes they belong to.
//!
//! [`TaskStore::apply`]: sync_core::TaskStore::apply

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use sync_core::Millis;
use sync_core::retry::{Finish, Job, JobError, JobQuery, JobState, JobStore, SyncStatus};
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

/// Writes a job's state back (its id and pair never change).
fn save(conn: &Connection, job: &Job) -> Result<(), StoreError> {
    conn.prepare_cached(
        "UPDATE jobs SET state = ?2, run_at = ?3, lease_owner = ?4, lease_until = ?5, body = ?6 \
         WHERE id = ?1",
    )
    .and_then(|mut stmt| {
        stmt.execute(params![
            job.id,
            job.state.as_str(),
            job.run_at,
            job.lease_owner,
            job.lease_until,
            encode(job).map_err(|e| rusqlite::Error::ToSqlConversionFailure(e.into()))?,
        ])
    })
    .map_err(to_store_error)?;
    Ok(())
}

/// Enqueues a job inside an open transaction: supersedes its pair's pending job, then inserts
/// (a duplicate id is a conflict).
pub(crate) fn enqueue_in(conn: &Connection, job: &Job) -> Result<(), StoreError> {
    let pending = select(
        conn,
        "SELECT body FROM jobs WHERE task_id = ?1 AND target = ?2 AND state = 'pending'",
        params![job.task_id, job.target],
    )?;
    for mut old in pending {
        old.state = JobState::Superseded;
        old.updated_at = job.created_at;
        save(conn, &old)?;
    }
    conn.prepare_cached(
        "INSERT INTO jobs (id, task_id, target, state, run_at, lease_owner, lease_until, \
         created_at, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
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
            encode(job).map_err(|e| rusqlite::Error::ToSqlConversionFailure(e.into()))?,
        ])
    })
    .map_err(|e| match to_store_error(e) {
        StoreError::Conflict(detail) => {
            StoreError::Conflict(format!("job `{}` cannot be enqueued: {detail}", job.id))
        }
        other => other,
    })?;
    Ok(())
}

/// Whether `job`'s (task, target) has another job waiting (a newer intent).
fn newer_pending_in(conn: &Connection, job: &Job) -> Result<bool, StoreError> {
    conn.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM jobs WHERE task_id = ?1 AND target = ?2 \
         AND state = 'pending' AND id != ?3)",
    )
    .and_then(|mut stmt| stmt.query_row(params![job.task_id, job.target, job.id], |row| row.get(0)))
    .map_err(to_store_error)
}

/// Puts a dead job's task back to the job's `from` while it still shows the job's `to`.
fn revert_in(conn: &Connection, job: &Job, now: Millis) -> Result<(), StoreError> {
    let scope: Option<String> = conn
        .prepare_cached(
            "UPDATE tasks SET status = ?2, version = version + 1, updated_at = ?3 \
             WHERE id = ?1 AND status = ?4 RETURNING scope",
        )
        .and_then(|mut stmt| {
            stmt.query_row(
                params![job.task_id, job.from.as_str(), now, job.to.as_str()],
                |row| row.get(0),
            )
            .optional()
        })
        .map_err(to_store_error)?;
    if let Some(scope) = scope {
        conn.prepare_cached("UPDATE scopes SET version = version + 1 WHERE scope = ?1")
            .and_then(|mut stmt| stmt.execute([scope]))
            .map_err(to_store_error)?;
    }
    Ok(())
}

impl SqliteStore {
    /// Runs `f` in one IMMEDIATE transaction, committing on success.
    fn in_write<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(to_store_error)?;
        let out = f(&tx)?;
        tx.commit().map_err(to_store_error)?;
        Ok(out)
    }

    fn settle_dead(&self, id: &str, now: Millis, discard: bool) -> Result<Job, JobError> {
        self.in_write(|conn| {
            let mut job = get_in(conn, id)?.ok_or_else(|| JobError::NotFound(id.to_owned()))?;
            let newest: Option<String> = conn
                .prepare_cached(
                    "SELECT id FROM jobs WHERE task_id = ?1 AND target = ?2 \
                     ORDER BY rowid DESC LIMIT 1",
                )
                .and_then(|mut stmt| {
                    stmt.query_row(params![job.task_id, job.target], |row| row.get(0))
                        .optional()
                })
                .map_err(to_store_error)?;
            job.settle_dead(now, discard, newest.as_deref() != Some(id))?;
            save(conn, &job)?;
            Ok(job)
        })
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
            for job in &mut jobs {
                job.claim(&owner, now, lease_ms);
                save(conn, job)?;
            }
            Ok(jobs)
        })
    }

    async fn finish(
        &self,
        owner: String,
        now: Millis,
        results: Vec<Finish>,
    ) -> Result<Vec<bool>, StoreError> {
        self.in_write(|conn| {
            let mut applied = Vec::with_capacity(results.len());
            for result in &results {
                let Some(mut job) = get_in(conn, result.id())?.filter(|j| j.held_by(&owner)) else {
                    applied.push(false);
                    continue;
                };
                let newer_pending = newer_pending_in(conn, &job)?;
                job.finish(result, now, newer_pending);
                save(conn, &job)?;
                if let Finish::Dead { revert: true, .. } = result {
                    revert_in(conn, &job, now)?;
                }
                applied.push(true);
            }
            Ok(applied)
        })
    }

    async fn job(&self, id: String) -> Result<Option<Job>, StoreError> {
        get_in(&self.lock(), &id)
    }

    async fn jobs(&self, query: JobQuery) -> Result<Vec<Job>, StoreError> {
        let conn = self.lock();
        select(
            &conn,
            "SELECT body FROM jobs WHERE (?1 IS NULL OR state = ?1) \
             AND (?2 IS NULL OR target = ?2) AND (?3 IS NULL OR task_id = ?3) \
             AND (?4 IS NULL OR (created_at, id) > \
                  (SELECT created_at, id FROM jobs WHERE id = ?4)) \
             ORDER BY created_at, id LIMIT ?5",
            params![
                query.state.map(JobState::as_str),
                query.target,
                query.task_id,
                query.after,
                query.page_size() as i64,
            ],
        )
    }

    async fn requeue(&self, id: String, now: Millis) -> Result<Job, JobError> {
        self.settle_dead(&id, now, false)
    }

    async fn discard(&self, id: String, now: Millis) -> Result<Job, JobError> {
        self.settle_dead(&id, now, true)
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

    async fn sync_status(&self, task_id: String) -> Result<Vec<(String, SyncStatus)>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare_cached(
                "SELECT target, state FROM jobs WHERE rowid IN \
                 (SELECT max(rowid) FROM jobs WHERE task_id = ?1 GROUP BY target) \
                 ORDER BY target",
            )
            .map_err(to_store_error)?;
        let rows = stmt
            .query_map([&task_id], |row| {
                let state: String = row.get(1)?;
                Ok((row.get::<_, String>(0)?, state))
            })
            .map_err(to_store_error)?;
        let mut out = Vec::new();
        for row in rows {
            let (target, state) = row.map_err(to_store_error)?;
            let state = JobState::parse(&state)
                .ok_or_else(|| StoreError::Backend(format!("unknown job state `{state}`")))?;
            out.push((target, SyncStatus::of(state)));
        }
        Ok(out)
    }
}
