//! Plain SQL from the test (outside the store under test): the log of success writes, ending
//! other sessions, and holding connections.

use std::time::Duration;

use tokio_postgres::{Client, NoTls};

/// A runtime for the test's own connections (their drivers run in its background thread).
pub(crate) struct Sql {
    rt: tokio::runtime::Runtime,
}

impl Default for Sql {
    fn default() -> Self {
        Sql::new()
    }
}

impl Sql {
    /// A runtime with one background thread.
    pub(crate) fn new() -> Sql {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        Sql { rt }
    }

    /// A connection to `url`.
    pub(crate) fn connect(&self, url: &str) -> Result<Client, String> {
        self.rt.block_on(async {
            let connecting = tokio_postgres::connect(url, NoTls);
            let (client, connection) = tokio::time::timeout(Duration::from_secs(10), connecting)
                .await
                .map_err(|_| "connect timed out".to_owned())?
                .map_err(|e| message(&e))?;
            self.rt.spawn(connection);
            Ok(client)
        })
    }

    /// Runs statements.
    pub(crate) fn execute(&self, client: &Client, sql: &str) -> Result<(), String> {
        self.rt
            .block_on(client.batch_execute(sql))
            .map_err(|e| message(&e))
    }

    /// The rows of a query.
    pub(crate) fn rows(
        &self,
        client: &Client,
        sql: &str,
    ) -> Result<Vec<tokio_postgres::Row>, String> {
        self.rt
            .block_on(client.query(sql, &[]))
            .map_err(|e| message(&e))
    }

    /// Ends every other session on the current database; how many.
    pub(crate) fn terminate_others(&self, client: &Client) -> Result<usize, String> {
        let rows = self.rows(
            client,
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )?;
        Ok(rows.iter().filter(|r| r.get::<_, bool>(0)).count())
    }

    /// Opens connections to `url` until the server refuses one for lack of slots (at most
    /// `max`); returns them and whether the server was full.
    pub(crate) fn hog(&self, url: &str, max: usize) -> (Vec<Client>, bool) {
        let mut held = Vec::new();
        while held.len() < max {
            match self.connect(url) {
                Ok(client) => held.push(client),
                Err(e)
                    if e.contains("too many clients")
                        || e.contains("remaining connection slots") =>
                {
                    return (held, true);
                }
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        }
        (held, false)
    }
}

/// The server's own message of a database error (`db error` alone says nothing).
fn message(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{e}: {}", db.message()),
        None => e.to_string(),
    }
}

/// Logs every write that makes a job succeeded, with the lease owner that held it.
pub(crate) fn install_finish_log(sql: &Sql, client: &Client) {
    sql.execute(
        client,
        "CREATE TABLE chaos_finishes (
             job   bytea NOT NULL,
             owner text NULL,
             at    timestamptz NOT NULL DEFAULT clock_timestamp()
         );
         CREATE FUNCTION chaos_log_finish() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN
             IF NEW.state = 'succeeded' THEN
                 INSERT INTO chaos_finishes (job, owner)
                 VALUES (NEW.id, OLD.body::jsonb ->> 'lease_owner');
             END IF;
             RETURN NEW;
         END $$;
         CREATE TRIGGER chaos_log_finish AFTER UPDATE ON jobs
             FOR EACH ROW EXECUTE FUNCTION chaos_log_finish();",
    )
    .unwrap();
}

/// The logged success writes: (job id, owner).
pub(crate) fn finish_log(sql: &Sql, client: &Client) -> Vec<(String, String)> {
    sql.rows(
        client,
        "SELECT convert_from(job, 'UTF8'), coalesce(owner, '?') FROM chaos_finishes",
    )
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1)))
    .collect()
}
