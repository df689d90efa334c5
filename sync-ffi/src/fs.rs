//! The Markdown folder source (mirrors `sync_fs`): [`FolderSource`] reads a folder of task
//! files into a listing with the files it left out ([`FolderReport`]), and is a provider
//! (`provider()`: list reads the folder, push is refused).
//!
//! Invariants: the listing is the core's; `listing_json` is its serde form, the same JSON
//! every host prints for the same folder; a problem makes the listing partial (a sync never
//! deletes because of it). A root that is missing or not a folder is `InvalidInput` naming
//! it, a folder that cannot be read `Store`.

use std::sync::Arc;

use crate::error::{TasksyncError, guard};
use crate::model::Listing;
use crate::provider::Provider;
use crate::providers::BuiltinProvider;

/// A file or sub-folder left out of a listing.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct FileProblem {
    /// Its path.
    pub path: String,
    /// The class: `io`, `not_utf8`, `duplicate_id`, `unknown_status`,
    /// `unclosed_front_matter` or `dangling_link`.
    pub kind: String,
    /// What is wrong, naming the file.
    pub message: String,
}

/// A folder's listing and the files it left out.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct FolderReport {
    /// The listing.
    pub listing: Listing,
    /// The listing in the core's JSON form (`{"source", "items", "complete"}`).
    pub listing_json: String,
    /// The files left out (none: the listing is complete).
    pub problems: Vec<FileProblem>,
}

/// A folder of Markdown task files as a source.
#[derive(uniffi::Object)]
pub struct FolderSource(Arc<sync_fs::FolderSource>);

impl std::fmt::Debug for FolderSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("FolderSource").field(&self.0.root()).finish()
    }
}

fn fs_error(err: sync_fs::FsError) -> TasksyncError {
    let detail = err.to_string();
    match err {
        sync_fs::FsError::Io { .. } => TasksyncError::Store { detail },
        _ => TasksyncError::InvalidInput { detail },
    }
}

#[uniffi::export]
impl FolderSource {
    /// The folder at `root`, its tasks listed under `source` (default `files`). Nothing is
    /// read until `read_report` or a listing.
    #[uniffi::constructor(default(source = "files"))]
    pub fn new(root: String, source: String) -> Arc<Self> {
        Arc::new(FolderSource(Arc::new(sync_fs::FolderSource::new(
            root, source,
        ))))
    }

    /// Reads the folder: its listing (partial when a file was left out) and the problems.
    pub fn read_report(&self) -> Result<FolderReport, TasksyncError> {
        guard(|| {
            let (listing, problems) = self.0.read_report().map_err(fs_error)?;
            let listing_json =
                serde_json::to_string(&listing).map_err(|e| TasksyncError::Internal {
                    detail: format!("listing not serialisable: {e}"),
                })?;
            Ok(FolderReport {
                listing: (&listing).into(),
                listing_json,
                problems: problems
                    .into_iter()
                    .map(|p| FileProblem {
                        path: p.path.display().to_string(),
                        kind: p.kind.as_str().to_owned(),
                        message: p.message,
                    })
                    .collect(),
            })
        })
    }

    /// The folder as a provider (for a puller, `list_from`, `preview_from`): listing reads
    /// the folder, whatever the scope; pushing is refused.
    pub fn provider(&self) -> Arc<dyn Provider> {
        BuiltinProvider::wrap(self.0.clone())
    }
}
