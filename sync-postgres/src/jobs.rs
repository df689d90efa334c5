//! [`JobStore`] for [`PostgresStore`]: the outbound queue in the `jobs` table. It stores; the
//! queue's rules are the core's (`sync_core::retry::lifecycle`).
//!
//! A job is kept as JSON (`body`) plus the columns its queries need (`state`, `run_at`,
//! `lease_until`, `version`, the pair, the order keys and `seq`, the insertion order).
//!
//! Invariants:
//! - Job writes arrive through [`TaskStore::apply`](sync_core::TaskStore::apply), inside the
//!   transaction of the task writes they belong to: inserts refuse an existing id
//!   (`ON CONFLICT (id) DO NOTHING`, the missing id named in a [`StoreError::Conflict`]),
//!   updates are compare-and-swaps on `version`. Writes of different jobs commute (the
//!   one-pending-job rule is checked at commit), so they are batched: one insert and one update
//!   statement per round, a round holding at most one write of each job, in the set's order.
//! - A claim is one transaction of two statements: one `SELECT … FOR UPDATE SKIP LOCKED` that
//!   takes the expired leases (oldest lease first) and then the due pending jobs (`run_at`,
//!   then insertion order) whose (task, target) has no running job, and one batched update
//!   that writes each as [`Job::claimed`] (computed here, so it is exactly the core's). Row
//!   locks make two claimers never take one job; a pair's pending job is taken only while no
//!   job of its pair is running (an expired one included), and a pair has at most one pending
//!   job, so claimers never split a pair: whoever locks the pair's only candidate row runs it,
//!   and a claimer that finds it locked skips it.

use async_trait::async_trait;
use deadpool_postgres::Transaction;
use sync_core::Millis;
use sync_core::retry::{Job, JobQuery, JobState, JobStore, JobWrite};
use sync_core::store::{StoreError, WakeHint};
use tokio_postgres::types::ToSql;

use crate::PostgresStore;
use crate::pool::{Shared, json, parse, to_i64, to_u64};
use crate::tasks::BATCH;

const INSERT_SQL: &str = "INSERT INTO jobs \
     (id, task_id, target, state, run_at, lease_until, created_at, version, body) \
     SELECT * FROM unnest($1::bytea[], $2::bytea[], $3::bytea[], $4::text[], $5::bigint[], \
     $6::bigint[], $7::bigint[], $8::bigint[], $9::text[]) ON CONFLICT (id) DO NOTHING RETURNING id";

const UPDATE_SQL: &str = "UPDATE jobs AS j SET state = u.state, run_at = u.run_at, \
     lease_until = u.lease_until, version = u.version, body = u.body \
     FROM unnest($1::bytea[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::text[], \
     $7::bigint[]) AS u(id, state, run_at, lease_until, version, body, expected) \
     WHERE j.id = u.id AND j.version = u.expected RETURNING j.id";

/// Expired leases first (oldest lease first), then due pending jobs of pairs with nothing
/// running (`run_at`, then insertion order); at most `$2` in all.
const CLAIM_SQL: &str = "WITH expired AS ( \
         SELECT body, lease_until AS k1, seq AS k2 FROM jobs \
         WHERE state = 'running' AND lease_until <= $1 \
         ORDER BY lease_until, seq LIMIT $2 FOR UPDATE SKIP LOCKED \
     ), due AS ( \
         SELECT body, run_at AS k1, seq AS k2 FROM jobs AS j \
         WHERE state = 'pending' AND run_at <= $1 AND NOT EXISTS ( \
             SELECT 1 FROM jobs AS r \
             WHERE r.task_id = j.task_id AND r.target = j.target AND r.state = 'running') \
         ORDER BY run_at, seq \
         LIMIT greatest($2 - (SELECT count(*) FROM expired), 0) FOR UPDATE SKIP LOCKED \
     ) \
     SELECT body FROM (SELECT 0 AS phase, * FROM expired UNION ALL SELECT 1, * FROM due) AS c \
     ORDER BY phase, k1, k2";

