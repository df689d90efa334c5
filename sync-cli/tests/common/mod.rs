//! The harness the binary's end-to-end tests share: a temporary folder holding a hub database
//! (and, for sync tests, a copy of `examples/tasks`), and helpers that run `tasksync` in it.

// Each test crate uses a different subset of the helpers.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A temporary hub: `root/hub.db`, commands run in `root`, as user `ana`.
pub(crate) struct Hub {
    _dir: tempfile::TempDir,
    /// The folder commands run in.
    pub(crate) root: PathBuf,
    /// Arguments put before every command's own (e.g. `session`).
    prefix: Vec<String>,
    /// The hub's `--db` when it is not `root/hub.db` (a PostgreSQL URL).
    location: Option<String>,
}

impl Hub {
    /// An empty hub.
    pub(crate) fn empty() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        Hub {
            _dir: dir,
            root,
            prefix: Vec::new(),
            location: None,
        }
    }

    /// A hub beside a copy of `examples/tasks` in `root/tasks`.
    pub(crate) fn with_examples() -> Self {
        let hub = Hub::empty();
        copy_dir(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/tasks"),
            &hub.root.join("tasks"),
        );
        hub
    }

    /// Puts `args` before every command's own.
    pub(crate) fn prefixed(mut self, args: &[&str]) -> Self {
        self.prefix = args.iter().map(|a| a.to_string()).collect();
        self
    }

    /// Keeps the hub at `location` (a PostgreSQL URL) instead of `root/hub.db`.
    pub(crate) fn on(mut self, location: &str) -> Self {
        self.location = Some(location.to_owned());
        self
    }

    /// The database file.
    pub(crate) fn db(&self) -> PathBuf {
        self.root.join("hub.db")
    }

    /// The hub's `--db`.
    pub(crate) fn location(&self) -> String {
        self.location
            .clone()
            .unwrap_or_else(|| self.db().display().to_string())
    }

    /// Runs the tool.
    pub(crate) fn run(&self, args: &[&str]) -> Output {
        self.run_with(&[], args)
    }

    /// Runs the tool with extra environment variables.
    pub(crate) fn run_with(&self, env: &[(&str, &str)], args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_tasksync"))
            .current_dir(&self.root)
            .env("TASKSYNC_DB", self.location())
            .env("USER", "ana")
            .env_remove("TASKSYNC_LOG")
            .env_remove("NO_COLOR")
            .envs(env.iter().copied())
            .args(&self.prefix)
            .args(args)
            .output()
            .unwrap()
    }

    /// Runs a command that must succeed; returns its stdout.
    pub(crate) fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs a command that must fail with `code`; returns its stderr.
    pub(crate) fn fails(&self, code: i32, args: &[&str]) -> String {
        let out = self.run(args);
        assert_eq!(
            out.status.code(),
            Some(code),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8(out.stderr).unwrap()
    }

    /// Runs a command with `--json` and parses its stdout.
    pub(crate) fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut args = args.to_vec();
        args.push("--json");
        serde_json::from_str(&self.ok(&args)).unwrap()
    }
}
