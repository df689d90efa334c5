//! Reading folders: order, stable ids, mtimes, partial listings, errors, the provider trait.

use std::collections::HashSet;
use std::fs;
use std::path::Path;

use sync_core::{ProviderClient, ProviderError, Status};
use sync_fs::{FolderSource, FsError, ProblemKind};

fn write(root: &Path, rel: &str, text: impl AsRef<[u8]>) {
    let path = root.join(rel);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

fn sample() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "b.md", "# B\n- [ ] one\n");
    write(root, "a/z.md", "---\nid: custom\n---\n# Z\n");
    write(root, "a/y.md", "# Y\n");
    write(root, "notes.txt", "- [ ] not markdown\n");
    write(root, ".hidden.md", "# hidden\n");
    write(root, ".git/x.md", "# hidden dir\n");
    dir
}

#[test]
fn reads_recursively_sorted_skipping_hidden() {
    let dir = sample();
    let source = FolderSource::new(dir.path(), "files");
    let (listing, problems) = source.read_report().unwrap();
    assert!(problems.is_empty());
    assert!(listing.complete);
    assert_eq!(listing.source, "files");
    let ids: Vec<&str> = listing
        .items
        .iter()
        .map(|t| t.external_id.as_str())
        .collect();
    assert_eq!(ids, vec!["a/y", "custom", "b", "b#one"]);
    assert!(
        listing
            .items
            .iter()
            .all(|t| t.modified_at.is_some_and(|m| m > 0))
    );
}

#[test]
fn modified_at_is_file_mtime() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "t.md", "- [ ] x\n");
    let expected = fs::metadata(dir.path().join("t.md"))
        .unwrap()
        .modified()
        .unwrap()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let listing = FolderSource::new(dir.path(), "files").read().unwrap();
    assert!(
        listing
            .items
            .iter()
            .all(|t| t.modified_at == Some(expected))
    );
}

#[test]
fn stable_across_reads() {
    let dir = sample();
    let source = FolderSource::new(dir.path(), "files");
    assert_eq!(source.read().unwrap(), source.read().unwrap());
}

#[test]
fn non_utf8_file_makes_listing_partial() {
    let dir = sample();
    write(dir.path(), "broken.md", b"# Bad \xff\xfe bytes\n");
    let (listing, problems) = FolderSource::new(dir.path(), "files")
        .read_report()
        .unwrap();
    assert!(!listing.complete);
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].kind, ProblemKind::NotUtf8);
    assert!(problems[0].path.ends_with("broken.md"));
    assert!(problems[0].to_string().contains("broken.md"));
    // The other files are still listed.
    assert_eq!(listing.items.len(), 4);
    // `read` agrees.
    assert!(
        !FolderSource::new(dir.path(), "files")
            .read()
            .unwrap()
            .complete
    );
}

#[test]
fn duplicate_file_id_skips_later_file_and_is_partial() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.md", "---\nid: same\n---\n");
    write(dir.path(), "b.md", "---\nid: same\n---\n");
    let (listing, problems) = FolderSource::new(dir.path(), "files")
        .read_report()
        .unwrap();
    assert!(!listing.complete);
    assert_eq!(listing.items.len(), 1);
    assert_eq!(problems[0].kind, ProblemKind::DuplicateId);
    assert!(problems[0].path.ends_with("b.md"));
}

#[test]
fn missing_root_and_file_root_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope");
    let err = FolderSource::new(&missing, "files").read().unwrap_err();
    assert!(matches!(err, FsError::RootMissing { .. }), "{err:?}");
    assert!(err.to_string().contains("nope"), "{err}");

    write(dir.path(), "file.md", "# x\n");
    let err = FolderSource::new(dir.path().join("file.md"), "files")
        .read()
        .unwrap_err();
    assert!(matches!(err, FsError::NotADirectory { .. }), "{err:?}");
    assert!(err.to_string().contains("file.md"), "{err}");
}