/// Inserts `jobs` (one statement); an existing id is a conflict naming it.
async fn insert(tx: &Transaction<'_>, shared: &Shared, jobs: &[&Job]) -> Result<(), StoreError> {
    let ids: Vec<&[u8]> = jobs.iter().map(|j| j.id.as_bytes()).collect();
    let tasks: Vec<&[u8]> = jobs.iter().map(|j| j.task_id.as_bytes()).collect();
    let targets: Vec<&[u8]> = jobs.iter().map(|j| j.target.as_bytes()).collect();
    let states: Vec<&str> = jobs.iter().map(|j| j.state.as_str()).collect();
    let run_at: Vec<i64> = jobs.iter().map(|j| j.run_at).collect();
    let leases: Vec<Option<i64>> = jobs.iter().map(|j| j.lease_until).collect();
    let created: Vec<i64> = jobs.iter().map(|j| j.created_at).collect();
    let versions = jobs
        .iter()
        .map(|j| to_i64(j.version, "job version"))
        .collect::<Result<Vec<_>, _>>()?;
    let bodies = jobs
        .iter()
        .map(|j| json(*j, "job"))
        .collect::<Result<Vec<_>, _>>()?;
    let stmt = tx
        .prepare_cached(INSERT_SQL)
        .await
        .map_err(|e| shared.error(e))?;
    let rows = tx
        .query(
            &stmt,
            &[
                &ids, &tasks, &targets, &states, &run_at, &leases, &created, &versions, &bodies,
            ],
        )
        .await
        .map_err(|e| shared.error(e))?;
    if rows.len() == jobs.len() {
        return Ok(());
    }
    let written: std::collections::HashSet<Vec<u8>> = rows.into_iter().map(|r| r.get(0)).collect();
    let refused = jobs.iter().find(|j| !written.contains(j.id.as_bytes()));
    Err(StoreError::Conflict(match refused {
        Some(job) => format!(
            "job `{}` cannot be written: a job with this id exists",
            job.id
        ),
        None => "a job insert returned an unknown row".into(),
    }))
}

/// Replaces each job whose stored version is its expected one (one statement); a job at
/// another version, or missing, is a conflict naming it.
async fn update(
    tx: &Transaction<'_>,
    shared: &Shared,
    jobs: &[(&Job, u64)],
) -> Result<(), StoreError> {
    let ids: Vec<&[u8]> = jobs.iter().map(|(j, _)| j.id.as_bytes()).collect();
    let states: Vec<&str> = jobs.iter().map(|(j, _)| j.state.as_str()).collect();
    let run_at: Vec<i64> = jobs.iter().map(|(j, _)| j.run_at).collect();
    let leases: Vec<Option<i64>> = jobs.iter().map(|(j, _)| j.lease_until).collect();
    let versions = jobs
        .iter()
        .map(|(j, _)| to_i64(j.version, "job version"))
        .collect::<Result<Vec<_>, _>>()?;
    let bodies = jobs
        .iter()
        .map(|(j, _)| json(*j, "job"))
        .collect::<Result<Vec<_>, _>>()?;
    let expected = jobs
        .iter()
        .map(|(_, e)| to_i64(*e, "expected job version"))
        .collect::<Result<Vec<_>, _>>()?;
    let stmt = tx
        .prepare_cached(UPDATE_SQL)
        .await
        .map_err(|e| shared.error(e))?;
    let rows = tx
        .query(
            &stmt,
            &[
                &ids, &states, &run_at, &leases, &versions, &bodies, &expected,
            ],
        )
        .await
        .map_err(|e| shared.error(e))?;
    if rows.len() == jobs.len() {
        return Ok(());
    }
    let written: std::collections::HashSet<Vec<u8>> = rows.into_iter().map(|r| r.get(0)).collect();
    let Some((job, expected)) = jobs
        .iter()
        .find(|(j, _)| !written.contains(j.id.as_bytes()))
    else {
        return Err(StoreError::Backend(
            "a job update returned an unknown row".into(),
        ));
    };
    let found = tx
        .query_opt(
            "SELECT version FROM jobs WHERE id = $1",
            &[&job.id.as_bytes()],
        )
        .await
        .map_err(|e| shared.error(e))?;
    Err(StoreError::Conflict(match found {
        Some(row) => format!(
            "job `{}` is at version {}, expected {expected}",
            job.id,
            to_u64(row.get(0))
        ),
        None => format!("job `{}` does not exist", job.id),
    }))
}

/// Applies a set's job writes inside its open transaction; says whether one leaves a job
/// pending (so workers should be woken once the set commits).
pub(crate) async fn write_all(
    tx: &Transaction<'_>,
    shared: &Shared,
    writes: &[JobWrite],
) -> Result<bool, StoreError> {
    if writes.is_empty() {
        return Ok(false);
    }
    // Round `r` holds the `r`-th write of each job, so a job's writes keep their order.
    let mut seen: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    let mut rounds: Vec<Vec<&JobWrite>> = Vec::new();
    for write in writes {
        let count = seen.entry(write.job().id.as_str()).or_insert(0);
        if rounds.len() <= *count {
            rounds.push(Vec::new());
        }
        rounds[*count].push(write);
        *count += 1;
    }
    for round in rounds {
        let inserts: Vec<&Job> = round
            .iter()
            .filter_map(|w| match w {
                JobWrite::Insert { job } => Some(job),
                JobWrite::Update { .. } => None,
            })
            .collect();
        for chunk in inserts.chunks(BATCH) {
            insert(tx, shared, chunk).await?;
        }
        let updates: Vec<(&Job, u64)> = round
            .iter()
            .filter_map(|w| match w {
                JobWrite::Update {
                    job,
                    expected_version,
                } => Some((job, *expected_version)),
                JobWrite::Insert { .. } => None,
            })
            .collect();
        for chunk in updates.chunks(BATCH) {
            update(tx, shared, chunk).await?;
        }
    }
    Ok(writes.iter().any(|w| w.job().state == JobState::Pending))
}

