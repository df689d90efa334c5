//! Errors and per-file problems of reading a task folder.
//!
//! Invariant: every message names the path it is about, so a log line alone says which file or
//! folder to look at.

use std::fmt;
use std::path::PathBuf;

/// A failure that stops the whole folder from being read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FsError {
    /// The root folder does not exist.
    #[error("task folder `{}` does not exist", path.display())]
    RootMissing {
        /// The configured root.
        path: PathBuf,
    },
    /// The root exists but is not a directory.
    #[error("task folder `{}` is not a directory", path.display())]
    NotADirectory {
        /// The configured root.
        path: PathBuf,
    },
    /// The root could not be inspected or listed.
    #[error("cannot read task folder `{}`: {source}", path.display())]
    Io {
        /// The path that failed.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

/// Why one file or sub-folder was left out of a listing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProblemKind {
    /// The file or sub-folder could not be read.
    Io,
    /// The file's contents or its path are not valid UTF-8.
    NotUtf8,
    /// The file's task id was already used by an earlier file (in path order).
    DuplicateId,
    /// The file's `status` is not a status word (a typo would otherwise become `draft`).
    UnknownStatus,
    /// The file opens front matter with `---` on its first line and never closes it (its
    /// `id`, `status`, ... would otherwise be read as body text).
    UnclosedFrontMatter,
    /// A symbolic link named `*.md` whose target does not exist.
    DanglingLink,
}

impl ProblemKind {
    /// The stable snake_case name of the kind, for hosts and bindings.
    pub fn as_str(self) -> &'static str {
        match self {
            ProblemKind::Io => "io",
            ProblemKind::NotUtf8 => "not_utf8",
            ProblemKind::DuplicateId => "duplicate_id",
            ProblemKind::UnknownStatus => "unknown_status",
            ProblemKind::UnclosedFrontMatter => "unclosed_front_matter",
            ProblemKind::DanglingLink => "dangling_link",
        }
    }
}

impl fmt::Display for ProblemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A file (or sub-folder) that was left out of the listing: the folder's warnings, returned
/// with the listing by [`crate::FolderSource::read_report`] (and logged) so every host can
/// show them. Any problem makes the listing partial, so a sync never deletes because of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileProblem {
    /// The path of the skipped file or sub-folder.
    pub path: PathBuf,
    /// The class of problem.
    pub kind: ProblemKind,
    /// A human-readable description.
    pub message: String,
}

impl fmt::Display for FileProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.message)
    }
}
