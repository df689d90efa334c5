//! The `journal` provider: status changes delivered into an SQLite file (one row per
//! idempotency key), for systems that pick changes up from a file, for dry runs and for tests.
//!
//! It is idempotent by key, like the APIs that honour an `Idempotency-Key`: a repeated push
//! of one key (a retry after a crash) counts another call but applies nothing new. A journal
//! that cannot be opened or written (its folder is missing, the disk is full) is reported as
//! a retryable `Unavailable`; the worker retries it with backoff.
//!
//! With a [`Delay`] (`--journal-delay-ms MIN-MAX`), each delivery first waits a random time in
//! that range, as a remote system's answer would take: the worker's concurrency, leases and
//! heartbeats then run as they do against a real provider.

use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use rusqlite::{Connection, params};
use sync_core::{Listing, ProviderClient, ProviderError, PushReceipt, StatusPush};

/// A range of milliseconds a journal waits before each delivery.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Delay {
    min: u64,
    max: u64,
}

impl Delay {
    /// `MIN-MAX` (or a single number), at most an hour.
    pub(crate) fn parse(text: &str) -> Result<Delay, String> {
        let number = |t: &str| {
            t.trim()
                .parse::<u64>()
                .ok()
                .filter(|n| *n <= 3_600_000)
                .ok_or_else(|| format!("`{t}` is not a number of ms up to 3600000"))
        };
        let (min, max) = match text.split_once('-') {
            Some((min, max)) => (number(min)?, number(max)?),
            None => (number(text)?, number(text)?),
        };
        if min > max {
            return Err(format!("`{text}`: MIN is above MAX"));
        }
        Ok(Delay { min, max })
    }

    /// A value in the range from a random `draw`.
    fn pick(&self, draw: u64) -> u64 {
        self.min + draw % (self.max - self.min + 1)
    }
}

/// A provider named `name` that writes into the SQLite file at `path`.
pub(crate) struct Journal {
    name: String,
    path: PathBuf,
    conn: Mutex<Option<Connection>>,
    delay: Option<Delay>,
    /// The random generator's state (xorshift).
    draws: AtomicU64,
}

impl Journal {
    pub(crate) fn new(name: String, path: PathBuf) -> Self {
        Journal {
            name,
            path,
            conn: Mutex::new(None),
            delay: None,
            draws: AtomicU64::new(0),
        }
    }

    /// Waits a random time in `delay` before each delivery.
    pub(crate) fn with_delay(mut self, delay: Delay) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        let seed = (nanos ^ (u64::from(std::process::id()) << 32)) | 1;
        self.draws = AtomicU64::new(seed);
        self.delay = Some(delay);
        self
    }

    /// The next random number (xorshift64; racing callers may draw the same, which is fine).
    fn draw(&self) -> u64 {
        let mut x = self.draws.load(Ordering::Relaxed);
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.draws.store(x, Ordering::Relaxed);
        x
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
        if let Some(delay) = self.delay {
            let ms = delay.pick(self.draw());
            if ms > 0 {
                tokio::time::sleep(Duration::from_millis(ms)).await;
            }
        }
        self.write(&change)?;
        Ok(PushReceipt {
            remote: change.payload,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_parse_as_ranges_and_pick_inside_them() {
        assert_eq!(Delay::parse("5-40"), Ok(Delay { min: 5, max: 40 }));
        assert_eq!(Delay::parse("7"), Ok(Delay { min: 7, max: 7 }));
        for bad in ["40-5", "x", "1-", "-3", "0-3600001"] {
            assert!(Delay::parse(bad).is_err(), "{bad}");
        }
        let delay = Delay::parse("5-40").unwrap();
        let journal = Journal::new("j".into(), PathBuf::from("/nonexistent")).with_delay(delay);
        for _ in 0..1_000 {
            let ms = delay.pick(journal.draw());
            assert!((5..=40).contains(&ms), "{ms}");
        }
    }
}
