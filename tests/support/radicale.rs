//! A real Radicale CalDAV server for tests, shared by the crates whose tests need one
//! (included with `#[path = "../../tests/support/radicale.rs"] mod radicale;`). It runs
//! `scripts/radicale.sh` (Radicale from PyPI in the virtualenv `RADICALE_VENV`, default
//! `target/radicale-venv`) on a free loopback port with its own storage folder, and is stopped
//! on drop.

use std::path::PathBuf;
use std::process::{Command, Output};

/// The workspace root.
pub(crate) fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The virtualenv that holds Radicale and the `caldav` client library.
pub(crate) fn venv() -> PathBuf {
    std::env::var_os("RADICALE_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/radicale-venv"))
}

/// A running Radicale with one user and a `tasks` calendar.
pub(crate) struct Radicale {
    dir: tempfile::TempDir,
    /// Its loopback port.
    pub(crate) port: u16,
    user: &'static str,
    password: &'static str,
    seed: bool,
}

impl Radicale {
    /// Starts a server for `user`/`password`; with `seed`, the calendar holds the demo's
    /// `demo-1.ics` to `demo-3.ics` VTODOs.
    pub(crate) fn start(user: &'static str, password: &'static str, seed: bool) -> Radicale {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let radicale = Radicale {
            dir: tempfile::tempdir().unwrap(),
            port,
            user,
            password,
            seed,
        };
        let out = radicale.script("start");
        assert!(
            out.status.success(),
            "could not start Radicale (needs python3 and PyPI): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        radicale
    }

    fn script(&self, action: &str) -> Output {
        Command::new("bash")
            .arg(root().join("scripts/radicale.sh"))
            .arg(action)
            .env("RADICALE_VENV", venv())
            .env("RADICALE_DIR", self.dir.path())
            .env("RADICALE_PORT", self.port.to_string())
            .env("RADICALE_USER", self.user)
            .env("RADICALE_PASSWORD", self.password)
            .env("RADICALE_CALENDAR", "tasks")
            .env("RADICALE_SEED", if self.seed { "1" } else { "0" })
            .output()
            .expect("bash runs")
    }

    /// The user's home collection URL.
    pub(crate) fn home(&self) -> String {
        format!("http://127.0.0.1:{}/{}/", self.port, self.user)
    }
}

impl Drop for Radicale {
    fn drop(&mut self) {
        self.script("stop");
    }
}