#[test]
fn provider_client_lists_and_rejects_missing_root() {
    let dir = sample();
    let source = FolderSource::new(dir.path(), "files");
    assert_eq!(source.name(), "files");
    let listing = futures::executor::block_on(source.list("project".into())).unwrap();
    assert_eq!(listing, source.read().unwrap());

    let missing = FolderSource::new(dir.path().join("gone"), "files");
    let err = futures::executor::block_on(missing.list("project".into())).unwrap_err();
    match err {
        ProviderError::Rejected {
            provider,
            status,
            message,
        } => {
            assert_eq!(provider, "files");
            assert_eq!(status, 0);
            assert!(
                message.contains("gone") && message.contains("does not exist"),
                "{message}"
            );
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn example_folder() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/tasks");
    let (listing, problems) = FolderSource::new(&root, "files").read_report().unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    assert!(listing.complete);
    assert_eq!(listing.items.len(), 28);
    let ids: HashSet<&str> = listing
        .items
        .iter()
        .map(|t| t.external_id.as_str())
        .collect();
    assert_eq!(ids.len(), listing.items.len(), "external ids are unique");

    let files: Vec<_> = listing
        .items
        .iter()
        .filter(|t| t.content.kind != "item")
        .collect();
    assert_eq!(files.len(), 5);
    let pending: Vec<&str> = files
        .iter()
        .filter(|t| t.content.status != Some(Status::Draft))
        .map(|t| t.external_id.as_str())
        .collect();
    assert_eq!(pending, vec!["story-2-3-status-sync"]);
    assert_eq!(
        files
            .iter()
            .filter(|t| t.content.status == Some(Status::Pending))
            .count(),
        1
    );
    assert!(files.iter().any(|t| t.content.kind == "epic"));
    let completed = listing
        .items
        .iter()
        .filter(|t| t.content.status == Some(Status::Completed))
        .count();
    assert_eq!(completed, 3);
    // Every parent refers to a listed task.
    for task in &listing.items {
        if let Some(parent) = &task.content.parent {
            assert!(
                ids.contains(parent.as_str()),
                "{} -> {parent}",
                task.external_id
            );
        }
    }
}

/// The ids of a listing, in order.
fn ids(listing: &sync_core::Listing) -> Vec<&str> {
    listing
        .items
        .iter()
        .map(|t| t.external_id.as_str())
        .collect()
}

#[test]
fn unknown_status_is_a_warning_naming_file_and_word_and_the_file_is_left_out() {
    for text in [
        "---\nstatus: frobnicated\n---\n# Odd\n- [ ] child\n",
        "# Odd\n- **Status**: frobnicated\n- [ ] child\n",
    ] {
        let dir = sample();
        write(dir.path(), "odd.md", text);
        let (listing, problems) = FolderSource::new(dir.path(), "files")
            .read_report()
            .unwrap();
        assert!(!listing.complete, "{text}");
        assert_eq!(ids(&listing), vec!["a/y", "custom", "b", "b#one"]);
        assert_eq!(problems.len(), 1, "{problems:?}");
        let problem = &problems[0];
        assert_eq!(problem.kind, ProblemKind::UnknownStatus);
        assert_eq!(problem.kind.as_str(), "unknown_status");
        assert!(problem.path.ends_with("odd.md"));
        let shown = problem.to_string();
        assert!(shown.contains("odd.md"), "{shown}");
        assert!(shown.contains("`frobnicated`"), "{shown}");
        assert!(shown.contains("in_progress"), "{shown}");
    }
}

#[test]
fn a_long_unknown_status_is_clipped_in_the_warning() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "t.md",
        format!("---\nstatus: {}\n---\n", "x".repeat(5_000)),
    );
    let (_, problems) = FolderSource::new(dir.path(), "files")
        .read_report()
        .unwrap();
    assert_eq!(problems[0].kind, ProblemKind::UnknownStatus);
    assert!(problems[0].message.len() < 400, "{}", problems[0].message);
}

#[test]
fn unclosed_front_matter_is_a_warning_and_the_file_is_left_out() {
    let dir = sample();
    write(
        dir.path(),
        "open.md",
        "---\nid: x\nstatus: pending\n# Open\n- [ ] item\n",
    );
    let (listing, problems) = FolderSource::new(dir.path(), "files")
        .read_report()
        .unwrap();
    assert!(!listing.complete);
    assert_eq!(ids(&listing), vec!["a/y", "custom", "b", "b#one"]);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].kind, ProblemKind::UnclosedFrontMatter);
    assert!(problems[0].path.ends_with("open.md"));
    assert!(
        problems[0].to_string().contains("never closed"),
        "{}",
        problems[0]
    );
}

#[test]
fn a_file_that_is_only_a_front_matter_opener_is_unclosed() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "t.md", "---");
    let (listing, problems) = FolderSource::new(dir.path(), "files")
        .read_report()
        .unwrap();
    assert!(listing.items.is_empty());
    assert_eq!(problems[0].kind, ProblemKind::UnclosedFrontMatter);
}

#[test]
fn dangling_symlink_is_a_warning_naming_link_and_target() {
    let dir = sample();
    std::os::unix::fs::symlink(dir.path().join("gone.md"), dir.path().join("link.md")).unwrap();
    std::os::unix::fs::symlink(dir.path().join("b.md"), dir.path().join("alias.md")).unwrap();
    let (listing, problems) = FolderSource::new(dir.path(), "files")
        .read_report()
        .unwrap();
    assert!(!listing.complete);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].kind, ProblemKind::DanglingLink);
    assert_eq!(problems[0].kind.as_str(), "dangling_link");
    assert!(problems[0].path.ends_with("link.md"));
    let shown = problems[0].to_string();
    assert!(
        shown.contains("link.md") && shown.contains("gone.md"),
        "{shown}"
    );
    // A link to a file is read as that file, under the link's own path.
    assert_eq!(
        ids(&listing),
        vec!["a/y", "custom", "alias", "alias#one", "b", "b#one"]
    );
}

#[test]
fn a_left_out_file_is_neither_changed_nor_deleted_by_a_sync() {
    use std::sync::Arc;
    use sync_core::{MemoryStore, Policy, SyncEngine};

    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "a.md",
        "---\nstatus: draft\n---\n# A\n- [ ] one\n",
    );
    write(dir.path(), "b.md", "# B\n");
    let engine = SyncEngine::new(Arc::new(MemoryStore::new()));
    let source = FolderSource::new(dir.path(), "files");
    let policy = Policy::all_writable();
    futures::executor::block_on(async {
        let plan = engine
            .preview("p", &source.read().unwrap(), &policy)
            .await
            .unwrap();
        assert_eq!(plan.creates.len(), 3);
        engine.execute(&plan, true).await.unwrap();

        for broken in [
            "---\nstatus: frobnicated\n---\n# A renamed\n",
            "---\nstatus: draft\n# A renamed\n",
        ] {
            write(dir.path(), "a.md", broken);
            let listing = source.read().unwrap();
            assert!(!listing.complete);
            let plan = engine.preview("p", &listing, &policy).await.unwrap();
            assert!(plan.deletes.is_empty(), "{plan:?}");
            assert!(plan.updates.is_empty(), "{plan:?}");
            assert!(plan.creates.is_empty(), "{plan:?}");
        }
    });
}
