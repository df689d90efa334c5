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
}

/// A file (or sub-folder) that was skipped; any problem makes the listing partial.
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
