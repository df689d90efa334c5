//! What a script can rely on: `verify`'s exit code, naming a task by its source and external id,
//! errors that repeat what the user typed and name the flags to use.

mod common;

use common::Hub;

const STORY: &str = "story-2-3-status-sync";

/// A hub holding `examples/tasks` synced into scope `p`.
fn synced() -> Hub {
    let hub = Hub::with_examples();
    hub.ok(&["execute", "--from", "tasks", "--scope", "p", "--yes"]);
    hub
}

#[test]
fn verify_exits_6_when_the_store_and_the_folder_differ() {
    let hub = synced();
    let out = hub.ok(&["verify", "--from", "tasks", "--scope", "p"]);
    assert!(out.starts_with("consistent:"), "{out}");

    // The pending story's new title is not synced: the default policy writes drafts only.
    let file = hub.root.join(format!("tasks/{STORY}.md"));
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, text.replacen("Bi-Directional", "Two-Way", 1)).unwrap();
    let out = hub.run(&["verify", "--from", "tasks", "--scope", "p"]);
    assert_eq!(out.status.code(), Some(6));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.starts_with("NOT consistent"), "{stdout}");
    assert!(stdout.contains(&format!("differs:           {STORY} (title)")));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("scope `p` is not consistent"), "{stderr}");
}

#[test]
fn status_takes_the_task_as_source_and_external_id_or_hub_id() {
    let hub = Hub::with_examples();
    let plan = hub.json(&["preview", "--from", "tasks", "--scope", "p"]);
    let hub_id = plan["creates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["task"]["external_id"] == STORY)
        .map(|c| c["task"]["id"].as_str().unwrap().to_owned())
        .unwrap();
    hub.ok(&["execute", "--from", "tasks", "--scope", "p", "--yes"]);

    let task = format!("files:{STORY}");
    let out = hub.ok(&["status", "--task", &task, "--to", "in_progress"]);
    assert_eq!(out.trim(), format!("files:{STORY}: pending -> in_progress"));
    let out = hub.ok(&[
        "status", "--source", "files", "--task", STORY, "--to", "blocked",
    ]);
    assert_eq!(out.trim(), format!("files:{STORY}: in_progress -> blocked"));
    let out = hub.ok(&["status", "--task", &hub_id, "--to", "in_progress"]);
    assert_eq!(out.trim(), format!("files:{STORY}: blocked -> in_progress"));
}

#[test]
fn a_task_that_is_not_found_is_named_as_typed() {
    let hub = synced();
    // An external id without its source: the error says how to give it.
    let err = hub.fails(1, &["status", "--task", "story-2", "--to", "completed"]);
    assert!(err.contains("`story-2`"), "{err}");
    assert!(
        err.contains("--task SOURCE:story-2") && err.contains("--source SOURCE --task story-2"),
        "{err}"
    );

    for args in [
        &["--task", "files:story-2"][..],
        &["--source", "files", "--task", "story-2"][..],
    ] {
        let mut all = vec!["status"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--to", "completed"]);
        let err = hub.fails(1, &all);
        assert!(
            err.contains("no task `story-2` from source `files`"),
            "{err}"
        );
        let hash = sync_core::Task::hub_id("files", "story-2");
        assert!(!err.contains(&hash), "{err}");
    }

    for bad in [":story-2", "files:"] {
        let err = hub.fails(2, &["status", "--task", bad, "--to", "completed"]);
        assert!(err.contains(&format!("--task `{bad}`")), "{err}");
    }
    // Nothing changed.
    let out = hub.ok(&["jobs", "list"]);
    assert!(out.contains("0 job(s)"), "{out}");
}

#[test]
fn an_external_id_holding_colons_is_taken_whole() {
    let hub = Hub::empty();
    std::fs::create_dir(hub.root.join("tasks")).unwrap();
    std::fs::write(
        hub.root.join("tasks/a.md"),
        "---\nid: ops:deploy:v2\nstatus: pending\n---\n",
    )
    .unwrap();
    hub.ok(&["execute", "--from", "tasks", "--scope", "p", "--yes"]);
    let out = hub.ok(&[
        "status",
        "--task",
        "files:ops:deploy:v2",
        "--to",
        "in_progress",
    ]);
    assert_eq!(out.trim(), "files:ops:deploy:v2: pending -> in_progress");
    let out = hub.ok(&[
        "status",
        "--source",
        "files",
        "--task",
        "ops:deploy:v2",
        "--to",
        "completed",
    ]);
    assert_eq!(out.trim(), "files:ops:deploy:v2: in_progress -> completed");
}

#[test]
fn an_unconfirmed_execute_names_the_flag() {
    let hub = Hub::with_examples();
    let err = hub.fails(4, &["execute", "--from", "tasks", "--scope", "p"]);
    assert!(err.contains("pass --yes"), "{err}");
    assert!(!err.contains("confirmed = true"), "{err}");
}

#[test]
fn a_reader_that_stops_early_is_no_crash() {
    let hub = synced();
    for _ in 0..3 {
        hub.ok(&["preview", "--from", "tasks", "--scope", "p"]);
    }
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_tasksync"))
        .current_dir(&hub.root)
        .env("TASKSYNC_DB", hub.db())
        .args(["history", "audit"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // the reader goes away before the first line
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        matches!(out.status.code(), Some(0 | 141)),
        "{:?}",
        out.status
    );
}
