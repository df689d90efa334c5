//! Consistency between a source and the store, and validation of what a source hands in.

use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, clip};
use crate::model::Listing;
use crate::store::ScopeSnapshot;

pub use crate::limits::{MAX_ID_BYTES, MAX_TITLE_BYTES};

fn check_name(what: &str, value: &str, max: usize) -> Result<()> {
    if value.trim().is_empty() {
        return Err(Error::invalid_input(format!("{what} must not be empty")));
    }
    if value.len() > max {
        return Err(Error::invalid_input(format!(
            "{what} is {} bytes long, the limit is {max}: `{}`",
            value.len(),
            clip(value)
        )));
    }
    Ok(())
}

/// Rejects a scope or listing no sync should act on, naming the first bad item.
pub(crate) fn validate_listing(scope: &str, listing: &Listing) -> Result<()> {
    check_name("scope", scope, MAX_ID_BYTES)?;
    check_name("source", &listing.source, MAX_ID_BYTES)?;
    for (i, item) in listing.items.iter().enumerate() {
        let at = |e: Error| match e {
            Error::InvalidInput(m) => Error::invalid_input(format!("listing item {i}: {m}")),
            other => other,
        };
        check_name("external_id", &item.external_id, MAX_ID_BYTES).map_err(at)?;
        check_name("kind", &item.content.kind, MAX_ID_BYTES).map_err(at)?;
        if item.content.title.len() > MAX_TITLE_BYTES {
            return Err(at(Error::invalid_input(format!(
                "title is {} bytes long, the limit is {MAX_TITLE_BYTES}",
                item.content.title.len()
            ))));
        }
    }
    Ok(())
}

/// A task whose hub copy differs from its source.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mismatch {
    /// External id.
    pub external_id: String,
    /// The fields that differ.
    pub fields: Vec<String>,
}

/// How a scope's tasks of one source compare with that source, regardless of policy.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyReport {
    /// Whether hub and source agree on every task.
    pub consistent: bool,
    /// Tasks the source lists.
    pub source_count: usize,
    /// Tasks of the source the hub has in the scope.
    pub hub_count: usize,
    /// Listed, but missing from the hub.
    pub missing_in_hub: Vec<String>,
    /// In the hub, but not listed (meaningful only for a complete listing).
    pub missing_in_source: Vec<String>,
    /// In both, with different content.
    pub mismatched: Vec<Mismatch>,
    /// External ids the listing names more than once.
    pub duplicates_in_listing: Vec<String>,
}

/// Compares a scope with a listing, field by field.
pub fn verify(snapshot: &ScopeSnapshot, listing: &Listing) -> VerifyReport {
    let hub: FxHashMap<&str, &crate::model::Task> = snapshot
        .tasks
        .iter()
        .filter(|t| t.source == listing.source)
        .map(|t| (t.external_id.as_str(), t))
        .collect();
    let mut report = VerifyReport {
        source_count: listing.items.len(),
        hub_count: hub.len(),
        ..Default::default()
    };
    let mut seen: FxHashSet<&str> = FxHashSet::default();
    for item in &listing.items {
        let id = item.external_id.as_str();
        if !seen.insert(id) {
            report.duplicates_in_listing.push(id.to_owned());
            continue;
        }
        let Some(task) = hub.get(id) else {
            report.missing_in_hub.push(id.to_owned());
            continue;
        };
        let d = &item.content;
        let mut fields = Vec::new();
        if task.kind != d.kind {
            fields.push("kind".to_owned());
        }
        if task.title != d.title {
            fields.push("title".to_owned());
        }
        if d.status.is_some_and(|s| s != task.status) {
            fields.push("status".to_owned());
        }
        if task.parent != d.parent {
            fields.push("parent".to_owned());
        }
        let mut names: Vec<&String> = task.fields.keys().chain(d.fields.keys()).collect();
        names.sort_unstable();
        names.dedup();
        for name in names {
            if task.fields.get(name) != d.fields.get(name) {
                fields.push(format!("fields.{name}"));
            }
        }
        if !fields.is_empty() {
            report.mismatched.push(Mismatch {
                external_id: id.to_owned(),
                fields,
            });
        }
    }
    if listing.complete {
        let mut missing: Vec<String> = hub
            .keys()
            .filter(|id| !seen.contains(*id))
            .map(|id| (*id).to_owned())
            .collect();
        missing.sort_unstable();
        report.missing_in_source = missing;
    }
    report.consistent = report.missing_in_hub.is_empty()
        && report.missing_in_source.is_empty()
        && report.mismatched.is_empty()
        && report.duplicates_in_listing.is_empty();
    report
}
