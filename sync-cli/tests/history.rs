//! `tasksync history` end to end: every preview and execute is recorded in the database file's
//! history (runs, items, counters, audit), and listed, filtered, paginated and shown.

mod common;

use common::Hub;

/// A hub beside a copy of `examples/tasks`.
struct Fixture(Hub);

impl std::ops::Deref for Fixture {
    type Target = Hub;
    fn deref(&self) -> &Hub {
        &self.0
    }
}

impl Fixture {
    fn new() -> Self {
        Fixture(Hub::with_examples())
    }

    fn code(&self, args: &[&str]) -> i32 {
        self.run(args).status.code().unwrap()
    }

    /// Preview (saved) and execute: two runs.
    fn sync(&self) {
        self.ok(&[
            "preview",
            "--from",
            "tasks",
            "--scope",
            "p",
            "--save",
            "plan.json",
        ]);
        self.ok(&["execute", "--plan", "plan.json", "--yes"]);
    }
}

#[test]
fn execute_records_its_run_items_and_audit() {
    let f = Fixture::new();
    f.sync();
    let list = f.json(&["history", "list"]);
    let runs = list["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2, "{list}");
    assert!(list["next"].is_null());
    let (execute, preview) = (&runs[0], &runs[1]);
    assert_eq!(execute["kind"], "execute");
    assert_eq!(preview["kind"], "preview");
    assert_eq!(execute["status"], "completed");
    assert_eq!(execute["scope"], "p");
    assert_eq!(execute["context"]["actor"]["user"], "ana");
    assert!(
        execute["context"]["actor"]["user_agent"]
            .as_str()
            .unwrap()
            .starts_with("tasksync/")
    );
    let created = execute["totals"]["created"].as_u64().unwrap();
    assert!(created > 0);
    assert_eq!(preview["totals"]["created"], created);
    let by_type: u64 = execute["by_type"]
        .as_object()
        .unwrap()
        .values()
        .map(|c| c["created"].as_u64().unwrap())
        .sum();
    assert_eq!(by_type, created);
    assert!(execute["duration_ms"].as_i64().unwrap() >= 0);

    let id = execute["id"].as_str().unwrap();
    let shown = f.json(&["history", "show", id, "--items-limit", "1000"]);
    assert_eq!(shown["run"], *execute);
    let items = shown["items"].as_array().unwrap();
    let created_items = items.iter().filter(|i| i["outcome"] == "created").count();
    assert_eq!(created_items as u64, created);
    assert!(
        items
            .iter()
            .all(|i| i["external_id"].is_string() && i["name"].is_string())
    );

    let audit = f.json(&["history", "audit", "--entity", id]);
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, vec!["sync_completed", "sync_started"]);

    // The table forms print too.
    let table = f.ok(&["history", "list"]);
    assert!(table.contains(id) && table.contains("completed"), "{table}");
    let table = f.ok(&["history", "show", id]);
    assert!(
        table.contains("created") && table.contains("total"),
        "{table}"
    );
    let table = f.ok(&["history", "audit", "--entity", id]);
    assert!(table.contains("sync_started"), "{table}");
}

#[test]
fn refused_executes_are_failed_runs_and_filters_find_them() {
    let f = Fixture::new();
    f.sync();
    // The saved plan again: stale (exit 3), recorded as a failed run with failed items.
    assert_eq!(f.code(&["execute", "--plan", "plan.json", "--yes"]), 3);
    // Unconfirmed (exit 4): a failed run without items.
    assert_eq!(f.code(&["execute", "--plan", "plan.json"]), 4);
    let failed = f.json(&["history", "list", "--status", "failed"]);
    let runs = failed["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2, "{failed}");
    assert!(runs[0]["error"].as_str().unwrap().contains("not confirmed"));
    let stale = &runs[1];
    assert!(stale["error"].as_str().unwrap().contains("stale plan"));
    assert!(stale["totals"]["failed"].as_u64().unwrap() > 0);
    let shown = f.json(&["history", "show", stale["id"].as_str().unwrap()]);
    assert!(
        shown["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["outcome"] != "skipped")
            .all(|i| i["outcome"] == "failed")
    );
    let executes = f.json(&["history", "list", "--kind", "execute", "--scope", "p"]);
    assert_eq!(executes["runs"].as_array().unwrap().len(), 3);
    let none = f.json(&["history", "list", "--scope", "elsewhere"]);
    assert!(none["runs"].as_array().unwrap().is_empty());
    let future = f.json(&["history", "list", "--since", "2999-01-01"]);
    assert!(future["runs"].as_array().unwrap().is_empty());
    let past = f.json(&["history", "list", "--until", "2000-01-01T00:00:00Z"]);
    assert!(past["runs"].as_array().unwrap().is_empty());
}

#[test]
fn pages_follow_the_cursor() {
    let f = Fixture::new();
    f.sync();
    f.ok(&["preview", "--from", "tasks", "--scope", "p"]);
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut args = vec!["history", "list", "--limit", "1"];
        if let Some(c) = &cursor {
            args.extend(["--cursor", c.as_str()]);
        }
        let page = f.json(&args);
        let runs = page["runs"].as_array().unwrap();
        assert_eq!(runs.len(), 1);
        seen.push(runs[0]["id"].as_str().unwrap().to_owned());
        match page["next"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
        assert!(seen.len() <= 3, "pagination does not end");
    }
    assert_eq!(seen.len(), 3);
    let all = f.json(&["history", "list"]);
    let ids: Vec<&str> = all["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(seen, ids);

    let execute = &all["runs"][1];
    assert_eq!(execute["kind"], "execute");
    let id = execute["id"].as_str().unwrap();
    let first = f.json(&["history", "show", id, "--items-limit", "2"]);
    assert_eq!(first["items"].as_array().unwrap().len(), 2);
    let next = first["next"].as_u64().unwrap();
    let after = next.to_string();
    let second = f.json(&[
        "history",
        "show",
        id,
        "--items-limit",
        "2",
        "--items-after",
        &after,
    ]);
    assert_eq!(second["items"][0]["seq"].as_u64().unwrap(), next + 1);
}

#[test]
fn bad_history_input_is_refused_with_exit_code_2() {
    let f = Fixture::new();
    f.sync();
    for args in [
        vec!["history", "list", "--cursor", "not-a-cursor"],
        vec!["history", "list", "--limit", "0"],
        vec!["history", "list", "--status", "finished"],
        vec!["history", "list", "--since", "yesterday"],
        vec![
            "history",
            "list",
            "--since",
            "2024-02-01",
            "--until",
            "2024-01-01",
        ],
        vec!["history", "audit", "--limit", "100000"],
    ] {
        let out = f.run(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(!out.stderr.is_empty());
    }
    let out = f.run(&["history", "show", "no-such-run"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not found"));
}
