//! The history queries: which runs, items and audit entries to list, the cursor of a
//! newest-first listing, and one page of results.
//!
//! Invariant: a query is checked before any store sees it (page limit within
//! [`MAX_LIMIT`], ids within the [`limits`](crate::limits)), and a cursor prints and parses as
//! the same `at:id` token in every host.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::model::Millis;

use super::model::{AuditEntry, Run};
use crate::state::{RunKind, RunStatus};

/// A position in a newest-first listing (runs, audit entries): the last row seen.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Cursor {
    /// The row's time (`started_at` of a run, `at` of an audit entry).
    pub at: Millis,
    /// The row's id (ties on time are ordered by id, descending).
    pub id: String,
}

impl Cursor {
    /// Whether a row at (`at`, `id`) comes after this cursor in newest-first order.
    pub fn precedes(&self, at: Millis, id: &str) -> bool {
        at < self.at || (at == self.at && id < self.id.as_str())
    }
}

/// Printed as `at:id`, the opaque token a CLI or HTTP client passes back.
impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.at, self.id)
    }
}

impl FromStr for Cursor {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || {
            Error::invalid_input(format!(
                "`{}` is not a history cursor (use the `next` value of a previous page)",
                crate::error::clip(s)
            ))
        };
        let (at, id) = s.split_once(':').ok_or_else(bad)?;
        let at = at.parse().map_err(|_| bad())?;
        if id.is_empty() {
            return Err(bad());
        }
        Ok(Cursor {
            at,
            id: id.to_owned(),
        })
    }
}

/// The largest page a query may ask for.
pub const MAX_LIMIT: usize = 1_000;
/// The page size when none is given.
pub const DEFAULT_LIMIT: usize = 50;

fn check_limit(limit: usize) -> Result<(), Error> {
    if limit == 0 || limit > MAX_LIMIT {
        return Err(Error::invalid_input(format!(
            "a page limit must be between 1 and {MAX_LIMIT}, got {limit}"
        )));
    }
    Ok(())
}

fn check_optional_id(what: &str, id: Option<&str>) -> Result<(), Error> {
    id.map_or(Ok(()), |id| {
        crate::limits::check_len(what, id, crate::limits::MAX_ID_BYTES)
    })
}

fn check_cursor(cursor: Option<&Cursor>) -> Result<(), Error> {
    check_optional_id("cursor", cursor.map(|c| c.id.as_str()))
}

/// Which runs to list, newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunQuery {
    /// Only runs with this status.
    #[serde(default)]
    pub status: Option<RunStatus>,
    /// Only runs of this kind.
    #[serde(default)]
    pub kind: Option<RunKind>,
    /// Only runs of this scope.
    #[serde(default)]
    pub scope: Option<String>,
    /// Only runs started at or after this time.
    #[serde(default)]
    pub since: Option<Millis>,
    /// Only runs started before this time.
    #[serde(default)]
    pub until: Option<Millis>,
    /// Continue after this position (the `next` of the previous page).
    #[serde(default)]
    pub after: Option<Cursor>,
    /// At most this many runs (1 to [`MAX_LIMIT`]).
    pub limit: usize,
}

impl Default for RunQuery {
    fn default() -> Self {
        RunQuery {
            status: None,
            kind: None,
            scope: None,
            since: None,
            until: None,
            after: None,
            limit: DEFAULT_LIMIT,
        }
    }
}

impl RunQuery {
    /// Refuses a limit out of range or an empty time range.
    pub fn validate(&self) -> Result<(), Error> {
        check_limit(self.limit)?;
        check_optional_id("scope", self.scope.as_deref())?;
        check_cursor(self.after.as_ref())?;
        if let (Some(since), Some(until)) = (self.since, self.until)
            && since >= until
        {
            return Err(Error::invalid_input(format!(
                "the time range is empty: since {since} is not before until {until}"
            )));
        }
        Ok(())
    }

    /// Whether a run passes the filters (not the cursor).
    pub fn matches(&self, run: &Run) -> bool {
        self.status.is_none_or(|s| s == run.status)
            && self.kind.is_none_or(|k| k == run.kind)
            && self.scope.as_ref().is_none_or(|s| *s == run.scope)
            && self.since.is_none_or(|t| run.started_at >= t)
            && self.until.is_none_or(|t| run.started_at < t)
    }
}

/// Which items of a run to list, by `seq` ascending.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemQuery {
    /// The run.
    pub run_id: String,
    /// Only items with a `seq` greater than this (the `next` of the previous page).
    #[serde(default)]
    pub after: Option<u64>,
    /// At most this many items (1 to [`MAX_LIMIT`]).
    pub limit: usize,
}

impl ItemQuery {
    /// The first page of a run's items.
    pub fn first(run_id: impl Into<String>, limit: usize) -> Self {
        ItemQuery {
            run_id: run_id.into(),
            after: None,
            limit,
        }
    }

    /// Refuses a limit out of range or an over-long run id.
    pub fn validate(&self) -> Result<(), Error> {
        check_limit(self.limit)?;
        crate::limits::check_id("run id", &self.run_id)
    }
}

/// Which audit entries to list, newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// Only entries about entities of this type.
    #[serde(default)]
    pub entity_type: Option<String>,
    /// Only entries about the entity with this id.
    #[serde(default)]
    pub entity_id: Option<String>,
    /// Continue after this position.
    #[serde(default)]
    pub after: Option<Cursor>,
    /// At most this many entries (1 to [`MAX_LIMIT`]).
    pub limit: usize,
}

impl Default for AuditQuery {
    fn default() -> Self {
        AuditQuery {
            entity_type: None,
            entity_id: None,
            after: None,
            limit: DEFAULT_LIMIT,
        }
    }
}

impl AuditQuery {
    /// Refuses a limit out of range or over-long filters.
    pub fn validate(&self) -> Result<(), Error> {
        check_limit(self.limit)?;
        crate::limits::check_optional_name("entity_type", self.entity_type.as_deref())?;
        check_optional_id("entity_id", self.entity_id.as_deref())?;
        check_cursor(self.after.as_ref())
    }

    /// Whether an entry passes the filters (not the cursor).
    pub fn matches(&self, entry: &AuditEntry) -> bool {
        self.entity_type
            .as_ref()
            .is_none_or(|t| *t == entry.entity_type)
            && self
                .entity_id
                .as_ref()
                .is_none_or(|i| *i == entry.entity_id)
    }
}

/// One page of a listing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page<T, C> {
    /// The rows, in listing order.
    pub items: Vec<T>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<C>,
}
