//! What the tool prints: the folder's warnings once each, naming the file, without colour codes
//! on a pipe; tables at most 100 columns wide whatever their values; skipped items without a
//! made-up type.

mod common;

use common::Hub;

const STORY: &str = "story-2-3-status-sync";

fn write(hub: &Hub, rel: &str, text: &str) {
    std::fs::write(hub.root.join("tasks").join(rel), text).unwrap();
}

/// The lines of `text` that mention `needle`.
fn lines_with<'a>(text: &'a str, needle: &str) -> Vec<&'a str> {
    text.lines().filter(|l| l.contains(needle)).collect()
}

#[test]
fn an_unknown_status_is_warned_about_once_and_suppresses_deletes() {
    let hub = Hub::with_examples();
    hub.ok(&["execute", "--from", "tasks", "--scope", "p", "--yes"]);
    write(&hub, "odd.md", "---\nstatus: frobnicated\n---\n# Odd\n");
    std::fs::remove_file(hub.root.join("tasks/inbox.md")).unwrap();

    let out = hub.run(&["preview", "--from", "tasks", "--scope", "p", "--json"]);
    assert!(out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    let warned = lines_with(&stderr, "odd.md");
    assert_eq!(warned.len(), 1, "{stderr}");
    assert!(warned[0].starts_with("warning: "), "{stderr}");
    assert!(
        warned[0].contains("unknown status `frobnicated`"),
        "{stderr}"
    );
    assert!(stderr.contains("the listing is partial"), "{stderr}");
    assert!(
        !stderr.contains('\u{1b}'),
        "no colour codes on a pipe: {stderr:?}"
    );
    // inbox.md is gone, but a partial listing deletes nothing; the odd file creates nothing.
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(plan["counts"]["deletes"], 0, "{plan:#}");
    assert_eq!(plan["counts"]["creates"], 0, "{plan:#}");
}

#[test]
fn unclosed_front_matter_and_dangling_links_are_warned_about_naming_the_file() {
    let hub = Hub::with_examples();
    write(&hub, "open.md", "---\nid: open\nstatus: pending\n# Open\n");
    std::os::unix::fs::symlink("gone.md", hub.root.join("tasks/link.md")).unwrap();
    let out = hub.run(&["preview", "--from", "tasks", "--scope", "p"]);
    assert!(out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    let open = lines_with(&stderr, "open.md");
    assert_eq!(open.len(), 1, "{stderr}");
    assert!(open[0].contains("never closed"), "{stderr}");
    let link = lines_with(&stderr, "link.md");
    assert_eq!(link.len(), 1, "{stderr}");
    assert!(
        link[0].contains("`gone.md`, which does not exist"),
        "{stderr}"
    );
}

#[test]
fn logs_have_no_colour_codes_on_a_pipe() {
    let hub = Hub::with_examples();
    write(&hub, "odd.md", "---\nstatus: frobnicated\n---\n");
    for env in [
        &[("TASKSYNC_LOG", "info")][..],
        &[("TASKSYNC_LOG", "debug"), ("NO_COLOR", "1")],
    ] {
        let out = hub.run_with(
            env,
            &["execute", "--from", "tasks", "--scope", "p", "--yes"],
        );
        assert!(out.status.success());
        let stderr = String::from_utf8(out.stderr).unwrap();
        // The log was asked for: the folder's warning is logged too, without colour codes.
        assert!(stderr.contains("task file skipped"), "{stderr}");
        assert!(!stderr.contains('\u{1b}'), "{env:?}: {stderr:?}");
    }
}

#[test]
fn skipped_items_have_no_made_up_type() {
    let hub = Hub::with_examples();
    hub.ok(&["execute", "--from", "tasks", "--scope", "p", "--yes"]);
    let file = hub.root.join(format!("tasks/{STORY}.md"));
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, text.replacen("Bi-Directional", "Two-Way", 1)).unwrap();
    hub.ok(&["execute", "--from", "tasks", "--scope", "p", "--yes"]);

    let runs = hub.json(&["history", "list", "--kind", "execute", "--limit", "1"]);
    let run = &runs["runs"][0];
    assert_eq!(run["totals"]["skipped"], 1, "{run:#}");
    assert!(run["by_type"].get("unknown").is_none(), "{run:#}");
    let id = run["id"].as_str().unwrap();
    let shown = hub.json(&["history", "show", id]);
    let items = shown["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{shown:#}");
    assert_eq!(items[0]["external_id"], STORY);
    assert_eq!(items[0]["outcome"], "skipped");
    assert_eq!(items[0]["kind"], "");

    let table = hub.ok(&["history", "show", id]);
    assert!(!table.contains("unknown"), "{table}");
    let row = lines_with(&table, STORY);
    assert!(row[0].contains("skipped"), "{table}");
}

/// Every line of every table in `out` is at most 100 characters wide.
fn assert_fits(what: &str, out: &str) {
    let mut tables = 0;
    for line in out.lines() {
        if line.starts_with(['┌', '│', '╞', '├', '└']) {
            tables += 1;
            let width = line.chars().count();
            assert!(width <= 100, "{what}: a {width}-column line:\n{out}");
        }
    }
    assert!(tables > 0, "{what}: no table in\n{out}");
}

#[test]
fn tables_fit_100_columns_whatever_their_values() {
    let hub = Hub::empty();
    std::fs::create_dir(hub.root.join("tasks")).unwrap();
    let long_id = "a-very-long-external-id-".repeat(6);
    let long_title = "A title that goes on and on ".repeat(10);
    let long_field = "x".repeat(200);
    write(
        &hub,
        "long.md",
        &format!(
            "---\nid: {long_id}\ntitle: {long_title}\nstatus: pending\nnote: {long_field}\n---\n\
             - [ ] {long_title}\n"
        ),
    );
    let scope = "scope-".repeat(20);
    let source = "source-".repeat(12);
    let target = format!("{source}=process_step");
    let from = [
        "--from",
        "tasks",
        "--scope",
        scope.as_str(),
        "--source",
        source.as_str(),
    ];

    let mut preview = vec!["preview"];
    preview.extend_from_slice(&from);
    assert_fits("preview", &hub.ok(&preview));
    let mut execute = vec!["execute"];
    execute.extend_from_slice(&from);
    execute.push("--yes");
    hub.ok(&execute);

    // An edit of the title and of a field: an update row with long before and after values.
    write(
        &hub,
        "long.md",
        &format!(
            "---\nid: {long_id}\ntitle: {long_title} again\nstatus: pending\nnote: y{long_field}\n\
             ---\n- [ ] {long_title}\n"
        ),
    );
    let mut all = preview.clone();
    all.push("--all-statuses");
    assert_fits("update preview", &hub.ok(&all));
    assert_fits("tasks", &hub.ok(&["tasks", "--scope", &scope]));

    let task = format!("{source}:{long_id}");
    hub.ok(&[
        "status",
        "--task",
        &task,
        "--to",
        "in_progress",
        "--target",
        &target,
    ]);
    let missing = hub.root.join("missing/pushes.db");
    let provider = format!("{source}=journal:{}", missing.display());
    hub.ok(&["worker", "--provider", &provider, "--once"]);
    assert_fits("jobs list", &hub.ok(&["jobs", "list"]));

    let runs = hub.json(&["history", "list"]);
    let id = runs["runs"][0]["id"].as_str().unwrap().to_owned();
    assert_fits("history list", &hub.ok(&["history", "list"]));
    assert_fits("history show", &hub.ok(&["history", "show", &id]));
    assert_fits("history audit", &hub.ok(&["history", "audit"]));

    let session = hub.ok(&[
        "session",
        "create",
        "--id",
        &"session-".repeat(20),
        "--cycles",
        &format!("{},{}", "cycle-".repeat(30), "other-".repeat(30)),
    ]);
    assert_fits("session", &session);
}

#[test]
fn a_stale_plan_is_reported_once() {
    let hub = Hub::with_examples();
    hub.ok(&[
        "preview",
        "--from",
        "tasks",
        "--scope",
        "p",
        "--save",
        "plan.json",
    ]);
    hub.ok(&["execute", "--plan", "plan.json", "--yes"]);
    let err = hub.fails(3, &["execute", "--plan", "plan.json", "--yes"]);
    assert_eq!(lines_with(&err, "stale plan").len(), 1, "{err}");
}
