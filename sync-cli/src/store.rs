//! Where the hub lives: `--db PATH`, an SQLite file on this machine, or `--db postgres://…`
//! (`postgresql://` too), a PostgreSQL database that every instance on every machine shares.
//! The commands take a [`Hub`] and do not care which.
//!
//! A URL's password is never shown: the location prints as the URL with `***` for it, and
//! every message that reaches the user from the store is scrubbed of it as well (in its raw
//! and its percent-decoded form), on top of the store's own redaction.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use sync_core::TaskStore;
use sync_core::history::HistoryStore;
use sync_core::retry::QueueStore;
use sync_core::session::SessionStore;
use sync_core::store::GateStore;
use sync_postgres::{PostgresOptions, PostgresStore};
use sync_sqlite::{SqliteHistoryStore, SqliteStore};

use crate::commands::CliError;

/// What a hidden password is shown as.
const HIDDEN: &str = "***";

/// A `--db` value.
#[derive(Clone)]
pub(crate) enum Location {
    /// An SQLite database file (created if missing).
    File(PathBuf),
    /// A PostgreSQL connection URL.
    Postgres(PgUrl),
}

impl Location {
    /// `postgres://…` and `postgresql://…` (scheme in any case) are URLs; anything else is a
    /// file path.
    pub(crate) fn parse(text: &str) -> Result<Location, String> {
        let scheme = text.split_once("://").map(|(s, _)| s.to_ascii_lowercase());
        match scheme.as_deref() {
            Some("postgres" | "postgresql") => Ok(Location::Postgres(PgUrl::new(text))),
            _ => Ok(Location::File(PathBuf::from(text))),
        }
    }

    /// How the location is shown: the path, or the URL without its password.
    pub(crate) fn shown(&self) -> String {
        match self {
            Location::File(path) => path.display().to_string(),
            Location::Postgres(url) => url.shown(),
        }
    }

    /// `text` with the location's password (if any) replaced by `***`.
    pub(crate) fn scrub(&self, text: &str) -> String {
        match self {
            Location::File(_) => text.to_owned(),
            Location::Postgres(url) => url.scrub(text),
        }
    }
}

impl std::fmt::Debug for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::File(path) => f.debug_tuple("File").field(path).finish(),
            Location::Postgres(url) => f.debug_tuple("Postgres").field(&url.shown()).finish(),
        }
    }
}

/// A PostgreSQL URL and the secrets it holds (the password of its user info and of a
/// `password=` parameter), kept to scrub them from anything shown.
#[derive(Clone)]
pub(crate) struct PgUrl {
    url: String,
    /// Each secret as written and percent-decoded (non-empty ones only).
    secrets: Vec<String>,
}

impl PgUrl {
    fn new(url: &str) -> PgUrl {
        let mut written = Vec::new();
        let rest = url.split_once("://").map_or("", |(_, rest)| rest);
        // The user info ends at the first `@` of the authority (before the path or query).
        let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
        let authority = &rest[..authority_end];
        if let Some((info, _)) = authority.rsplit_once('@') {
            if let Some((_, password)) = info.split_once(':') {
                written.push(password.to_owned());
            }
        } else if let Some((info, _)) = rest.split_once('@') {
            // An unencoded `/` or `?` in the password: the user info runs to the `@`.
            if let Some((_, password)) = info.split_once(':') {
                written.push(password.to_owned());
            }
        }
        if let Some((_, query)) = url.split_once('?') {
            for pair in query.split('&') {
                if let Some((key, value)) = pair.split_once('=') {
                    if key.eq_ignore_ascii_case("password") {
                        written.push(value.to_owned());
                    }
                }
            }
        }
        let mut secrets: Vec<String> = Vec::new();
        for secret in written {
            let decoded = percent_decode(&secret);
            for s in [secret, decoded] {
                if !s.is_empty() && !secrets.contains(&s) {
                    secrets.push(s);
                }
            }
        }
        // Longest first, so a secret holding another is replaced whole.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        PgUrl {
            url: url.to_owned(),
            secrets,
        }
    }

    /// The URL to connect to (secret: never print it).
    pub(crate) fn expose(&self) -> &str {
        &self.url
    }

    /// The URL with its password replaced by `***`.
    pub(crate) fn shown(&self) -> String {
        self.scrub(&self.url)
    }

    /// `text` with every form of the URL's password replaced by `***`.
    pub(crate) fn scrub(&self, text: &str) -> String {
        let mut text = text.to_owned();
        for secret in &self.secrets {
            if text.contains(secret.as_str()) {
                text = text.replace(secret.as_str(), HIDDEN);
            }
        }
        text
    }
}

/// `%XX` sequences decoded (invalid ones and non-UTF-8 results kept as written).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| text.to_owned())
}

/// How the CLI connects to PostgreSQL.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ConnectOptions {
    /// Most connections the process opens.
    pub(crate) pool_size: usize,
    /// How long one connection attempt may take, in ms.
    pub(crate) connect_timeout_ms: u64,
}

/// An open hub: its tasks, jobs, sessions, provider gates and history, on one store.
pub(crate) struct Hub {
    location: Location,
    tasks: Arc<dyn TaskStore>,
    queue: Arc<dyn QueueStore>,
    sessions: Arc<dyn SessionStore>,
    gates: Option<Arc<dyn GateStore>>,
    /// The history, or why it cannot be opened.
    history: Result<Arc<dyn HistoryStore>, String>,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub")
            .field("location", &self.location)
            .finish_non_exhaustive()
    }
}

