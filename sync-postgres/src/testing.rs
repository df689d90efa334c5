//! Throwaway databases for tests (feature `testing`): [`TestDatabase::create`] makes a database
//! with a random name on the server of `DATABASE_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`), and dropping it drops the database
//! `WITH (FORCE)`, ending whatever connections are still open on it.
//!
//! Every call here blocks the calling thread; the database work runs on a thread of its own
//! with its own small runtime, so creating or dropping a test database is safe anywhere, an
//! async context included. Only databases this module created are ever dropped.

use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

use sync_core::store::StoreError;

use crate::{PostgresOptions, PostgresStore};

/// The server tests use when `DATABASE_URL` is not set.
pub const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A database of its own for one test, dropped with it.
#[derive(Debug)]
pub struct TestDatabase {
    /// The connection string of the new database.
    pub url: String,
    name: String,
    admin: String,
}

impl TestDatabase {
    /// Creates a fresh, empty database on the server of `DATABASE_URL`; panics (the test
    /// fails) if the server cannot be reached.
    pub fn create() -> TestDatabase {
        match Self::try_create() {
            Ok(db) => db,
            Err(e) => panic!("cannot create a test database: {e}"),
        }
    }

    /// [`TestDatabase::create`], returning the failure.
    pub fn try_create() -> Result<TestDatabase, StoreError> {
        let admin = std::env::var("DATABASE_URL").unwrap_or_else(|_| DEFAULT_URL.to_owned());
        let name = random_name();
        run_admin(&admin, format!("CREATE DATABASE \"{name}\""))?;
        Ok(TestDatabase {
            url: with_dbname(&admin, &name),
            name,
            admin,
        })
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The connection string of the server's maintenance database (where this one was
    /// created from), for tests that act on the server (terminating backends, …).
    pub fn admin_url(&self) -> &str {
        &self.admin
    }

    /// A store on this database (a pool of 4, listening for hints) that keeps the database
    /// until its last clone is dropped; panics if it cannot connect.
    pub fn store(self) -> PostgresStore {
        self.store_with(PostgresOptions {
            pool_size: 4,
            ..PostgresOptions::default()
        })
    }

    /// [`TestDatabase::store`] with `options`.
    pub fn store_with(self, options: PostgresOptions) -> PostgresStore {
        let url = self.url.clone();
        let opened =
            futures::executor::block_on(PostgresStore::open(&url, options, Some(Box::new(self))));
        match opened {
            Ok(store) => store,
            Err(e) => panic!("cannot open a store on the test database: {e}"),
        }
    }

    /// Runs `sql` (one or more statements) on this database with a connection of its own.
    pub fn execute(&self, sql: &str) -> Result<(), StoreError> {
        run_admin(&self.url, sql.to_owned())
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let sql = format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name);
        if let Err(e) = run_admin(&self.admin, sql) {
            eprintln!("cannot drop test database {}: {e}", self.name);
        }
    }
}

/// `tasksync_test_` and 16 random hex digits.
fn random_name() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    hasher.write_u32(std::process::id());
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    hasher.write_u128(nanos);
    format!("tasksync_test_{:016x}", hasher.finish())
}

/// `url` naming the database `name` instead of its own (URL or key-value form).
fn with_dbname(url: &str, name: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return format!("{url} dbname={name}");
    };
    let rest = scheme_end + 3;
    let path = url[rest..].find(['/', '?']).map(|i| rest + i);
    match path {
        Some(slash) if url.as_bytes()[slash] == b'/' => {
            let end = url[slash..].find('?').map_or(url.len(), |q| slash + q);
            format!("{}/{name}{}", &url[..slash], &url[end..])
        }
        Some(query) => format!("{}/{name}{}", &url[..query], &url[query..]),
        None => format!("{url}/{name}"),
    }
}

/// Runs `sql` on the database of `url` on a thread and runtime of its own.
fn run_admin(url: &str, sql: String) -> Result<(), StoreError> {
    let url = url.to_owned();
    let secret = crate::url::Secret::of(&url, None);
    let work = std::thread::spawn(move || -> Result<(), String> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        runtime.block_on(async move {
            let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
                .await
                .map_err(|e| e.to_string())?;
            let driver = tokio::spawn(connection);
            let done = client
                .batch_execute(&sql)
                .await
                .map_err(|e| match e.as_db_error() {
                    Some(db) => db.message().to_owned(),
                    None => e.to_string(),
                });
            drop(client);
            let _ = driver.await;
            done
        })
    });
    match work.join() {
        Ok(result) => result.map_err(|e| StoreError::Backend(secret.scrub(e))),
        Err(_) => Err(StoreError::Backend("the database thread panicked".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_name_is_replaced() {
        let cases = [
            ("postgres://u@h:5432/postgres", "postgres://u@h:5432/x"),
            (
                "postgres://u@h/postgres?sslmode=disable",
                "postgres://u@h/x?sslmode=disable",
            ),
            ("postgres://u@h", "postgres://u@h/x"),
            (
                "postgres://u@h?sslmode=disable",
                "postgres://u@h/x?sslmode=disable",
            ),
            ("host=h user=u", "host=h user=u dbname=x"),
        ];
        for (url, want) in cases {
            assert_eq!(with_dbname(url, "x"), want);
        }
        assert_ne!(random_name(), random_name());
    }
}