fn jobs_of(rows: Vec<tokio_postgres::Row>) -> Result<Vec<Job>, StoreError> {
    rows.iter().map(|row| parse(row.get(0), "job")).collect()
}

#[async_trait]
impl JobStore for PostgresStore {
    async fn claim(
        &self,
        owner: String,
        now: Millis,
        lease_ms: u64,
        limit: usize,
    ) -> Result<Vec<Job>, StoreError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        self.run(|shared| async move {
            let mut conn = shared.conn().await?;
            let tx = conn.transaction().await.map_err(|e| shared.error(e))?;
            let stmt = tx
                .prepare_cached(CLAIM_SQL)
                .await
                .map_err(|e| shared.error(e))?;
            let limit = i64::try_from(limit).unwrap_or(i64::MAX);
            let rows = tx
                .query(&stmt, &[&now, &limit])
                .await
                .map_err(|e| shared.error(e))?;
            if rows.is_empty() {
                tx.commit().await.map_err(|e| shared.error(e))?;
                return Ok(Vec::new());
            }
            let found = jobs_of(rows)?;
            let claimed: Vec<Job> = found
                .iter()
                .map(|job| job.claimed(&owner, now, lease_ms))
                .collect();
            let writes: Vec<(&Job, u64)> = claimed
                .iter()
                .zip(&found)
                .map(|(next, job)| (next, job.version))
                .collect();
            for chunk in writes.chunks(BATCH) {
                update(&tx, &shared, chunk).await?;
            }
            tx.commit().await.map_err(|e| shared.error(e))?;
            Ok(claimed)
        })
        .await
    }

    async fn job(&self, id: String) -> Result<Option<Job>, StoreError> {
        self.run(|shared| async move {
            let conn = shared.conn().await?;
            let stmt = conn
                .prepare_cached("SELECT body FROM jobs WHERE id = $1")
                .await
                .map_err(|e| shared.error(e))?;
            let row = conn
                .query_opt(&stmt, &[&id.as_bytes()])
                .await
                .map_err(|e| shared.error(e))?;
            row.map(|row| parse(row.get(0), "job")).transpose()
        })
        .await
    }

    async fn jobs(&self, query: JobQuery) -> Result<Vec<Job>, StoreError> {
        self.run(|shared| async move {
            // Only the filters the query sets go into the SQL, so the planner can use the
            // indexes; each shape is prepared once per connection.
            let mut sql = String::from("SELECT body FROM jobs WHERE true");
            let mut params: Vec<Box<dyn ToSql + Sync + Send>> = Vec::new();
            let mut filter = |column: &str, value: Option<Box<dyn ToSql + Sync + Send>>| {
                if let Some(value) = value {
                    params.push(value);
                    sql.push_str(&format!(" AND {column} = ${}", params.len()));
                }
            };
            let bytes = |s: Option<String>| s.map(|s| Box::new(s.into_bytes()) as Box<_>);
            filter("task_id", bytes(query.task_id.clone()));
            filter("target", bytes(query.target.clone()));
            filter(
                "state",
                query
                    .state
                    .map(|s| Box::new(s.as_str().to_owned()) as Box<_>),
            );
            if let Some(after) = query.after.clone() {
                params.push(Box::new(after.into_bytes()));
                sql.push_str(&format!(
                    " AND (created_at, id) > (SELECT created_at, id FROM jobs WHERE id = ${})",
                    params.len()
                ));
            }
            params.push(Box::new(
                i64::try_from(query.page_size()).unwrap_or(i64::MAX),
            ));
            sql.push_str(&format!(" ORDER BY created_at, id LIMIT ${}", params.len()));
            let conn = shared.conn().await?;
            let stmt = conn
                .prepare_cached(&sql)
                .await
                .map_err(|e| shared.error(e))?;
            let refs: Vec<&(dyn ToSql + Sync)> = params
                .iter()
                .map(|p| p.as_ref() as &(dyn ToSql + Sync))
                .collect();
            let rows = conn
                .query(&stmt, &refs)
                .await
                .map_err(|e| shared.error(e))?;
            jobs_of(rows)
        })
        .await
    }

    async fn next_due(&self) -> Result<Option<Millis>, StoreError> {
        self.run(|shared| async move {
            let conn = shared.conn().await?;
            let stmt = conn
                .prepare_cached(
                    "SELECT least( \
                     (SELECT min(run_at) FROM jobs WHERE state = 'pending'), \
                     (SELECT min(lease_until) FROM jobs WHERE state = 'running'))",
                )
                .await
                .map_err(|e| shared.error(e))?;
            let row = conn
                .query_one(&stmt, &[])
                .await
                .map_err(|e| shared.error(e))?;
            Ok(row.get::<_, Option<i64>>(0))
        })
        .await
    }

    fn wake_hint(&self) -> Option<std::sync::Arc<WakeHint>> {
        Some(self.wake())
    }
}
