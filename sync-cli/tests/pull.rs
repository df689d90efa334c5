//! `tasksync pull`, `preview`/`execute --from-provider`, `--providers-file` and `tasksync
//! folder` through the binary, against the loopback Microsoft To Do fake: a pull executes, a
//! pull that would delete more than `--max-deletes` is held (saved for `execute --plan`), a
//! failed listing writes nothing and is a failed run in the history; the loop stops on SIGTERM.

mod common;
mod fakes;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use common::Hub;
use fakes::{FRESH, Fakes, TOKEN};
use serde_json::{Value, json};

const ENV: [(&str, &str); 1] = [("TASKSYNC_TODO_TOKEN", TOKEN)];

fn todo(fakes: &Fakes) -> String {
    format!("todo=mstodo:{}", fakes.base("mstodo"))
}

fn pull(hub: &Hub, fakes: &Fakes, extra: &[&str]) -> (Option<i32>, Value, String) {
    let provider = todo(fakes);
    let mut args = vec![
        "pull",
        "--provider",
        &provider,
        "--scope",
        "s",
        "--provider-scope",
        "list-1",
        "--all-statuses",
        "--once",
    ];
    args.extend_from_slice(extra);
    let out = hub.run_with(&ENV, &args);
    let stdout = String::from_utf8(out.stdout).unwrap();
    let line = serde_json::from_str(stdout.trim()).unwrap_or(Value::Null);
    (
        out.status.code(),
        line,
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn count(hub: &Hub) -> usize {
    let out = hub.ok(&["tasks", "--scope", "s"]);
    let head = out.lines().next().unwrap();
    head.split(": ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

#[test]
fn a_pull_executes_holds_too_many_deletes_and_writes_nothing_when_the_listing_fails() {
    let fakes = Fakes::start();
    let hub = Hub::empty();
    let (code, line, err) = pull(&hub, &fakes, &[]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(line["outcome"], "executed", "{line}");
    assert_eq!(line["report"]["created"], 5, "{line}");
    assert_eq!(
        (line["source"].as_str(), line["complete"].as_bool()),
        (Some("mstodo"), Some(true))
    );
    assert_eq!(count(&hub), 5);
    let (_, again, _) = pull(&hub, &fakes, &[]);
    assert_eq!(again["outcome"], "unchanged", "{again}");

    // Two tasks gone from the list: more deletions than --max-deletes 1 allows, held.
    let mut data = fakes.control("mstodo", "GET", "data", None);
    data["list-1"].as_array_mut().unwrap().truncate(3);
    fakes.control("mstodo", "PUT", "data", Some(data));
    let (code, held, err) = pull(
        &hub,
        &fakes,
        &["--max-deletes", "1", "--save-held", "held.json"],
    );
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(held["outcome"], "held", "{held}");
    assert_eq!(
        held["reasons"][0],
        json!({"reason": "too_many_deletes", "deletes": 2, "limit": 1})
    );
    assert!(
        held.get("plan").is_none() && held["plan_token"].is_string(),
        "{held}"
    );
    assert_eq!(count(&hub), 5, "a held plan writes nothing");
    // A person executes the saved plan.
    let out = hub.ok(&["execute", "--plan", "held.json", "--yes"]);
    assert!(out.contains("2 deleted"), "{out}");
    assert_eq!(count(&hub), 3);

    // --hold: every plan that changes something waits for a person.
    fakes.control("mstodo", "POST", "reset", None);
    let (_, held, _) = pull(&hub, &fakes, &["--hold", "--save-held", "held.json"]);
    assert_eq!(held["reasons"][0]["reason"], "auto_execute_off", "{held}");
    // A pull that finds nothing to do removes the old held plan.
    let (_, _, _) = pull(&hub, &fakes, &[]);
    let (_, unchanged, _) = pull(&hub, &fakes, &["--save-held", "held.json"]);
    assert_eq!(unchanged["outcome"], "unchanged");
    assert!(!hub.root.join("held.json").exists());

    // The listing fails: exit 1, nothing written, a failed preview run in the history.
    let tasks = hub.ok(&["tasks", "--scope", "s"]);
    fakes.fault(
        "mstodo",
        json!({"status": 500, "body": "{\"error\": {\"code\": \"generalException\"}}"}),
    );
    let (code, failed, err) = pull(&hub, &fakes, &[]);
    assert_eq!(code, Some(1), "{err}");
    assert_eq!(failed["outcome"], "failed", "{failed}");
    assert!(
        failed["error"].as_str().unwrap().contains("500"),
        "{failed}"
    );
    assert_eq!(hub.ok(&["tasks", "--scope", "s"]), tasks);
    let runs = hub.json(&["history", "runs", "--status", "failed"]);
    let run = &runs["runs"][0];
    assert_eq!(
        (run["kind"].as_str(), run["source"].as_str()),
        (Some("preview"), Some("todo")),
        "{runs}"
    );
    let shown = format!("{runs}{}", hub.ok(&["history", "audit", "--json"]));
    assert!(!shown.contains(TOKEN) && !shown.contains(FRESH), "{shown}");
}

#[test]
fn the_pull_loop_stops_on_sigterm_after_the_pull_in_flight() {
    let fakes = Fakes::start();
    let hub = Hub::empty();
    let mut child = Command::new(env!("CARGO_BIN_EXE_tasksync"))
        .current_dir(&hub.root)
        .env("TASKSYNC_DB", hub.db())
        .envs(ENV)
        .args(["pull", "--provider", &todo(&fakes), "--scope", "s"])
        .args([
            "--provider-scope",
            "list-1",
            "--all-statuses",
            "--every",
            "1",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first: Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    assert_eq!(first["outcome"], "executed", "{first}");
    let second: Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    assert_eq!(second["outcome"], "unchanged", "{second}");
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("pull done:"), "{stderr}");
    assert_eq!(count(&hub), 5);
}

#[test]
fn preview_and_execute_list_a_provider_defined_in_a_private_file() {
    let fakes = Fakes::start();
    let hub = Hub::empty();
    let file = hub.root.join("providers.json");
    let write = |entry: Value, mode: u32| {
        use std::os::unix::fs::PermissionsExt;
        std::fs::write(&file, json!({"todo": entry}).to_string()).unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).unwrap();
    };
    let base = fakes.base("mstodo");
    let from = [
        "--providers-file",
        "providers.json",
        "--from-provider",
        "todo",
        "--scope",
        "s",
        "--provider-scope",
        "list-1",
        "--all-statuses",
    ];
    // The token is renewed through the file's command after the fake switched to FRESH.
    std::fs::write(hub.root.join("fresh.txt"), FRESH).unwrap();
    fakes.control(
        "mstodo",
        "POST",
        "credential",
        Some(json!({"token": FRESH})),
    );
    let entry = json!({"kind": "mstodo", "base_url": base, "token": TOKEN, "token_command": "cat fresh.txt"});

    write(entry.clone(), 0o644);
    let err = hub.fails(2, &[&["preview"][..], &from].concat());
    assert!(err.contains("chmod 600") && !err.contains(TOKEN), "{err}");

    let mut unknown = entry.clone();
    unknown["colour"] = json!("blue");
    write(unknown, 0o600);
    let err = hub.fails(2, &[&["preview"][..], &from].concat());
    assert!(err.contains("colour") && !err.contains(TOKEN), "{err}");

    write(entry, 0o600);
    let out = hub.ok(&[&["preview"][..], &from].concat());
    assert!(out.contains("5") && !out.contains(TOKEN), "{out}");
    assert_eq!(count(&hub), 0, "a preview writes nothing");
    let out = hub.ok(&[&["execute"][..], &from, &["--yes"]].concat());
    assert!(out.contains("5 created"), "{out}");
    assert_eq!(count(&hub), 5);
    let last = fakes.seen("mstodo").pop().unwrap();
    assert_eq!(last["headers"]["authorization"], format!("Bearer {FRESH}"));

    // The token from the environment when the file has none; an unknown provider is named.
    write(json!({"kind": "mstodo", "base_url": base}), 0o600);
    let renewed = [("TASKSYNC_TODO_TOKEN", FRESH)];
    let out = hub.run_with(&renewed, &[&["preview"][..], &from].concat());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = hub.fails(
        2,
        &[
            "preview",
            "--providers-file",
            "providers.json",
            "--from-provider",
            "nope",
            "--scope",
            "s",
        ],
    );
    assert!(err.contains("nope") && err.contains("todo"), "{err}");

    // A listing that fails is a failed preview run in the history, and writes nothing.
    fakes.fault("mstodo", json!({"status": 500}));
    let out = hub.run_with(&renewed, &[&["execute"][..], &from, &["--yes"]].concat());
    assert!(
        !out.status.success(),
        "the failed listing fails the command"
    );
    assert_eq!(count(&hub), 5);
    let runs = hub.json(&["history", "runs", "--status", "failed"]);
    let failed = runs["runs"].as_array().unwrap();
    assert_eq!(failed.len(), 1, "{runs}");
    assert_eq!(
        (failed[0]["kind"].as_str(), failed[0]["source"].as_str()),
        (Some("preview"), Some("todo")),
        "{runs}"
    );
}

#[test]
fn folder_prints_the_listing_as_the_core_serialises_it() {
    let hub = Hub::with_examples();
    let out = hub.run(&["folder", "--from", "tasks", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listing: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(listing["source"], "files");
    assert!(
        !listing["items"].as_array().unwrap().is_empty(),
        "{listing}"
    );
    assert!(listing["items"][0]["external_id"].is_string(), "{listing}");
    let named = hub.run(&["folder", "--from", "tasks", "--source", "notes", "--json"]);
    let named: Value = serde_json::from_slice(&named.stdout).unwrap();
    assert_eq!(named["source"], "notes");
    let err = hub.fails(2, &["folder", "--from", "missing", "--json"]);
    assert!(err.contains("missing"), "{err}");
}
