//! [`GateStore`] for [`PostgresStore`]: one row per provider in the `gates` table, its body
//! opaque bytes the core reads and writes.
//!
//! Every write is a compare-and-swap: the first with `INSERT … ON CONFLICT DO NOTHING` (an
//! existing gate changes nothing and is a conflict), the next ones with `UPDATE … WHERE target
//! = $1 AND version = $2` changing exactly one row. Row locks make exactly one of racing
//! writers that expect one version win; the others see the new version and fail.

use async_trait::async_trait;
use sync_core::store::{GateRecord, GateStore, StoreError};

use crate::PostgresStore;
use crate::pool::{clip, text, to_i64, to_u64};

#[async_trait]
impl GateStore for PostgresStore {
    async fn gate(&self, target: String) -> Result<Option<GateRecord>, StoreError> {
        self.run(|shared| async move {
            let conn = shared.conn().await?;
            let stmt = conn
                .prepare_cached("SELECT version, body FROM gates WHERE target = $1")
                .await
                .map_err(|e| shared.error(e))?;
            let row = conn
                .query_opt(&stmt, &[&target.as_bytes()])
                .await
                .map_err(|e| shared.error(e))?;
            match row {
                None => Ok(None),
                Some(row) => Ok(Some(GateRecord {
                    version: to_u64(row.get(0)),
                    body: text(row.get(1), "gate body")?,
                    target,
                })),
            }
        })
        .await
    }

    async fn put_gate(
        &self,
        target: String,
        body: String,
        expected_version: u64,
    ) -> Result<(), StoreError> {
        self.run(|shared| async move {
            let expected = to_i64(expected_version, "expected gate version")?;
            let conn = shared.conn().await?;
            let sql = if expected == 0 {
                "INSERT INTO gates (target, version, body) VALUES ($1, 1, $2) \
                 ON CONFLICT (target) DO NOTHING"
            } else {
                "UPDATE gates SET version = version + 1, body = $2 \
                 WHERE target = $1 AND version = $3"
            };
            let stmt = conn
                .prepare_cached(sql)
                .await
                .map_err(|e| shared.error(e))?;
            let key = target.as_bytes();
            let bytes = body.as_bytes();
            let changed = if expected == 0 {
                conn.execute(&stmt, &[&key, &bytes]).await
            } else {
                conn.execute(&stmt, &[&key, &bytes, &expected]).await
            }
            .map_err(|e| shared.error(e))?;
            if changed == 1 {
                return Ok(());
            }
            let stored = conn
                .query_opt("SELECT version FROM gates WHERE target = $1", &[&key])
                .await
                .map_err(|e| shared.error(e))?
                .map_or(0, |row| to_u64(row.get(0)));
            Err(StoreError::Conflict(format!(
                "gate `{}` is at version {stored}, not {expected_version}",
                clip(&target)
            )))
        })
        .await
    }
}
