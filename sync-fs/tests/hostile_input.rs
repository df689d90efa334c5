//! Task files and folders that used to hang the folder walk or cost far more memory than their
//! size (found while fuzzing the Markdown parser and the folder walk, `fuzz/`): reading stays
//! linear in the input, and only regular files are read.

use std::path::Path;
use std::sync::Arc;

use futures::executor::block_on;
use sync_core::{ErrorKind, Listing, MemoryStore, Policy, SyncEngine};
use sync_fs::{FolderSource, parse_markdown};

/// Asserts that the tasks (ids, parents and titles) carry at most twice the file's bytes.
fn assert_linear(text: &str, tasks: &[sync_core::DesiredTask]) {
    let bytes: usize = tasks
        .iter()
        .map(|t| {
            let parent = t.content.parent.as_ref().map_or(0, String::len);
            t.external_id.len() + t.content.title.len() + parent
        })
        .sum();
    assert!(
        bytes <= 2 * text.len(),
        "{bytes} bytes of tasks from a {}-byte file",
        text.len()
    );
}

/// Reads a folder holding `a.md` and whatever `make` puts at `b.md`: only `a.md` is listed,
/// and nothing is reported skipped.
fn read_beside_a_task_file(make: impl FnOnce(&Path)) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.md"), "# A\n").unwrap();
    make(&dir.path().join("b.md"));
    let (listing, problems) = FolderSource::new(dir.path(), "files")
        .read_report()
        .unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    assert!(listing.complete);
    assert_eq!(listing.items.len(), 1);
}

#[test]
fn a_file_id_over_the_limit_is_not_repeated_for_every_checkbox() {
    let text = format!(
        "---\nid: {}\n---\n{}",
        "i".repeat(4096),
        "- [ ] x\n".repeat(2000)
    );
    let tasks = parse_markdown("long", &text);
    assert_linear(&text, &tasks);
    // The core still refuses the file's task by name, so nothing is silently dropped.
    let engine = SyncEngine::new(Arc::new(MemoryStore::new()));
    let listing = Listing::complete("files", tasks);
    let err = block_on(engine.preview("s", &listing, &Policy::default())).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(
        err.to_string().contains("listing item 0: external_id"),
        "{err}"
    );
}

#[test]
fn reading_stops_after_a_checkbox_whose_id_is_over_the_limit() {
    let text = format!(
        "- [ ] {}\n{}",
        "w".repeat(2048),
        "  - [ ] child\n".repeat(2000)
    );
    let tasks = parse_markdown("notes", &text);
    assert_linear(&text, &tasks);
    let last = tasks.last().unwrap();
    assert!(last.external_id.len() > sync_core::diff::MAX_ID_BYTES);
}

#[test]
fn repeated_checkboxes_are_numbered_in_one_pass() {
    // Each repeat used to retry every earlier number: 60,000 equal lines took billions of
    // lookups. The numbering itself is unchanged, also next to a line whose slug is `a-2`.
    let tasks = parse_markdown("f", &"- [ ] a\n".repeat(60_000));
    assert_eq!(tasks.len(), 60_001);
    assert_eq!(tasks[60_000].external_id, "f#a-60000");
    let ids: Vec<String> = parse_markdown("f", "- [ ] a\n- [ ] a 2\n- [ ] a\n- [ ] a\n")
        .into_iter()
        .skip(1)
        .map(|t| t.external_id)
        .collect();
    assert_eq!(ids, ["f#a", "f#a-2", "f#a-3", "f#a-4"]);
}

#[test]
fn a_socket_named_like_a_task_file_is_skipped() {
    // Binding leaves the socket file in place after the listener is closed.
    read_beside_a_task_file(|path| {
        std::os::unix::net::UnixListener::bind(path).unwrap();
    });
}

#[test]
fn a_named_pipe_named_like_a_task_file_is_skipped_not_waited_on() {
    // Opening a pipe for reading waits for a writer: the walk used to hang here.
    read_beside_a_task_file(|path| {
        let status = std::process::Command::new("mkfifo")
            .arg(path)
            .status()
            .unwrap();
        assert!(status.success());
    });
}
