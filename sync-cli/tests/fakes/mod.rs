//! The loopback provider fakes (sync-providers' `fakes` example, see its examples/fakes.md)
//! for the binary's tests: one process per test, ended when the test drops it (its stdin
//! closes), and its `/_fake/` control endpoints over plain HTTP/1.1.
//!
//! The binary is `$TASKSYNC_FAKES` (set by `make test`), else `target/debug/examples/fakes`
//! of this build, built with cargo when it is missing.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use serde_json::Value;

/// The secret every fake accepts at the start.
pub(crate) const TOKEN: &str = "tok-SECRET-4f1c9a7e2b";
/// The secret the tests switch a fake to, handed out by a token command.
pub(crate) const FRESH: &str = "tok-FRESH-8d2e6b0c13";

fn binary() -> PathBuf {
    if let Some(path) = std::env::var_os("TASKSYNC_FAKES") {
        return path.into();
    }
    let exe = std::env::current_exe().unwrap();
    let debug = exe.parent().and_then(|deps| deps.parent()).unwrap();
    let path = debug.join("examples").join("fakes");
    if !path.exists() {
        let target = debug.parent().unwrap();
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .args(["build", "-q", "-p", "sync-providers", "--example", "fakes"])
            .env("CARGO_TARGET_DIR", target)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building the fakes example failed");
    }
    path
}

/// A running fakes process.
pub(crate) struct Fakes {
    child: Child,
    /// Its JSON line.
    pub(crate) info: Value,
}

impl Drop for Fakes {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

impl Fakes {
    pub(crate) fn start() -> Self {
        let mut child = Command::new(binary())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the fakes binary starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let info = serde_json::from_str(&line).expect("the fakes print one JSON line");
        Fakes { child, info }
    }

    /// The `base_url` of `kind` (`mstodo`, `connectwise`, `processplan`, `azure_devops`, `caldav`).
    pub(crate) fn base(&self, kind: &str) -> String {
        self.info[kind].as_str().unwrap().to_owned()
    }

    fn host(&self, kind: &str) -> String {
        let base = self.base(kind);
        let rest = base.strip_prefix("http://").unwrap();
        rest.split('/').next().unwrap().to_owned()
    }

    /// Calls a control endpoint; answers its JSON (null when empty).
    pub(crate) fn control(
        &self,
        kind: &str,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Value {
        let host = self.host(kind);
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let mut stream = TcpStream::connect(&host).unwrap();
        write!(
            stream,
            "{method} /_fake/{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        let status: u16 = answer.split_whitespace().nth(1).unwrap().parse().unwrap();
        assert!((200..300).contains(&status), "{method} {path}: {answer}");
        let text = answer.split_once("\r\n\r\n").map_or("", |(_, b)| b).trim();
        if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(text).unwrap()
        }
    }

    /// The provider requests `kind` saw so far.
    pub(crate) fn seen(&self, kind: &str) -> Vec<Value> {
        match self.control(kind, "GET", "seen", None) {
            Value::Array(all) => all,
            other => panic!("seen: {other}"),
        }
    }

    /// The writes (not `GET`, `REPORT` or a WIQL query) `kind` saw.
    pub(crate) fn writes(&self, kind: &str) -> Vec<Value> {
        self.seen(kind)
            .into_iter()
            .filter(|r| {
                let method = r["method"].as_str().unwrap();
                let path = r["path"].as_str().unwrap();
                !matches!(method, "GET" | "REPORT") && !path.ends_with("/wiql")
            })
            .collect()
    }

    /// Queues a fault on `kind`.
    pub(crate) fn fault(&self, kind: &str, fault: Value) {
        self.control(kind, "POST", "fault", Some(fault));
    }
}
