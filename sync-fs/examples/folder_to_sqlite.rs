//! Syncs a folder of Markdown task files into an SQLite hub: preview (read-only), execute
//! (atomic), verify, then a second preview that finds nothing to do; an edited file then shows up
//! as a field-level update.
//!
//! ```sh
//! cargo run -p sync-fs --example folder_to_sqlite [FOLDER]   # default: examples/tasks
//! ```
//!
//! The folder is only read: its files are copied into a temporary directory, which also holds
//! the hub database, and which is removed at the end. Exits non-zero when anything is wrong.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use sync_core::{Policy, SyncEngine};
use sync_fs::FolderSource;
use sync_sqlite::SqliteStore;

type Failure = Box<dyn std::error::Error>;

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

fn check(ok: bool, what: &str) -> Result<(), Failure> {
    if ok { Ok(()) } else { Err(what.into()) }
}

fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Failure> {
    let folder = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/tasks"));
    let work = tempfile::tempdir()?;
    let tasks = work.path().join("tasks");
    copy_dir(&folder, &tasks).map_err(|e| format!("cannot copy {}: {e}", folder.display()))?;

    let store = Arc::new(SqliteStore::open(work.path().join("hub.db"))?);
    let engine = SyncEngine::new(store);
    let source = FolderSource::new(&tasks, "files");
    let policy = Policy::default(); // writes only `draft` tasks; creates every new one

    futures::executor::block_on(async {
        // The folder's warnings (files left out, and why) come with the listing.
        let (listing, warnings) = source.read_report()?;
        for warning in &warnings {
            println!("warning [{}]: {warning}", warning.kind);
        }
        println!(
            "read {} tasks from {} ({})",
            listing.items.len(),
            folder.display(),
            if listing.complete {
                "complete"
            } else {
                "partial: nothing will be deleted"
            }
        );

        let plan = engine.preview("project-1", &listing, &policy).await?;
        let n = &plan.counts;
        println!(
            "preview: {} to create, {} to update, {} to delete (token {})",
            n.creates, n.updates, n.deletes, plan.token
        );
        let report = engine.execute(&plan, /* confirmed */ true).await?;
        println!(
            "executed: {} created, scope version {}",
            report.created, report.scope_version
        );
        check(
            report.created == listing.items.len(),
            "every listed task is created",
        )?;

        let verified = engine.verify("project-1", &listing).await?;
        println!(
            "verify: {} ({} listed, {} in the hub)",
            if verified.consistent {
                "consistent"
            } else {
                "NOT consistent"
            },
            verified.source_count,
            verified.hub_count
        );
        check(
            verified.consistent,
            "the hub matches the folder after the sync",
        )?;

        let again = engine
            .preview("project-1", &source.read()?, &policy)
            .await?;
        println!(
            "second preview: {} unchanged, nothing to do",
            again.counts.unchanged
        );
        check(again.is_empty(), "a second preview is empty")?;

        // A new file, synced, then edited: the next preview shows exactly the changed field.
        let file = tasks.join("added-by-the-example.md");
        std::fs::write(
            &file,
            "---\nid: example\nestimate: 2\n---\n# Added by the example\n",
        )?;
        let plan = engine
            .preview("project-1", &source.read()?, &policy)
            .await?;
        check(plan.creates.len() == 1, "the new file is one create")?;
        engine.execute(&plan, true).await?;
        std::fs::write(
            &file,
            "---\nid: example\nestimate: 3\n---\n# Added by the example\n",
        )?;
        let plan = engine
            .preview("project-1", &source.read()?, &policy)
            .await?;
        let update = plan.updates.first().ok_or("the edit shows as an update")?;
        for change in &update.changes {
            println!(
                "update of `{}`: {} {} -> {}",
                update.external_id, change.field, change.before, change.after
            );
        }
        check(
            plan.updates.len() == 1 && update.changes.len() == 1,
            "one field changed",
        )?;
        engine.execute(&plan, true).await?;
        println!("done");
        Ok(())
    })
}
