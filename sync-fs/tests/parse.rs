//! Parsing one Markdown file: front matter, bullet metadata, headings, checkboxes, statuses.

use serde_json::json;
use sync_core::Status;
use sync_fs::{parse_markdown, parse_status};

#[test]
fn front_matter_sets_id_title_kind_status_parent_and_fields() {
    let text = "---\nid: epic-1\ntitle: \"Sync history\"\nkind: epic\nstatus: In Progress\nparent: roadmap\npriority: 2\nratio: 0.5\nowner: backend\ntags: [a, b]\n  nested: ignored\n---\n# Heading is not the title\n";
    let tasks = parse_markdown("dir/file", text);
    assert_eq!(tasks.len(), 1);
    let task = &tasks[0];
    assert_eq!(task.external_id, "epic-1");
    assert_eq!(task.content.title, "Sync history");
    assert_eq!(task.content.kind, "epic");
    assert_eq!(task.content.status, Some(Status::InProgress));
    assert_eq!(task.content.parent.as_deref(), Some("roadmap"));
    assert_eq!(task.content.fields.get("priority"), Some(&json!(2)));
    assert_eq!(task.content.fields.get("ratio"), Some(&json!(0.5)));
    assert_eq!(task.content.fields.get("owner"), Some(&json!("backend")));
    assert_eq!(task.content.fields.get("tags"), Some(&json!("[a, b]")));
    assert!(!task.content.fields.contains_key("nested"));
    assert_eq!(task.modified_at, None);
}

#[test]
fn defaults_without_front_matter() {
    let tasks = parse_markdown(
        "phases/phase-9",
        "Some prose.\n\n## Only a level-2 heading\n",
    );
    let task = &tasks[0];
    assert_eq!(task.external_id, "phases/phase-9");
    assert_eq!(task.content.title, "phase-9");
    assert_eq!(task.content.kind, "task");
    assert_eq!(task.content.status, Some(Status::Draft));
    assert_eq!(task.content.parent, None);
    assert!(task.content.fields.is_empty());
}

#[test]
fn title_from_first_h1_outside_code() {
    let text = "```\n# not this\n```\n## nor this\n# Phase 2: Backend Sync\n# Second\n";
    assert_eq!(
        parse_markdown("x", text)[0].content.title,
        "Phase 2: Backend Sync"
    );
}

#[test]
fn bullet_metadata_like_front_matter() {
    let text = "# Phase 2\n\n- **Phase**: 2\n- **Name**: Backend Sync Enhancement\n- **Duration**: 2 hours\n- **Status**: Pending\n* **Overall Status:** on track\n- **Kind**: phase\n- **Status**: Done\n";
    let task = &parse_markdown("p2", text)[0];
    assert_eq!(task.content.title, "Phase 2");
    assert_eq!(
        task.content.status,
        Some(Status::Pending),
        "first occurrence wins"
    );
    assert_eq!(task.content.kind, "phase");
    let fields = &task.content.fields;
    assert_eq!(fields.get("phase"), Some(&json!(2)));
    assert_eq!(fields.get("name"), Some(&json!("Backend Sync Enhancement")));
    assert_eq!(fields.get("duration"), Some(&json!("2 hours")));
    assert_eq!(fields.get("overall_status"), Some(&json!("on track")));
}

#[test]
fn front_matter_wins_over_bullets() {
    let text = "---\nstatus: draft\n---\n- **Status**: Pending\n- **Name**: kept\n";
    let task = &parse_markdown("f", text)[0];
    assert_eq!(task.content.status, Some(Status::Draft));
    assert_eq!(task.content.fields.get("name"), Some(&json!("kept")));
}

#[test]
fn unknown_status_is_draft_and_kept_as_field() {
    let task = &parse_markdown("f", "- **Status**: Ready for Implementation\n")[0];
    assert_eq!(task.content.status, Some(Status::Draft));
    assert_eq!(
        task.content.fields.get("status"),
        Some(&json!("Ready for Implementation"))
    );
}