impl Hub {
    /// Opens (creates, migrates) the hub at `location`.
    pub(crate) async fn open(
        location: &Location,
        options: ConnectOptions,
    ) -> Result<Hub, CliError> {
        match location {
            Location::File(path) => Hub::file(location, path),
            Location::Postgres(url) => Hub::postgres(location, url, options).await,
        }
    }

    fn file(location: &Location, path: &Path) -> Result<Hub, CliError> {
        let store = Arc::new(
            SqliteStore::open(path)
                .map_err(|e| CliError::Other(format!("cannot open {}: {e}", path.display())))?,
        );
        let history = SqliteHistoryStore::open(path)
            .map(|h| Arc::new(h) as Arc<dyn HistoryStore>)
            .map_err(|e| format!("cannot open the history of {}: {e}", path.display()));
        Ok(Hub {
            location: location.clone(),
            tasks: store.clone(),
            queue: store.clone(),
            sessions: store.clone(),
            gates: Some(store),
            history,
        })
    }

    async fn postgres(
        location: &Location,
        url: &PgUrl,
        options: ConnectOptions,
    ) -> Result<Hub, CliError> {
        let pg_options = PostgresOptions {
            pool_size: options.pool_size,
            connect_timeout_ms: options.connect_timeout_ms,
            ..PostgresOptions::default()
        };
        let store = PostgresStore::connect_with(url.expose(), pg_options)
            .await
            .map_err(|e| {
                let message = url.scrub(&e.to_string());
                CliError::Other(if message.starts_with("cannot open") {
                    message
                } else {
                    format!("cannot open {}: {message}", url.shown())
                })
            })?;
        let history = Arc::new(store.history());
        let store = Arc::new(store);
        Ok(Hub {
            location: location.clone(),
            tasks: store.clone(),
            queue: store.clone(),
            sessions: store.clone(),
            gates: Some(store),
            history: Ok(history),
        })
    }

    /// Where the hub is, as shown to the user.
    pub(crate) fn location(&self) -> &Location {
        &self.location
    }

    /// The tasks.
    pub(crate) fn tasks(&self) -> Arc<dyn TaskStore> {
        self.tasks.clone()
    }

    /// The tasks and their jobs (the outbox and the queue).
    pub(crate) fn queue(&self) -> Arc<dyn QueueStore> {
        self.queue.clone()
    }

    /// The sessions.
    pub(crate) fn sessions(&self) -> Arc<dyn SessionStore> {
        self.sessions.clone()
    }

    /// The provider gates shared by every worker on this hub (`None`: the store keeps none,
    /// each worker keeps its own). SQLite shares them between the processes on the file,
    /// PostgreSQL between every instance on the database.
    pub(crate) fn gates(&self) -> Option<Arc<dyn GateStore>> {
        self.gates.clone()
    }

    /// The sync history, or why it cannot be opened.
    pub(crate) fn history(&self) -> Result<Arc<dyn HistoryStore>, String> {
        self.history.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> PgUrl {
        match Location::parse(text).unwrap() {
            Location::Postgres(url) => url,
            Location::File(_) => panic!("{text} is a URL"),
        }
    }

    #[test]
    fn urls_and_paths_are_told_apart_by_the_scheme() {
        for text in [
            "postgres://h/db",
            "postgresql://u@h:5433/db",
            "POSTGRES://h/db",
        ] {
            assert!(
                matches!(Location::parse(text), Ok(Location::Postgres(_))),
                "{text}"
            );
        }
        for text in [
            "tasksync.db",
            "/tmp/a.db",
            "postgres.db",
            "sqlite://x",
            "./postgres:/x",
        ] {
            assert!(
                matches!(Location::parse(text), Ok(Location::File(_))),
                "{text}"
            );
        }
    }

    #[test]
    fn passwords_are_hidden_in_every_form() {
        let u = url("postgres://ana:s3cr%2Ft@db.example:5432/hub?sslmode=disable");
        assert_eq!(
            u.shown(),
            "postgres://ana:***@db.example:5432/hub?sslmode=disable"
        );
        assert_eq!(
            u.scrub("bad password s3cr/t or s3cr%2Ft"),
            "bad password *** or ***"
        );
        let q = url("postgresql://ana@h/db?password=hunter22&application_name=x");
        assert_eq!(
            q.shown(),
            "postgresql://ana@h/db?password=***&application_name=x"
        );
        let odd = url("postgres://ana:p/a?ss@h/db");
        assert_eq!(odd.shown(), "postgres://ana:***@h/db");
        let none = url("postgres://ana@h/db");
        assert_eq!(none.shown(), "postgres://ana@h/db");
        let loc = Location::parse("postgres://ana:topsecret@h/db").unwrap();
        assert!(!format!("{loc:?}").contains("topsecret"));
        assert_eq!(loc.scrub("password topsecret"), "password ***");
    }

    #[test]
    fn percent_decoding_keeps_what_it_cannot_decode() {
        assert_eq!(percent_decode("a%20b"), "a b");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
        assert_eq!(percent_decode("%ff"), "%ff");
    }
}
