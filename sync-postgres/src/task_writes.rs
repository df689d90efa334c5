//! The task writes of a change set, batched: one statement per run of writes of one kind in
//! which no id repeats, so running the runs in order is running the writes in order (the
//! engine's deletes, updates and creates are three statements, whatever their number).
//!
//! Invariants: updates and deletes are compare-and-swaps (`id` and `version` must both match)
//! and each must change one row, else the set fails with a [`StoreError::Conflict`] naming the
//! first write that did not, and the version found; inserts use `ON CONFLICT DO NOTHING`, so
//! a refused insert is seen by its missing id (the transaction stays usable to find out what
//! holds the key) and named in a [`StoreError::Duplicate`]. An update that would take another
//! task's identity is refused by the unique key: a [`StoreError::Conflict`].

use std::collections::HashSet;
use std::ops::Range;

use deadpool_postgres::Transaction;
use sync_core::Task;
use sync_core::store::{RefusedInsert, StoreError, TaskWrite};

use crate::pool::{Shared, clip, text, to_i64, to_u64};
use crate::tasks::BATCH;

/// The kind of a task write, for batching.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Insert,
    Update,
    Delete,
}

fn kind_of(write: &TaskWrite) -> (Kind, &str) {
    match write {
        TaskWrite::Insert { task } => (Kind::Insert, &task.id),
        TaskWrite::Update { task, .. } => (Kind::Update, &task.id),
        TaskWrite::Delete { id, .. } => (Kind::Delete, id),
    }
}

/// The writes cut into maximal runs of one kind in which no id repeats (at most [`BATCH`]
/// each), so running the runs in order is running the writes in order.
fn runs(writes: &[TaskWrite]) -> Vec<(Kind, Range<usize>)> {
    let mut runs = Vec::new();
    let mut start = 0;
    let mut ids: HashSet<&str> = HashSet::new();
    for (i, write) in writes.iter().enumerate() {
        let (kind, id) = kind_of(write);
        let same_run = i > start
            && kind_of(&writes[start]).0 == kind
            && i - start < BATCH
            && !ids.contains(id);
        if !same_run && i > start {
            runs.push((kind_of(&writes[start]).0, start..i));
            start = i;
            ids.clear();
        }
        ids.insert(id);
    }
    if start < writes.len() {
        runs.push((kind_of(&writes[start]).0, start..writes.len()));
    }
    runs
}

const INSERT_SQL: &str = "INSERT INTO tasks (id, source, external_id, scope, version, body, base) \
     SELECT * FROM unnest($1::bytea[], $2::bytea[], $3::bytea[], $4::bytea[], $5::bigint[], \
     $6::text[], $7::text[]) ON CONFLICT DO NOTHING RETURNING id";

const UPDATE_SQL: &str = "UPDATE tasks AS t SET source = u.source, external_id = u.external_id, \
     scope = u.scope, version = u.version, body = u.body, base = u.base \
     FROM unnest($1::bytea[], $2::bytea[], $3::bytea[], $4::bytea[], $5::bigint[], $6::text[], \
     $7::text[], $8::bigint[]) AS u(id, source, external_id, scope, version, body, base, expected) \
     WHERE t.id = u.id AND t.version = u.expected RETURNING t.id";

const DELETE_SQL: &str = "DELETE FROM tasks AS t USING unnest($1::bytea[], $2::bigint[]) \
     AS d(id, expected) WHERE t.id = d.id AND t.version = d.expected RETURNING t.id";

/// The conflict of a compare-and-swap that matched no row, naming what is stored instead.
async fn version_conflict(
    tx: &Transaction<'_>,
    shared: &Shared,
    id: &str,
    expected: u64,
) -> StoreError {
    let found = tx
        .query_opt("SELECT version FROM tasks WHERE id = $1", &[&id.as_bytes()])
        .await;
    match found {
        Ok(Some(row)) => StoreError::Conflict(format!(
            "task `{id}` is at version {}, expected {expected}",
            to_u64(row.get(0))
        )),
        Ok(None) => StoreError::Conflict(format!(
            "task `{id}` does not exist (expected version {expected})"
        )),
        Err(e) => shared.error(e),
    }
}