#[test]
fn status_words() {
    let cases = [
        ("pending", Status::Pending),
        ("Pending", Status::Pending),
        ("In Progress", Status::InProgress),
        ("in-progress", Status::InProgress),
        ("in_progress", Status::InProgress),
        ("IN PROGRESS", Status::InProgress),
        ("Done", Status::Completed),
        ("Complete", Status::Completed),
        ("completed", Status::Completed),
        ("Draft", Status::Draft),
        ("Cancelled", Status::Cancelled),
        ("Canceled", Status::Cancelled),
        ("Blocked", Status::Blocked),
        (" blocked ", Status::Blocked),
    ];
    for (word, expected) in cases {
        assert_eq!(parse_status(word), Some(expected), "{word}");
    }
    assert_eq!(parse_status("Not started"), None);
    assert_eq!(parse_status(""), None);
}

#[test]
fn checkboxes_nested_with_parents() {
    let text = "---\nid: plan\n---\n# Plan\n- [ ] Top one\n  - [x] Child A\n    * [X] Grandchild\n  - [ ] Child B\n* [ ] Top two\n\t- [ ] Tab child\n- not a checkbox\n- [link](x) neither\n- [x]no space is not a checkbox\n";
    let tasks = parse_markdown("ignored/path", text);
    let summary: Vec<(&str, &str, Option<Status>, Option<&str>)> = tasks
        .iter()
        .map(|t| {
            (
                t.external_id.as_str(),
                t.content.kind.as_str(),
                t.content.status,
                t.content.parent.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            ("plan", "task", Some(Status::Draft), None),
            ("plan#top-one", "item", Some(Status::Draft), Some("plan")),
            (
                "plan#child-a",
                "item",
                Some(Status::Completed),
                Some("plan#top-one")
            ),
            (
                "plan#grandchild",
                "item",
                Some(Status::Completed),
                Some("plan#child-a")
            ),
            (
                "plan#child-b",
                "item",
                Some(Status::Draft),
                Some("plan#top-one")
            ),
            ("plan#top-two", "item", Some(Status::Draft), Some("plan")),
            (
                "plan#tab-child",
                "item",
                Some(Status::Draft),
                Some("plan#top-two")
            ),
        ]
    );
    assert_eq!(tasks[2].content.title, "Child A");
}

#[test]
fn heading_ends_a_list() {
    let text = "## A\n- [ ] First\n## B\n  - [ ] Indented under another heading\n";
    let tasks = parse_markdown("f", text);
    assert_eq!(tasks[2].content.parent.as_deref(), Some("f"));
}

#[test]
fn checkbox_title_kept_as_is() {
    let tasks = parse_markdown("f", "- [ ] Logging implementation - 0%  \n");
    assert_eq!(tasks[1].content.title, "Logging implementation - 0%");
    assert_eq!(tasks[1].external_id, "f#logging-implementation-0");
}

#[test]
fn duplicate_slugs_numbered() {
    let text = "- [ ] Review logs\n- [x] Review logs!\n- [ ] review   LOGS\n- [ ] Review logs 2\n";
    let ids: Vec<String> = parse_markdown("inbox", text)
        .into_iter()
        .map(|t| t.external_id)
        .collect();
    assert_eq!(
        ids,
        vec![
            "inbox",
            "inbox#review-logs",
            "inbox#review-logs-2",
            "inbox#review-logs-3",
            // The literal slug `review-logs-2` is taken, so it is numbered too.
            "inbox#review-logs-2-2",
        ]
    );
}

#[test]
fn checkboxes_in_code_fences_ignored() {
    let text =
        "```md\n- [ ] not a task\n- **Status**: Done\n```\n~~~\n- [ ] nor this\n~~~\n- [ ] real\n";
    let tasks = parse_markdown("f", text);
    assert_eq!(tasks.len(), 2);
    assert_eq!(tasks[0].content.status, Some(Status::Draft));
}

#[test]
fn unclosed_front_matter_is_body() {
    let tasks = parse_markdown("f", "---\nid: x\n- [ ] item\n");
    assert_eq!(tasks[0].external_id, "f");
    assert_eq!(tasks[1].external_id, "f#item");
}
