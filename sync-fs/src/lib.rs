//! tasksync's filesystem source: a folder of Markdown files, one task per file plus one child
//! task per checkbox.
//!
//! # Format
//!
//! - Every `*.md` file under the folder (recursively; hidden files and folders skipped) is one
//!   task. Files are read in order of their relative path.
//! - The file task's external id is the front matter `id`, else the path relative to the root
//!   without `.md`, with `/` separators (`phases/phase-2`).
//! - Optional front matter between `---` lines at the very top, one `key: value` per line:
//!   `id`, `title`, `kind` (default `task`), `status`, `parent`; every other key becomes a
//!   field (integers and decimals as JSON numbers, everything else as a string). A file whose
//!   first line is `---` but which has no closing `---` line is left out (see below).
//! - Bullet lines `- **Key**: value` (or `- **Key:** value`) in the body are read like front
//!   matter keys (the key lowercased, spaces as `_`); front matter wins over them.
//! - The title is the front matter `title`, else the first `# ` heading, else the file name.
//! - Status words: the snake_case [`sync_core::Status`] names, plus case-insensitive `Pending`,
//!   `In Progress` / `in-progress`, `Done` / `Complete` / `Completed`, `Draft`,
//!   `Cancelled` / `Canceled`, `Blocked` (see [`parse_status`]). A file without a status is
//!   `draft`; a file whose status is another word is left out (see below).
//! - Every checkbox `- [ ] text` / `- [x] text` (or `* `, any indentation) is a child task of
//!   kind `item`, titled with its text, `completed` when checked and `draft` otherwise. Its
//!   external id is `<file id>#<slug>` (the text lowercased, non-alphanumerics collapsed to
//!   `-`); repeats in one file get `-2`, `-3`, ... A checkbox's parent is the nearest
//!   less-indented checkbox above it, or the file task.
//! - Headings, checkboxes and metadata inside fenced code blocks are ignored.
//! - Every task's `modified_at` is the file's modification time in milliseconds.
//!
//! # Warnings
//!
//! [`FolderSource::read_report`] returns, next to the listing, one [`FileProblem`] per file or
//! sub-folder left out, naming its path, its [`ProblemKind`] (`as_str` gives a stable name)
//! and what is wrong: unreadable, not UTF-8, an id already used, an unknown status word (named
//! in the message), front matter never closed, a dangling symbolic link. Each is also logged
//! with `tracing::warn!`. Any problem makes the listing partial: the file's tasks are neither
//! written nor deleted until it is fixed.
//!
//! # Example
//!
//! A file `phases/phase-2.md`:
//!
//! ```text
//! ---
//! id: phase-2
//! status: draft
//! estimate: 2
//! ---
//! # Phase 2: Backend Sync Enhancement
//!
//! - **Duration**: 2 hours
//!
//! - [x] Enhance sync-manual endpoint validation
//! - [ ] Add rollback capability
//!   - [ ] Rollback on partial failure
//! ```
//!
//! yields four tasks:
//!
//! | external id | kind | status | parent | title |
//! |---|---|---|---|---|
//! | `phase-2` | `task` | draft | – | Phase 2: Backend Sync Enhancement |
//! | `phase-2#enhance-sync-manual-endpoint-validation` | `item` | completed | `phase-2` | Enhance sync-manual endpoint validation |
//! | `phase-2#add-rollback-capability` | `item` | draft | `phase-2` | Add rollback capability |
//! | `phase-2#rollback-on-partial-failure` | `item` | draft | `phase-2#add-rollback-capability` | Rollback on partial failure |
//!
//! and `phase-2` carries the fields `estimate: 2` and `duration: "2 hours"`.
//!
//! ```
//! use sync_fs::parse_markdown;
//!
//! let tasks = parse_markdown("notes", "# Notes\n- [ ] One\n  - [x] Two\n");
//! assert_eq!(tasks.len(), 3);
//! assert_eq!(tasks[2].external_id, "notes#two");
//! assert_eq!(tasks[2].content.parent.as_deref(), Some("notes#one"));
//! ```
//!
//! # Modules
//!
//! - `parse`: one file's text to tasks (pure).
//! - `folder`: walking the folder, reporting skipped files, the [`sync_core::ProviderClient`].
//! - `error`: [`FsError`] (the folder as a whole failed) and [`FileProblem`] (one file skipped).

#![deny(missing_docs)]

mod error;
mod folder;
mod parse;

/// The repository README's Rust snippets, compiled and run as this crate's doctests (its
/// dev-dependencies have what they need: the SQLite store, an executor, a tokio runtime), so
/// they cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeSnippets;

pub use error::{FileProblem, FsError, ProblemKind};
pub use folder::FolderSource;
pub use parse::{parse_markdown, parse_status, slugify};