/// The [`StoreError::Duplicate`] of an insert a unique key refused, naming what holds the key.
async fn refused_insert(tx: &Transaction<'_>, shared: &Shared, task: &Task) -> StoreError {
    let rows = tx
        .query(
            "SELECT id, source, external_id FROM tasks \
             WHERE id = $1 OR (source = $2 AND external_id = $3)",
            &[
                &task.id.as_bytes(),
                &task.source.as_bytes(),
                &task.external_id.as_bytes(),
            ],
        )
        .await;
    let rows = match rows {
        Ok(rows) => rows,
        Err(e) => return shared.error(e),
    };
    let mut holders = Vec::with_capacity(rows.len());
    for row in rows {
        let parts = (
            text(row.get(0), "task id"),
            text(row.get(1), "source"),
            text(row.get(2), "external id"),
        );
        match parts {
            (Ok(id), Ok(source), Ok(external_id)) => holders.push((id, source, external_id)),
            (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return e,
        }
    }
    let by_id = holders.iter().find(|(id, _, _)| *id == task.id);
    let refused = match by_id {
        Some((_, source, external_id))
            if (source.as_str(), external_id.as_str())
                != (task.source.as_str(), task.external_id.as_str()) =>
        {
            RefusedInsert::id_held_by(task, source, external_id)
        }
        Some(_) => RefusedInsert::of(task, "a task with this hub id and identity exists"),
        None => match holders.first() {
            Some((holder, _, _)) => RefusedInsert::of(
                task,
                format!("its identity is held by the task `{}`", clip(holder)),
            ),
            None => RefusedInsert::of(task, "a unique key of the tasks table refused it"),
        },
    };
    StoreError::Duplicate(refused)
}

/// The ids a batched statement returned.
fn returned(rows: Vec<tokio_postgres::Row>) -> HashSet<Vec<u8>> {
    rows.into_iter().map(|row| row.get(0)).collect()
}

/// One run of inserts.
async fn insert_run(
    tx: &Transaction<'_>,
    shared: &Shared,
    writes: &[TaskWrite],
    encoded: &[(String, Option<String>)],
) -> Result<(), StoreError> {
    let tasks: Vec<&Task> = writes
        .iter()
        .filter_map(|w| match w {
            TaskWrite::Insert { task } => Some(task),
            _ => None,
        })
        .collect();
    let ids: Vec<&[u8]> = tasks.iter().map(|t| t.id.as_bytes()).collect();
    let sources: Vec<&[u8]> = tasks.iter().map(|t| t.source.as_bytes()).collect();
    let externals: Vec<&[u8]> = tasks.iter().map(|t| t.external_id.as_bytes()).collect();
    let scopes: Vec<&[u8]> = tasks.iter().map(|t| t.scope.as_bytes()).collect();
    let versions = tasks
        .iter()
        .map(|t| to_i64(t.version, "version"))
        .collect::<Result<Vec<i64>, _>>()?;
    let bodies: Vec<&str> = encoded.iter().map(|(b, _)| b.as_str()).collect();
    let bases: Vec<Option<&str>> = encoded.iter().map(|(_, b)| b.as_deref()).collect();
    let stmt = tx
        .prepare_cached(INSERT_SQL)
        .await
        .map_err(|e| shared.error(e))?;
    let rows = tx
        .query(
            &stmt,
            &[
                &ids, &sources, &externals, &scopes, &versions, &bodies, &bases,
            ],
        )
        .await
        .map_err(|e| shared.error(e))?;
    if rows.len() == tasks.len() {
        return Ok(());
    }
    let inserted = returned(rows);
    match tasks.iter().find(|t| !inserted.contains(t.id.as_bytes())) {
        Some(task) => Err(refused_insert(tx, shared, task).await),
        None => Err(StoreError::Backend(
            "an insert returned an unknown row".into(),
        )),
    }
}

/// One run of updates.
async fn update_run(
    tx: &Transaction<'_>,
    shared: &Shared,
    writes: &[TaskWrite],
    encoded: &[(String, Option<String>)],
) -> Result<(), StoreError> {
    let updates: Vec<(&Task, u64)> = writes
        .iter()
        .filter_map(|w| match w {
            TaskWrite::Update {
                task,
                expected_version,
            } => Some((task, *expected_version)),
            _ => None,
        })
        .collect();
    let ids: Vec<&[u8]> = updates.iter().map(|(t, _)| t.id.as_bytes()).collect();
    let sources: Vec<&[u8]> = updates.iter().map(|(t, _)| t.source.as_bytes()).collect();
    let externals: Vec<&[u8]> = updates
        .iter()
        .map(|(t, _)| t.external_id.as_bytes())
        .collect();
    let scopes: Vec<&[u8]> = updates.iter().map(|(t, _)| t.scope.as_bytes()).collect();
    let versions = updates
        .iter()
        .map(|(t, _)| to_i64(t.version, "version"))
        .collect::<Result<Vec<i64>, _>>()?;
    let expected = updates
        .iter()
        .map(|(_, e)| to_i64(*e, "expected version"))
        .collect::<Result<Vec<i64>, _>>()?;
    let bodies: Vec<&str> = encoded.iter().map(|(b, _)| b.as_str()).collect();
    let bases: Vec<Option<&str>> = encoded.iter().map(|(_, b)| b.as_deref()).collect();
    let stmt = tx
        .prepare_cached(UPDATE_SQL)
        .await
        .map_err(|e| shared.error(e))?;
    let rows = tx
        .query(
            &stmt,
            &[
                &ids, &sources, &externals, &scopes, &versions, &bodies, &bases, &expected,
            ],
        )
        .await
        .map_err(|e| shared.error(e))?;
    if rows.len() == updates.len() {
        return Ok(());
    }
    let changed = returned(rows);
    let (task, expected) = updates
        .iter()
        .find(|(t, _)| !changed.contains(t.id.as_bytes()))
        .ok_or_else(|| StoreError::Backend("an update returned an unknown row".into()))?;
    Err(version_conflict(tx, shared, &task.id, *expected).await)
}

/// One run of deletes.
async fn delete_run(
    tx: &Transaction<'_>,
    shared: &Shared,
    writes: &[TaskWrite],
) -> Result<(), StoreError> {
    let deletes: Vec<(&str, u64)> = writes
        .iter()
        .filter_map(|w| match w {
            TaskWrite::Delete {
                id,
                expected_version,
                ..
            } => Some((id.as_str(), *expected_version)),
            _ => None,
        })
        .collect();
    let ids: Vec<&[u8]> = deletes.iter().map(|(id, _)| id.as_bytes()).collect();
    let expected = deletes
        .iter()
        .map(|(_, e)| to_i64(*e, "expected version"))
        .collect::<Result<Vec<i64>, _>>()?;
    let stmt = tx
        .prepare_cached(DELETE_SQL)
        .await
        .map_err(|e| shared.error(e))?;
    let rows = tx
        .query(&stmt, &[&ids, &expected])
        .await
        .map_err(|e| shared.error(e))?;
    if rows.len() == deletes.len() {
        return Ok(());
    }
    let gone = returned(rows);
    let (id, expected) = deletes
        .iter()
        .find(|(id, _)| !gone.contains(id.as_bytes()))
        .ok_or_else(|| StoreError::Backend("a delete returned an unknown row".into()))?;
    Err(version_conflict(tx, shared, id, *expected).await)
}

/// Runs the task writes of a set in order inside `tx`; `encoded` holds each write's `body` and
/// `base` columns.
pub(crate) async fn write_all(
    tx: &Transaction<'_>,
    shared: &Shared,
    writes: &[TaskWrite],
    encoded: &[(String, Option<String>)],
) -> Result<(), StoreError> {
    for (kind, range) in runs(writes) {
        let run = &writes[range.clone()];
        let encoded = &encoded[range];
        match kind {
            Kind::Insert => insert_run(tx, shared, run, encoded).await?,
            Kind::Update => update_run(tx, shared, run, encoded).await?,
            Kind::Delete => delete_run(tx, shared, run).await?,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use sync_core::DesiredTask;

    use super::*;

    #[test]
    fn runs_keep_order_and_never_repeat_an_id() {
        let t = |id: &str| Task {
            id: id.into(),
            ..Task::from_desired("s", "src", &DesiredTask::new(id, "x"), 1)
        };
        let ins = |id: &str| TaskWrite::Insert { task: t(id) };
        let upd = |id: &str| TaskWrite::Update {
            task: t(id),
            expected_version: 1,
        };
        let del = |id: &str| TaskWrite::Delete {
            id: id.into(),
            scope: "s".into(),
            expected_version: 1,
        };
        let writes = vec![del("a"), del("b"), upd("c"), upd("c"), ins("a"), ins("d")];
        let got: Vec<Range<usize>> = runs(&writes).into_iter().map(|(_, r)| r).collect();
        assert_eq!(got, vec![0..2, 2..3, 3..4, 4..6]);
        let many: Vec<TaskWrite> = (0..BATCH + 1).map(|i| ins(&format!("t{i}"))).collect();
        let got: Vec<Range<usize>> = runs(&many).into_iter().map(|(_, r)| r).collect();
        assert_eq!(got, vec![0..BATCH, BATCH..BATCH + 1]);
        assert!(runs(&[]).is_empty());
    }
}
