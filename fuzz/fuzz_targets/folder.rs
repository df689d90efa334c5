//! The folder walk over fuzzed folders: files (Markdown or not, UTF-8 or not, hidden, nested),
//! sub-folders, symbolic links and named pipes. The walk never panics or hangs, reports every
//! skipped file (the listing is complete exactly when nothing was skipped), lists each id once,
//! stamps every task with its file's time, and reads an unchanged folder the same twice.
//!
//! Input: entries separated by NUL bytes; an entry is `path\ncontent` (a file), `path/` (a
//! folder), `path -> target` (a symbolic link) or `path|` (a named pipe). Paths are kept
//! inside a scratch folder.
#![no_main]

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use libfuzzer_sys::fuzz_target;
use sync_fs::FolderSource;

/// A relative path made of plain name characters, at most four levels deep.
fn clean(path: &[u8]) -> Option<PathBuf> {
    let text = String::from_utf8_lossy(path);
    let parts: Vec<String> = text
        .split('/')
        .map(|part| {
            part.chars()
                .filter(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | ' '))
                .take(40)
                .collect::<String>()
        })
        .filter(|part| !part.is_empty() && part != "." && part != "..")
        .take(4)
        .collect();
    (!parts.is_empty()).then(|| parts.iter().collect())
}

/// Whether `path` may be created: nothing is there yet (writing into a named pipe made by an
/// earlier entry would wait forever).
fn vacant(path: &Path) -> bool {
    path.symlink_metadata().is_err()
}

fn build(root: &Path, data: &[u8]) {
    for entry in data.split(|b| *b == 0).take(32) {
        if let Some(pos) = entry.iter().position(|b| *b == b'\n') {
            let Some(path) = clean(&entry[..pos]) else {
                continue;
            };
            let path = root.join(path);
            if let Some(dir) = path.parent() {
                let _ = std::fs::create_dir_all(dir);
            }
            if vacant(&path) {
                let _ = std::fs::write(&path, &entry[pos + 1..]);
            }
        } else if let Some(name) = entry.strip_suffix(b"|") {
            let Some(path) = clean(name) else {
                continue;
            };
            let path = root.join(path);
            if let Some(dir) = path.parent() {
                let _ = std::fs::create_dir_all(dir);
            }
            let _ = std::process::Command::new("mkfifo").arg(&path).status();
        } else if let Some(link) = entry.windows(4).position(|w| w == b" -> ") {
            let (Some(path), Some(target)) = (clean(&entry[..link]), clean(&entry[link + 4..]))
            else {
                continue;
            };
            let path = root.join(path);
            if let Some(dir) = path.parent() {
                let _ = std::fs::create_dir_all(dir);
            }
            let _ = std::os::unix::fs::symlink(root.join(target), &path);
        } else if let Some(path) = clean(entry) {
            let _ = std::fs::create_dir_all(root.join(path));
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let root = std::env::temp_dir().join(format!("tasksync-fuzz-folder-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).expect("scratch folder");
    build(&root, data);

    let source = FolderSource::new(&root, "files");
    let (listing, problems) = source.read_report().expect("the root is a readable folder");
    assert_eq!(
        listing.complete,
        problems.is_empty(),
        "complete must mean nothing was skipped: {problems:?}"
    );
    let mut ids = HashSet::new();
    for task in &listing.items {
        assert!(
            ids.insert(task.external_id.as_str()),
            "id `{}` listed twice",
            task.external_id
        );
        assert!(task.modified_at.is_some(), "task without its file's time");
    }
    let (again, problems_again) = source.read_report().expect("second read");
    assert_eq!(again, listing, "an unchanged folder read differently");
    assert_eq!(problems_again, problems);
    let _ = std::fs::remove_dir_all(&root);
});
