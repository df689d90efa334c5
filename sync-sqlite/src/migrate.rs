//! The schema migrations of the SQLite file, tracked with `PRAGMA user_version`.
//!
//! Step `i` moves the schema from version `i` to `i + 1`; [`migrate`] runs the missing steps in
//! one IMMEDIATE transaction, so a file is either fully migrated or left as it was, and a file
//! newer than this build is refused.

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use sync_core::Task;
use sync_core::store::StoreError;

use crate::{gates, history, jobs, to_store_error};

/// One schema step: SQL, or code for a step SQL cannot express.
enum Step {
    Sql(&'static str),
    Code(fn(&Connection) -> Result<(), StoreError>),
}

const STEPS: &[Step] = &[
    Step::Sql(
        "
    CREATE TABLE tasks (
        id          TEXT PRIMARY KEY NOT NULL,
        source      TEXT NOT NULL,
        external_id TEXT NOT NULL,
        scope       TEXT NOT NULL,
        kind        TEXT NOT NULL,
        title       TEXT NOT NULL,
        status      TEXT NOT NULL,
        parent      TEXT NULL,
        fields      TEXT NOT NULL,
        base        TEXT NULL,
        version     INTEGER NOT NULL,
        created_at  INTEGER NOT NULL,
        updated_at  INTEGER NOT NULL,
        UNIQUE (source, external_id)
    );
    CREATE INDEX tasks_scope ON tasks (scope);
    CREATE TABLE scopes (
        scope   TEXT PRIMARY KEY NOT NULL,
        version INTEGER NOT NULL
    );
",
    ),
    Step::Sql(
        "
    CREATE TABLE sessions (
        id      TEXT PRIMARY KEY NOT NULL,
        status  TEXT NOT NULL,
        version INTEGER NOT NULL,
        body    TEXT NOT NULL
    );
",
    ),
    Step::Sql(jobs::MIGRATION),
    Step::Sql(history::MIGRATION),
    // Version 5 writes base markers (see `fields_and_base`); the step changes no table, it
    // only makes builds that cannot read markers refuse the file.
    Step::Sql("-- tasks.base may hold a marker: '=' or '=s'"),
    Step::Code(rekey_nul_identities),
    Step::Sql(jobs::VERSIONS),
    Step::Sql(gates::MIGRATION),
];

/// Brings the schema up to date, all missing steps in one IMMEDIATE transaction.
pub(crate) fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(to_store_error)?;
    let current: i64 = tx
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .map_err(to_store_error)?;
    let target = STEPS.len() as i64;
    if current > target {
        return Err(StoreError::Backend(format!(
            "database schema version {current} is newer than this build supports ({target})"
        )));
    }
    for (step, migration) in STEPS.iter().enumerate().skip(current.max(0) as usize) {
        match migration {
            Step::Sql(sql) => tx.execute_batch(sql).map_err(to_store_error)?,
            Step::Code(run) => run(&tx)?,
        }
        tx.pragma_update(None, "user_version", step as i64 + 1)
            .map_err(to_store_error)?;
        tracing::debug!(version = step + 1, "sqlite schema migrated");
    }
    tx.commit().map_err(to_store_error)
}

/// Version 6: hub ids are NUL-safe ([`Task::hub_id`]). Before, an identity's parts were joined
/// by a NUL, so an identity containing a NUL could share its id with another one, which then
/// could never be created.
///
/// Which rows move: only tasks whose source or external id contains a NUL and whose id is the
/// old derived one ([`Task::legacy_hub_id`]). Every other identity hashes exactly as before, so
/// its id, and every job, history item and audit entry naming it, stays valid untouched, with
/// no work for large files; a task whose id a host chose is not derived and keeps it. Re-keying
/// the moved rows (instead of keeping their old ids) is what makes `Task::hub_id` find them
/// again (the tool's `status --task`, hosts looking a task up by identity) and keeps an old id
/// from ever meeting a new-style one.
///
/// With each task move the rows that name its id: its jobs (`task_id`, also inside the job's
/// JSON) and the sync history (items' `target_id`, the `task` audit entries). A job's own id
/// stays: it is the idempotency key a provider may have seen already. If the new id is taken
/// (only a record with a host-chosen id can hold it), the task keeps its old id and still
/// syncs, since a sync matches tasks by identity, never by id.
fn rekey_nul_identities(tx: &Connection) -> Result<(), StoreError> {
    let mut stmt = tx
        .prepare(
            "SELECT id, source, external_id FROM tasks \
             WHERE instr(CAST(source AS BLOB), x'00') > 0 \
                OR instr(CAST(external_id AS BLOB), x'00') > 0",
        )
        .map_err(to_store_error)?;
    let rows = stmt
        .query_map([], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
            ))
        })
        .map_err(to_store_error)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(to_store_error)?;
    for (old, source, external_id) in rows {
        let new = Task::hub_id(&source, &external_id);
        if old != Task::legacy_hub_id(&source, &external_id) || new == old {
            continue;
        }
        let taken = tx
            .query_row("SELECT 1 FROM tasks WHERE id = ?1", [&new], |_| Ok(()))
            .optional()
            .map_err(to_store_error)?
            .is_some();
        if taken {
            tracing::warn!(old = %old, new = %new, "hub id taken; the task keeps its old id");
            continue;
        }
        for sql in [
            "UPDATE tasks SET id = ?2 WHERE id = ?1",
            "UPDATE jobs SET task_id = ?2, body = json_set(body, '$.task_id', ?2) \
             WHERE task_id = ?1",
            "UPDATE history_items SET target_id = ?2 WHERE target_id = ?1",
            "UPDATE history_audit SET entity_id = ?2, body = json_set(body, '$.entity_id', ?2) \
             WHERE entity_type = 'task' AND entity_id = ?1",
        ] {
            tx.execute(sql, params![old, new]).map_err(to_store_error)?;
        }
        tracing::info!(old = %old, new = %new, "task re-keyed to its NUL-safe hub id");
    }
    Ok(())
}
