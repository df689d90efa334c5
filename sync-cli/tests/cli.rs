//! The `tasksync` binary end to end on a copy of `examples/tasks`: JSON plans, execute,
//! confirmation, stale plans and exit codes.

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

    fn preview_json(&self) -> serde_json::Value {
        serde_json::from_str(&self.ok(&["preview", "--from", "tasks", "--scope", "p", "--json"]))
            .unwrap()
    }
}

const SAVE: &[&str] = &[
    "preview",
    "--from",
    "tasks",
    "--scope",
    "p",
    "--save",
    "plan.json",
];

#[test]
fn preview_execute_then_nothing_left() {
    let f = Fixture::new();
    let plan = f.preview_json();
    assert_eq!(plan["counts"]["creates"], 28);
    assert_eq!(plan["scope_version"], 0);
    let out = f.ok(SAVE);
    assert!(out.contains("28 to create"), "{out}");
    let out = f.ok(&["execute", "--plan", "plan.json", "--yes"]);
    assert!(out.contains("28 created"), "{out}");
    let again = f.preview_json();
    assert_eq!(again["counts"]["unchanged"], 28);
    assert!(again["creates"].as_array().unwrap().is_empty());
    let out = f.ok(&["verify", "--from", "tasks", "--scope", "p"]);
    assert!(
        out.starts_with("consistent: 28 listed, 28 in the hub"),
        "{out}"
    );
    let out = f.ok(&["tasks", "--scope", "p"]);
    assert!(out.contains("Scope `p` (version 1): 28 tasks"), "{out}");
}

#[test]
fn an_edit_is_a_field_level_update() {
    let f = Fixture::new();
    f.ok(&["execute", "--from", "tasks", "--scope", "p", "--yes"]);
    let file = f.root.join("tasks/sync-history-epic.md");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, text.replacen("priority: 2", "priority: 1", 1)).unwrap();
    let plan = f.preview_json();
    assert_eq!(plan["counts"]["updates"], 1, "{plan:#}");
    let change = &plan["updates"][0]["changes"][0];
    assert_eq!(change["field"], "fields.priority");
    assert_eq!(
        (change["before"].clone(), change["after"].clone()),
        (2.into(), 1.into())
    );
}

#[test]
fn unconfirmed_and_stale_executes_are_refused_with_their_exit_codes() {
    let f = Fixture::new();
    f.ok(SAVE);
    assert_eq!(
        f.run(&["execute", "--plan", "plan.json"]).status.code(),
        Some(4)
    );
    f.ok(&["execute", "--plan", "plan.json", "--yes"]);
    let out = f.run(&["execute", "--plan", "plan.json", "--yes"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("stale plan"));
    assert!(
        f.ok(&["tasks", "--scope", "p"])
            .contains("(version 1): 28 tasks")
    );
}

#[test]
fn bad_input_exits_2_and_writes_nothing() {
    let f = Fixture::new();
    std::fs::write(f.root.join("bad.json"), "{not json").unwrap();
    assert_eq!(
        f.run(&["execute", "--plan", "bad.json", "--yes"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        f.run(&["preview", "--from", "nowhere", "--scope", "p"])
            .status
            .code(),
        Some(2)
    );
    let out = f.run(&[
        "preview",
        "--from",
        "tasks",
        "--scope",
        "p",
        "--protect",
        "finished",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown status `finished`"));
    assert!(
        f.ok(&["tasks", "--scope", "p"])
            .contains("(version 0): 0 tasks")
    );
}
