//! [`SessionStore`] for [`PostgresStore`]: one row per session in the `sessions` table.
//!
//! The session is kept as JSON (`body`), with its `version` (the compare-and-swap column) and
//! `status` as their own columns. Updates and deletes are `… WHERE id = $1 AND version = $2`
//! with exactly one row changed (row locks make one of two racing writers win); an insert of
//! an existing id changes nothing (`ON CONFLICT DO NOTHING`) and is a conflict.

use async_trait::async_trait;
use sync_core::session::{Session, SessionStore};
use sync_core::store::StoreError;

use crate::PostgresStore;
use crate::pool::{Shared, json, parse, to_i64, to_u64};

/// The conflict of a compare-and-swap that changed no row, naming what is stored.
async fn session_conflict(
    conn: &deadpool_postgres::Object,
    shared: &Shared,
    id: &str,
    expected: u64,
) -> StoreError {
    let found = conn
        .query_opt(
            "SELECT version FROM sessions WHERE id = $1",
            &[&id.as_bytes()],
        )
        .await;
    match found {
        Ok(Some(row)) => StoreError::Conflict(format!(
            "session `{id}` is at version {}, expected {expected}",
            to_u64(row.get(0))
        )),
        Ok(None) => StoreError::Conflict(format!(
            "session `{id}` does not exist (expected version {expected})"
        )),
        Err(e) => shared.error(e),
    }
}

#[async_trait]
impl SessionStore for PostgresStore {
    async fn get(&self, id: String) -> Result<Option<Session>, StoreError> {
        self.run(|shared| async move {
            let conn = shared.conn().await?;
            let stmt = conn
                .prepare_cached("SELECT body FROM sessions WHERE id = $1")
                .await
                .map_err(|e| shared.error(e))?;
            let row = conn
                .query_opt(&stmt, &[&id.as_bytes()])
                .await
                .map_err(|e| shared.error(e))?;
            row.map(|row| parse(row.get(0), "session")).transpose()
        })
        .await
    }

    async fn insert(&self, session: Session) -> Result<(), StoreError> {
        self.run(|shared| async move {
            let body = json(&session, "session")?;
            let version = to_i64(session.version, "session version")?;
            let conn = shared.conn().await?;
            let stmt = conn
                .prepare_cached(
                    "INSERT INTO sessions (id, status, version, body) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (id) DO NOTHING",
                )
                .await
                .map_err(|e| shared.error(e))?;
            let inserted = conn
                .execute(
                    &stmt,
                    &[
                        &session.id.as_bytes(),
                        &session.status.as_str(),
                        &version,
                        &body,
                    ],
                )
                .await
                .map_err(|e| shared.error(e))?;
            if inserted != 1 {
                return Err(StoreError::Conflict(format!(
                    "session `{}` already exists",
                    session.id
                )));
            }
            Ok(())
        })
        .await
    }

    async fn update(&self, session: Session, expected_version: u64) -> Result<(), StoreError> {
        self.run(|shared| async move {
            let body = json(&session, "session")?;
            let version = to_i64(session.version, "session version")?;
            let expected = to_i64(expected_version, "expected version")?;
            let conn = shared.conn().await?;
            let stmt = conn
                .prepare_cached(
                    "UPDATE sessions SET status = $2, version = $3, body = $4 \
                     WHERE id = $1 AND version = $5",
                )
                .await
                .map_err(|e| shared.error(e))?;
            let changed = conn
                .execute(
                    &stmt,
                    &[
                        &session.id.as_bytes(),
                        &session.status.as_str(),
                        &version,
                        &body,
                        &expected,
                    ],
                )
                .await
                .map_err(|e| shared.error(e))?;
            if changed != 1 {
                return Err(session_conflict(&conn, &shared, &session.id, expected_version).await);
            }
            Ok(())
        })
        .await
    }

    async fn delete(&self, id: String, expected_version: u64) -> Result<(), StoreError> {
        self.run(|shared| async move {
            let expected = to_i64(expected_version, "expected version")?;
            let conn = shared.conn().await?;
            let stmt = conn
                .prepare_cached("DELETE FROM sessions WHERE id = $1 AND version = $2")
                .await
                .map_err(|e| shared.error(e))?;
            let changed = conn
                .execute(&stmt, &[&id.as_bytes(), &expected])
                .await
                .map_err(|e| shared.error(e))?;
            if changed != 1 {
                return Err(session_conflict(&conn, &shared, &id, expected_version).await);
            }
            Ok(())
        })
        .await
    }
}
