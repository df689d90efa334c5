//! The queue through the binary: a status change is queued, a failing delivery is retried, dead
//! letters are listed, requeued and refused when they are not dead.

use std::path::Path;

mod common;

use common::Hub;

/// A hub holding one pending task, `plan`, synced from a folder.
fn hub() -> Hub {
    let hub = Hub::empty();
    let tasks = hub.root.join("tasks");
    std::fs::create_dir(&tasks).unwrap();
    std::fs::write(tasks.join("plan.md"), "# Plan\n\n- **Status**: Pending\n").unwrap();
    hub.ok(&["execute", "--from", "tasks", "--scope", "p", "--yes"]);
    hub
}

fn journal_calls(path: &Path) -> i64 {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.query_row("SELECT sum(calls) FROM pushes", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn a_status_change_is_delivered_after_a_retry() {
    let hub = hub();
    let outbox = hub.root.join("outbox");
    let journal = outbox.join("pushes.db");
    let provider = format!("files=journal:{}", journal.display());

    let err = hub.fails(
        5,
        &[
            "status", "--source", "files", "--task", "plan", "--to", "draft",
        ],
    );
    assert!(
        err.contains("`pending`") && err.contains("`draft`"),
        "{err}"
    );
    let out = hub.ok(&[
        "status",
        "--source",
        "files",
        "--task",
        "plan",
        "--to",
        "completed",
        "--actor",
        "ana",
        "--target",
        "files=process_step",
        "--target",
        "calendar=cal_dav",
    ]);
    assert!(
        out.contains("pending -> completed") && out.contains("queued job"),
        "{out}"
    );
    // A target that receives no task of this source says so instead of staying silent.
    assert!(
        out.contains("no job: target `calendar` receives the tasks of source `calendar` only"),
        "{out}"
    );

    // The journal's folder does not exist yet: the delivery fails and is retried later.
    let out = hub.ok(&["worker", "--provider", &provider, "--once"]);
    assert!(out.contains("1 retried"), "{out}");
    let listed = hub.ok(&["jobs", "list"]);
    assert!(
        listed.contains("pending") && listed.contains("1/6") && listed.contains("journal"),
        "{listed}"
    );

    std::fs::create_dir(&outbox).unwrap();
    let out = hub.ok(&[
        "worker",
        "--provider",
        &provider,
        "--until-idle",
        "--metrics",
    ]);
    assert!(out.contains("1 succeeded"), "{out}");
    // Metrics are per worker process: this one saw the success.
    assert!(
        out.contains("tasksync_jobs_total{target=\"files\",outcome=\"succeeded\"} 1"),
        "{out}"
    );
    let listed = hub.ok(&["jobs", "list", "--json"]);
    let jobs: serde_json::Value = serde_json::from_str(&listed).unwrap();
    assert_eq!(jobs[0]["state"], "succeeded");
    assert_eq!(jobs[0]["attempts"], 2);
    assert_eq!(jobs[0]["payload"]["status"], "completed");
    assert!(jobs[0]["payload"]["completedAt"].is_string());
    assert_eq!(journal_calls(&journal), 1);
    let tasks = hub.ok(&["tasks", "--scope", "p"]);
    assert!(tasks.contains("completed"), "{tasks}");
}

#[test]
fn dead_letters_are_listed_retried_and_discarded() {
    let hub = hub();
    let journal = hub.root.join("pushes.db");
    hub.ok(&[
        "status",
        "--source",
        "files",
        "--task",
        "plan",
        "--to",
        "completed",
        "--target",
        "files=ms_todo",
    ]);
    // A worker that has no provider for `files`: the job is dead at once.
    let other = format!("elsewhere=journal:{}", journal.display());
    let out = hub.ok(&["worker", "--provider", &other, "--until-idle"]);
    assert!(out.contains("1 dead"), "{out}");
    let dead = hub.ok(&["jobs", "dead", "--json"]);
    let dead: serde_json::Value = serde_json::from_str(&dead).unwrap();
    let id = dead[0]["id"].as_str().unwrap().to_owned();
    assert!(
        dead[0]["last_error"]
            .as_str()
            .unwrap()
            .contains("no provider is registered")
    );
    let shown = hub.ok(&["jobs", "show", &id]);
    assert!(shown.contains("\"undo\""), "{shown}");

    let out = hub.ok(&["jobs", "retry", &id]);
    assert!(out.contains("pending"), "{out}");
    let audit = hub.ok(&["history", "audit", "--entity", &id, "--json"]);
    assert!(audit.contains("job_retried"), "{audit}");
    let err = hub.fails(5, &["jobs", "discard", &id]);
    assert!(
        err.contains("not dead") || err.contains("it is pending"),
        "{err}"
    );
    let provider = format!("files=journal:{}", journal.display());
    let out = hub.ok(&["worker", "--provider", &provider, "--until-idle"]);
    assert!(out.contains("1 succeeded"), "{out}");
    hub.fails(1, &["jobs", "show", "no-such-job"]);
    hub.fails(2, &["jobs", "list", "--state", "nope"]);
}
