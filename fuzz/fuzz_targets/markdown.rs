//! A Markdown task file: the parser never panics, keeps its structural promises (the file task
//! first, unique ids, every parent listed before its child), its output is bounded by the
//! input, and a file reads the same with Windows line ends.
#![no_main]

use std::collections::HashSet;

use libfuzzer_sys::fuzz_target;
use sync_core::diff::MAX_ID_BYTES;
use sync_fs::parse_markdown;
use tasksync_fuzz::check_tasks;

const ID: &str = "notes/fuzz";

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let tasks = parse_markdown(ID, text);
    let (file, items) = tasks
        .split_first()
        .expect("the file task always comes first");
    let file_id = file.external_id.as_str();
    assert!(!file_id.is_empty());
    assert!(
        items.len() <= text.lines().count(),
        "more checkbox tasks than lines"
    );
    let mut seen = HashSet::from([file_id]);
    for item in items {
        assert_eq!(item.content.kind, "item");
        assert!(item.external_id.starts_with(&format!("{file_id}#")));
        let parent = item.content.parent.as_deref().expect("items have a parent");
        assert!(
            seen.contains(&parent),
            "parent `{parent}` not listed before its child"
        );
        assert!(seen.insert(item.external_id.as_str()), "repeated id");
        assert!(item.content.title.len() <= text.len());
        // `<file id>#<slug>-<n>`: a slug grows at most twice its text when lowercased.
        assert!(item.external_id.len() <= file_id.len() + 2 * text.len() + 24);
    }
    // Linear in the input: ids and parents are at most the core's id limit (reading stops
    // after the first longer one), titles are disjoint parts of the text, and field values as
    // JSON text take at most 6 bytes per byte.
    let lines = text.lines().count();
    let limit = items.len() * (2 * MAX_ID_BYTES + 128) + 16 * text.len() + 64 * lines + 64;
    check_tasks("files", &tasks, "", limit);

    if !text.contains('\r') {
        let windows = text.replace('\n', "\r\n");
        assert_eq!(
            parse_markdown(ID, &windows),
            tasks,
            "the file reads differently with CRLF line ends"
        );
    }
});
