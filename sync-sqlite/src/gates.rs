//! The provider gates table: one row per provider, the body opaque to the store, every write
//! a compare-and-swap on the row's version. Every process on one file shares the gates, so
//! its workers share one breaker and one rate limit per provider.

use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};
use sync_core::store::{GateRecord, GateStore, MAX_GATE_BODY, StoreError};

use crate::{SqliteStore, to_i64, to_store_error};

/// Schema step 8: the gates table.
pub(crate) const MIGRATION: &str = "
    CREATE TABLE gates (
        target  TEXT PRIMARY KEY NOT NULL,
        version INTEGER NOT NULL,
        body    TEXT NOT NULL
    );
";

#[async_trait]
impl GateStore for SqliteStore {
    async fn gate(&self, target: String) -> Result<Option<GateRecord>, StoreError> {
        self.lock()
            .prepare_cached("SELECT version, body FROM gates WHERE target = ?1")
            .and_then(|mut stmt| {
                stmt.query_row([&target], |row| {
                    Ok(GateRecord {
                        target: target.clone(),
                        version: u64::try_from(row.get::<_, i64>(0)?).unwrap_or(0),
                        body: row.get(1)?,
                    })
                })
                .optional()
            })
            .map_err(to_store_error)
    }

    async fn put_gate(
        &self,
        target: String,
        body: String,
        expected_version: u64,
    ) -> Result<(), StoreError> {
        if body.len() > MAX_GATE_BODY {
            return Err(StoreError::Backend(format!(
                "a gate body of {} bytes is over the limit of {MAX_GATE_BODY}",
                body.len()
            )));
        }
        let expected = to_i64(expected_version, "gate version")?;
        let conn = self.lock();
        let changed = if expected == 0 {
            conn.prepare_cached(
                "INSERT INTO gates (target, version, body) VALUES (?1, 1, ?2) \
                 ON CONFLICT (target) DO NOTHING",
            )
            .and_then(|mut stmt| stmt.execute(params![target, body]))
        } else {
            conn.prepare_cached(
                "UPDATE gates SET version = version + 1, body = ?2 \
                 WHERE target = ?1 AND version = ?3",
            )
            .and_then(|mut stmt| stmt.execute(params![target, body, expected]))
        }
        .map_err(to_store_error)?;
        if changed == 1 {
            Ok(())
        } else {
            Err(StoreError::Conflict(format!(
                "gate `{target}` is not at version {expected_version}"
            )))
        }
    }
}
