//! Reading a folder of Markdown files into a [`Listing`], and the [`ProviderClient`] over it.
//!
//! Invariants:
//! - Deterministic order: files are visited in order of their `/`-separated relative path, and
//!   each file's tasks keep document order, so two reads of an unchanged folder are equal.
//! - Stable ids: a file's id depends only on its front matter `id` or its relative path.
//! - Nothing is silently dropped: an unreadable or non-UTF-8 file or sub-folder, a file whose
//!   id repeats an earlier one, a file whose `status` is not a status word, a file whose front
//!   matter is never closed, and a `*.md` symbolic link whose target is missing are each left
//!   out, logged with `tracing::warn!`, returned as a [`FileProblem`] (the folder's warnings),
//!   and make the listing partial. So a typo never becomes a write (`status: frobnicated` is not
//!   read as `draft`, an unclosed front matter's `id` is not read as body text) and a left-out
//!   file never becomes a deletion; the file is synced again once it is fixed.
//! - Hidden entries (names starting with `.`) are skipped; symbolic links to folders are not
//!   followed (no cycles), symbolic links to files are read; anything else that is not a
//!   regular file (a named pipe, a socket, a device) is skipped, so a read never blocks.

use std::collections::HashSet;
use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use async_trait::async_trait;
use sync_core::{Listing, Millis, ProviderClient, ProviderError, Status};

use crate::error::{FileProblem, FsError, ProblemKind};
use crate::parse::{FileWarning, parse_file};

/// A folder of Markdown task files, read as one source. See the crate docs for the format.
#[derive(Clone, Debug)]
pub struct FolderSource {
    root: PathBuf,
    source: String,
}

impl FolderSource {
    /// A source named `source` (the name every task it lists carries) over the folder `root`.
    /// Nothing is read until [`FolderSource::read`].
    pub fn new(root: impl Into<PathBuf>, source: impl Into<String>) -> Self {
        FolderSource {
            root: root.into(),
            source: source.into(),
        }
    }

    /// The folder this source reads.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Reads every task of the folder. The listing is complete only if every file was read;
    /// use [`FolderSource::read_report`] to see which files were skipped and why.
    pub fn read(&self) -> Result<Listing, FsError> {
        self.read_report().map(|(listing, _)| listing)
    }

    /// Reads every task of the folder, returning the skipped files alongside the listing.
    /// Errors only when the root itself is missing, not a directory or unreadable.
    pub fn read_report(&self) -> Result<(Listing, Vec<FileProblem>), FsError> {
        let meta = fs::metadata(&self.root).map_err(|source| {
            if source.kind() == ErrorKind::NotFound {
                FsError::RootMissing {
                    path: self.root.clone(),
                }
            } else {
                FsError::Io {
                    path: self.root.clone(),
                    source,
                }
            }
        })?;
        if !meta.is_dir() {
            return Err(FsError::NotADirectory {
                path: self.root.clone(),
            });
        }

        let mut problems = Vec::new();
        let mut files = Vec::new();
        let top = fs::read_dir(&self.root).map_err(|source| FsError::Io {
            path: self.root.clone(),
            source,
        })?;
        collect_files(top, &self.root, "", &mut files, &mut problems);
        files.sort();

        let mut items = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        for (default_id, path) in files {
            let text = match fs::read(&path) {
                Ok(bytes) => match String::from_utf8(bytes) {
                    Ok(text) => text,
                    Err(_) => {
                        report(
                            &mut problems,
                            path,
                            ProblemKind::NotUtf8,
                            "file is not valid UTF-8".into(),
                        );
                        continue;
                    }
                },
                Err(err) => {
                    report(
                        &mut problems,
                        path,
                        ProblemKind::Io,
                        format!("cannot read file: {err}"),
                    );
                    continue;
                }
            };
            let modified = mtime_ms(&path);
            let (tasks, warnings) = parse_file(&default_id, &text);
            if !warnings.is_empty() {
                for warning in warnings {
                    let (kind, message) = describe(&warning);
                    report(&mut problems, path.clone(), kind, message);
                }
                continue;
            }
            if let Some(dup) = tasks.iter().find(|task| seen.contains(&task.external_id)) {
                let message = format!(
                    "task id `{}` is already used by an earlier file; file skipped",
                    dup.external_id
                );
                report(&mut problems, path, ProblemKind::DuplicateId, message);
                continue;
            }
            for mut task in tasks {
                seen.insert(task.external_id.clone());
                task.modified_at = modified;
                items.push(task);
            }
        }

        let listing = if problems.is_empty() {
            Listing::complete(self.source.clone(), items)
        } else {
            Listing::partial(self.source.clone(), items)
        };
        Ok((listing, problems))
    }
}

#[async_trait]
impl ProviderClient for FolderSource {
    fn name(&self) -> String {
        self.source.clone()
    }

