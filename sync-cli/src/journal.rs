//! The `journal` provider: status changes delivered into an SQLite file (one row per
//! idempotency key), for systems that pick changes up from a file, for dry runs and for tests.
//!
//! It is idempotent by key, like the APIs that honour an `Idempotency-Key`: a repeated push
//! of one key (a retry after a crash) counts another call but applies nothing new. A journal
//! that cannot be opened or written (its folder is missing, the disk is full) is reported as
//! a retryable `Unavailable`; the worker retries it with backoff.

use std::path::PathBuf;
use std::sync::Mutex;

use async_trait::async_trait;
use rusqlite::{Connection, params};
use sync_core::{Listing, ProviderClient, ProviderError, PushReceipt, StatusPush};

/// A provider named `name` that writes into the SQLite file at `path`.
pub(crate) struct Journal {
    name: String,
    path: PathBuf,
    conn: Mutex<Option<Connection>>,
}

impl Journal {
    pub(crate) fn new(name: String, path: PathBuf) -> Self {
        Journal {
            name,
            path,
            conn: Mutex::new(None),
        }
    }

    fn unavailable(&self, err: impl std::fmt::Display) -> ProviderError {
        ProviderError::Unavailable {
            provider: self.name.clone(),
            status: 503,
            message: format!("journal {}: {err}", self.path.display()),
        }
    }

    fn write(&self, change: &StatusPush) -> Result<(), ProviderError> {
        let mut slot = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        if slot.is_none() {
            let conn = Connection::open(&self.path).map_err(|e| self.unavailable(e))?;
            conn.busy_timeout(std::time::Duration::from_secs(5))
                .map_err(|e| self.unavailable(e))?;
            conn.execute_batch(
                "PRAGMA journal_mode = WAL;
                 CREATE TABLE IF NOT EXISTS pushes (
                     key     TEXT PRIMARY KEY NOT NULL,
                     task    TEXT NOT NULL,
                     status  TEXT NOT NULL,
                     payload TEXT NOT NULL,
                     calls   INTEGER NOT NULL
                 );",
            )
            .map_err(|e| self.unavailable(e))?;
            *slot = Some(conn);
        }
        let conn = slot.as_ref().expect("opened above");
        conn.execute(
            "INSERT INTO pushes (key, task, status, payload, calls) VALUES (?1, ?2, ?3, ?4, 1) \
             ON CONFLICT (key) DO UPDATE SET calls = calls + 1",
            params![
                change.idempotency_key,
                change.external_id,
                change.status.as_str(),
                change.payload.to_string()
            ],
        )
        .map_err(|e| self.unavailable(e))?;
        Ok(())
    }
}

#[async_trait]
impl ProviderClient for Journal {
    fn name(&self) -> String {
        self.name.clone()
    }

    async fn list(&self, _scope: String) -> Result<Listing, ProviderError> {
        Ok(Listing::partial(self.name.clone(), Vec::new()))
    }

    async fn push(&self, change: StatusPush) -> Result<PushReceipt, ProviderError> {
        self.write(&change)?;
        Ok(PushReceipt {
            remote: change.payload,
        })
    }
}
