//! The Markdown folder source (binds `sync_fs`): `new FolderSource(root, source)` with
//! `read()` (the listing), `readReport()` (the listing and the files left out) and
//! `provider()` (the folder as a `Provider`, for a Puller or a sync).
//!
//! Invariants:
//! - Every rule of the format (ids, statuses, which files are left out and why) is
//!   `sync_fs`'s; the listing crosses in the core's serde form, the same JSON every host prints.
//! - Reading runs on a blocking thread of the runtime, never on the JS thread.
//! - A missing root or a root that is not a folder is `invalid_input` naming it; a folder that
//!   cannot be read is a `store` error.

use std::sync::Arc;

use napi::Env;
use napi::bindgen_prelude::PromiseRaw;
use napi_derive::napi;
use serde::Serialize;
use sync_core::Listing;
use sync_fs::{FileProblem, FolderSource as CoreFolder, FsError};

use crate::error::{core, guard, to_json};
use crate::provider::Provider;

/// A folder of Markdown task files, read as one source.
#[napi]
#[derive(Debug)]
pub struct FolderSource {
    inner: Arc<CoreFolder>,
}

/// A left-out file as JS sees it.
#[derive(Serialize)]
struct Problem {
    path: String,
    kind: &'static str,
    message: String,
}

impl From<FileProblem> for Problem {
    fn from(p: FileProblem) -> Self {
        Problem {
            path: p.path.display().to_string(),
            kind: p.kind.as_str(),
            message: p.message,
        }
    }
}

#[derive(Serialize)]
struct Report {
    listing: Listing,
    problems: Vec<Problem>,
}

fn fs_error(err: FsError) -> napi::Error {
    match err {
        FsError::RootMissing { .. } | FsError::NotADirectory { .. } => {
            core(sync_core::Error::invalid_input(format!("root: {err}")))
        }
        other => core(sync_core::Error::Store(other.to_string())),
    }
}

async fn read_report(folder: Arc<CoreFolder>) -> napi::Result<(Listing, Vec<FileProblem>)> {
    tokio::task::spawn_blocking(move || folder.read_report())
        .await
        .map_err(|e| core(sync_core::Error::internal(format!("folder read: {e}"))))?
        .map_err(fs_error)
}

#[napi]
impl FolderSource {
    /// A source named `source` (the name its tasks carry) over the folder `root`; nothing is
    /// read until `read` or `readReport`.
    #[napi(constructor)]
    pub fn new(root: String, source: String) -> Self {
        FolderSource {
            inner: Arc::new(CoreFolder::new(root, source)),
        }
    }

    /// Reads every task of the folder; resolves the `Listing` JSON (partial when a file was
    /// left out).
    #[napi]
    pub fn read<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, String>> {
        let folder = self.inner.clone();
        env.spawn_future(guard(async move {
            let (listing, _) = read_report(folder).await?;
            to_json(&listing)
        }))
    }

    /// Reads every task; resolves `{listing, problems: [{path, kind, message}]}` JSON.
    #[napi]
    pub fn read_report<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, String>> {
        let folder = self.inner.clone();
        env.spawn_future(guard(async move {
            let (listing, problems) = read_report(folder).await?;
            to_json(&Report {
                listing,
                problems: problems.into_iter().map(Problem::from).collect(),
            })
        }))
    }

    /// The folder as a provider (`list(scope)` reads it; a push is refused).
    #[napi]
    pub fn provider(&self) -> Provider {
        Provider {
            inner: self.inner.clone(),
            refresher: None,
            builtin: true,
        }
    }
}