    /// Reads the folder; the scope does not narrow it (one folder is one scope).
    async fn list(&self, _scope: String) -> Result<Listing, ProviderError> {
        self.read().map_err(|err| ProviderError::Rejected {
            provider: self.source.clone(),
            status: 0,
            message: err.to_string(),
        })
    }
}

/// The problem kind and message of a file warning.
fn describe(warning: &FileWarning) -> (ProblemKind, String) {
    match warning {
        FileWarning::UnknownStatus(word) => {
            let known: Vec<&str> = Status::ALL.iter().map(|s| s.as_str()).collect();
            let message = format!(
                "unknown status `{}` (expected {}, or a word such as Done or In Progress); \
                 file skipped",
                clip(word),
                known.join(", ")
            );
            (ProblemKind::UnknownStatus, message)
        }
        FileWarning::UnclosedFrontMatter => (
            ProblemKind::UnclosedFrontMatter,
            "front matter opened by `---` on the first line is never closed (end it with a \
             `---` line); file skipped"
                .into(),
        ),
    }
}

/// `s` cut to 60 characters, with an ellipsis when it was longer.
fn clip(s: &str) -> String {
    match s.char_indices().nth(60) {
        Some((at, _)) => format!("{}…", &s[..at]),
        None => s.to_owned(),
    }
}

fn report(problems: &mut Vec<FileProblem>, path: PathBuf, kind: ProblemKind, message: String) {
    tracing::warn!(path = %path.display(), ?kind, %message, "task file skipped; listing is partial");
    problems.push(FileProblem {
        path,
        kind,
        message,
    });
}

/// Walks `entries` (the contents of `dir`, whose relative path is `prefix`), collecting
/// `(relative id without .md, path)` of every visible `*.md` file.
fn collect_files(
    entries: fs::ReadDir,
    dir: &Path,
    prefix: &str,
    files: &mut Vec<(String, PathBuf)>,
    problems: &mut Vec<FileProblem>,
) {
    for entry in entries {
        let entry = match entry {
            Ok(entry) => entry,
            Err(err) => {
                report(
                    problems,
                    dir.to_owned(),
                    ProblemKind::Io,
                    format!("cannot list folder: {err}"),
                );
                continue;
            }
        };
        let path = entry.path();
        let name = entry.file_name();
        let Some(name) = name.to_str() else {
            if !name.as_encoded_bytes().starts_with(b".") {
                report(
                    problems,
                    path,
                    ProblemKind::NotUtf8,
                    "file name is not valid UTF-8".into(),
                );
            }
            continue;
        };
        if name.starts_with('.') {
            continue;
        }
        let file_type = match entry.file_type() {
            Ok(file_type) => file_type,
            Err(err) => {
                report(
                    problems,
                    path,
                    ProblemKind::Io,
                    format!("cannot inspect entry: {err}"),
                );
                continue;
            }
        };
        let rel = if prefix.is_empty() {
            name.to_owned()
        } else {
            format!("{prefix}/{name}")
        };
        if file_type.is_dir() {
            match fs::read_dir(&path) {
                Ok(sub) => collect_files(sub, &path, &rel, files, problems),
                Err(err) => report(
                    problems,
                    path,
                    ProblemKind::Io,
                    format!("cannot list folder: {err}"),
                ),
            }
            continue;
        }
        let Some(id) = rel.strip_suffix(".md") else {
            continue;
        };
        if id.ends_with('/') || id.is_empty() {
            continue;
        }
        if file_type.is_symlink() {
            match fs::metadata(&path) {
                Ok(meta) if meta.is_file() => {}
                Ok(_) => {
                    tracing::debug!(path = %path.display(), "skipping symlink that is not a file");
                    continue;
                }
                Err(err) if err.kind() == ErrorKind::NotFound => {
                    let target = fs::read_link(&path)
                        .map(|t| format!(" `{}`", t.display()))
                        .unwrap_or_default();
                    let message = format!("symbolic link to{target}, which does not exist");
                    report(problems, path, ProblemKind::DanglingLink, message);
                    continue;
                }
                Err(err) => {
                    let message = format!("cannot follow symbolic link: {err}");
                    report(problems, path, ProblemKind::Io, message);
                    continue;
                }
            }
        } else if !file_type.is_file() {
            // Only regular files (or links to one): reading a named pipe would wait forever.
            tracing::debug!(path = %path.display(), "skipping an entry that is not a regular file");
            continue;
        }
        files.push((id.to_owned(), path));
    }
}

fn mtime_ms(path: &Path) -> Option<Millis> {
    let modified = fs::metadata(path).and_then(|m| m.modified()).ok()?;
    let ms = modified.duration_since(UNIX_EPOCH).ok()?.as_millis();
    Millis::try_from(ms).ok()
}
