//! [`SessionStore`] for [`SqliteStore`]: one row per session in the `sessions` table.
//!
//! The session is kept as JSON (`body`), with its `version` (the compare-and-swap column) and
//! `status` as their own columns. Updates and deletes are `... WHERE id = ? AND version = ?`
//! with exactly one row changed; the primary key makes a duplicate insert a conflict.

use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};
use sync_core::session::{Session, SessionStore};
use sync_core::store::StoreError;

use crate::{SqliteStore, to_i64, to_store_error};

fn body(session: &Session) -> Result<String, StoreError> {
    serde_json::to_string(session)
        .map_err(|e| StoreError::Backend(format!("cannot encode session as JSON: {e}")))
}

fn session_conflict(conn: &rusqlite::Connection, id: &str, expected: u64) -> StoreError {
    let found: Result<Option<i64>, _> = conn
        .prepare_cached("SELECT version FROM sessions WHERE id = ?1")
        .and_then(|mut stmt| stmt.query_row([id], |row| row.get(0)).optional());
    match found {
        Ok(Some(v)) => StoreError::Conflict(format!(
            "session `{id}` is at version {v}, expected {expected}"
        )),
        Ok(None) => StoreError::Conflict(format!(
            "session `{id}` does not exist (expected version {expected})"
        )),
        Err(e) => to_store_error(e),
    }
}

#[async_trait]
impl SessionStore for SqliteStore {
    async fn get(&self, id: String) -> Result<Option<Session>, StoreError> {
        let conn = self.lock();
        let text: Option<String> = conn
            .prepare_cached("SELECT body FROM sessions WHERE id = ?1")
            .and_then(|mut stmt| stmt.query_row([&id], |row| row.get(0)).optional())
            .map_err(to_store_error)?;
        text.map(|t| {
            serde_json::from_str(&t)
                .map_err(|e| StoreError::Backend(format!("session `{id}` is not valid JSON: {e}")))
        })
        .transpose()
    }

    async fn insert(&self, session: Session) -> Result<(), StoreError> {
        let json = body(&session)?;
        let version = to_i64(session.version, "version")?;
        let conn = self.lock();
        conn.prepare_cached(
            "INSERT INTO sessions (id, status, version, body) VALUES (?1, ?2, ?3, ?4)",
        )
        .and_then(|mut stmt| {
            stmt.execute(params![session.id, session.status.as_str(), version, json])
        })
        .map_err(|e| match to_store_error(e) {
            StoreError::Conflict(_) => {
                StoreError::Conflict(format!("session `{}` already exists", session.id))
            }
            other => other,
        })?;
        Ok(())
    }

    async fn update(&self, session: Session, expected_version: u64) -> Result<(), StoreError> {
        let json = body(&session)?;
        let version = to_i64(session.version, "version")?;
        let expected = to_i64(expected_version, "expected version")?;
        let conn = self.lock();
        let changed = conn
            .prepare_cached(
                "UPDATE sessions SET status = ?2, version = ?3, body = ?4 \
                 WHERE id = ?1 AND version = ?5",
            )
            .and_then(|mut stmt| {
                stmt.execute(params![
                    session.id,
                    session.status.as_str(),
                    version,
                    json,
                    expected
                ])
            })
            .map_err(to_store_error)?;
        if changed != 1 {
            return Err(session_conflict(&conn, &session.id, expected_version));
        }
        Ok(())
    }

    async fn delete(&self, id: String, expected_version: u64) -> Result<(), StoreError> {
        let expected = to_i64(expected_version, "expected version")?;
        let conn = self.lock();
        let changed = conn
            .prepare_cached("DELETE FROM sessions WHERE id = ?1 AND version = ?2")
            .and_then(|mut stmt| stmt.execute(params![id, expected]))
            .map_err(to_store_error)?;
        if changed != 1 {
            return Err(session_conflict(&conn, &id, expected_version));
        }
        Ok(())
    }
}
