//! The CalDAV target through the binary, against a real CalDAV server: Radicale from PyPI on a
//! free loopback port with a temporary storage folder, started through scripts/radicale.sh (the
//! helper `make demo` uses too). What the worker wrote is read back with the `caldav` Python
//! client library (examples/caldav_client.py).
//!
//! The virtualenv comes from `RADICALE_VENV` (set by `make test`); without it the script creates
//! `target/radicale-venv` itself. If Radicale cannot be installed or started the test fails: it
//! is never skipped.

use std::process::{Command, Output};

mod common;

use common::Hub;

const USER: &str = "ana";
const PASSWORD: &str = "pw-SECRET-3b9e71d402";
const WRONG: &str = "pw-WRONG-5c8a02f6e1";
const UID: &str = "plan";

#[path = "../../tests/support/radicale.rs"]
mod radicale;

use radicale::{Radicale, root, venv};

impl Radicale {
    fn calendar(&self) -> String {
        format!("{}tasks/", self.home())
    }

    /// Runs examples/caldav_client.py (`seed` or `show`) for the VTODO `UID`.
    fn client(&self, args: &[&str]) -> String {
        let out = Command::new(venv().join("bin/python"))
            .arg(root().join("examples/caldav_client.py"))
            .arg(args[0])
            .args([self.calendar().as_str(), USER, UID])
            .args(&args[1..])
            .env("TASKSYNC_CALDAV_PASSWORD", PASSWORD)
            .output()
            .expect("python runs");
        assert!(
            out.status.success(),
            "caldav client failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn show(&self) -> serde_json::Value {
        serde_json::from_str(&self.client(&["show"])).unwrap()
    }
}

/// A hub holding one pending task `plan` synced from a folder.
fn hub() -> Hub {
    let hub = Hub::empty();
    let tasks = hub.root.join("tasks");
    std::fs::create_dir(&tasks).unwrap();
    std::fs::write(tasks.join("plan.md"), "# Plan\n\n- **Status**: Pending\n").unwrap();
    hub.ok(&["execute", "--from", "tasks", "--scope", "p", "--yes"]);
    hub
}

/// `tasksync worker` for the calendar with `password` in the environment, logging at debug
/// level so that a leak into the logs would show.
fn worker(hub: &Hub, radicale: &Radicale, password: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tasksync"))
        .current_dir(&hub.root)
        .env("TASKSYNC_DB", hub.db())
        .env("TASKSYNC_CALDAV_PASSWORD", password)
        .env("TASKSYNC_LOG", "debug")
        .args(["worker", "--provider"])
        .arg(format!("calendar=caldav:{}", radicale.calendar()))
        .args(["--caldav-user", USER, "--until-idle"])
        .output()
        .unwrap()
}

fn status(hub: &Hub, to: &str) -> String {
    hub.ok(&[
        "status",
        "--source",
        "files",
        "--task",
        "plan",
        "--to",
        to,
        "--target",
        "calendar=cal_dav@files",
    ])
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn a_completed_task_reaches_the_caldav_server_and_a_wrong_password_is_dead_and_never_shown() {
    let radicale = Radicale::start(USER, PASSWORD, false);
    let hub = hub();
    radicale.client(&["seed", "Plan"]);
    assert_eq!(radicale.show()["status"], "NEEDS-ACTION");

    // The folder's task, mirrored by the calendar: status change -> job -> worker -> VTODO.
    let out = status(&hub, "completed");
    assert!(
        out.contains("pending -> completed")
            && out.contains("queued job")
            && out.contains("`calendar`"),
        "{out}"
    );
    let out = worker(&hub, &radicale, PASSWORD);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("worker done: 1 claimed, 1 succeeded, 0 dead"),
        "{}",
        text(&out)
    );
    let seen = radicale.show();
    assert_eq!(seen["status"], "COMPLETED", "{seen}");
    assert_eq!(seen["percent"], 100, "{seen}");
    let completed = seen["completed"].as_str().unwrap_or_default();
    assert!(
        completed.len() == 16 && completed.as_bytes()[8] == b'T' && completed.ends_with('Z'),
        "{seen}"
    );
    assert_eq!(seen["summary"], "Plan", "other properties are kept");
    let jobs = hub.json(&["jobs", "list", "--target", "calendar"]);
    assert_eq!(jobs[0]["state"], "succeeded", "{jobs}");

    // A wrong password: Radicale answers 401, the CLI has no refresher, so the job is dead
    // after one attempt, and the VTODO is untouched.
    status(&hub, "in_progress");
    let out = worker(&hub, &radicale, WRONG);
    assert!(out.status.success(), "{}", text(&out));
    let mut shown = text(&out);
    assert!(
        shown.contains("worker done: 1 claimed, 0 succeeded, 1 dead"),
        "{shown}"
    );
    let dead = hub.json(&["jobs", "dead"]);
    assert_eq!(dead.as_array().map(Vec::len), Some(1), "{dead}");
    assert_eq!(dead[0]["target"], "calendar");
    let id = dead[0]["id"].as_str().unwrap().to_owned();
    let job = hub.ok(&["jobs", "show", &id]);
    assert!(job.contains("token refresh failed"), "{job}");
    assert!(job.contains("access token expired"), "{job}");
    assert_eq!(radicale.show()["status"], "COMPLETED");

    // No form of either password in any output of the tool.
    shown.push_str(&job);
    shown.push_str(&dead.to_string());
    shown.push_str(&hub.ok(&["jobs", "list"]));
    for secret in [WRONG, PASSWORD] {
        assert!(!shown.contains(secret), "password shown: {shown}");
    }

    // Without the password in the environment the worker refuses to start, naming the variable.
    let err = hub.fails(
        2,
        &[
            "worker",
            "--provider",
            &format!("calendar=caldav:{}", radicale.calendar()),
            "--caldav-user",
            USER,
            "--until-idle",
        ],
    );
    assert!(err.contains("TASKSYNC_CALDAV_PASSWORD"), "{err}");
}

#[test]
fn bad_targets_and_providers_are_usage_errors() {
    let hub = hub();
    for target in [
        "calendar",
        "calendar=cal_dav@",
        "=cal_dav",
        "calendar=nope@files",
    ] {
        let err = hub.fails(
            2,
            &[
                "status",
                "--source",
                "files",
                "--task",
                "plan",
                "--to",
                "completed",
                "--target",
                target,
            ],
        );
        assert!(err.contains("--target"), "{target}: {err}");
    }
    for provider in ["calendar=ftp:x", "calendar=caldav:not-a-url", "calendar"] {
        let err = hub.fails(2, &["worker", "--provider", provider, "--until-idle"]);
        assert!(err.contains("--provider"), "{provider}: {err}");
    }
    // Nothing was queued by the refused commands.
    assert_eq!(hub.json(&["jobs", "list"]), serde_json::json!([]));
}
