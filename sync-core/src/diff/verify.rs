//! Consistency between a source and the store, and validation of what a source hands in and
//! of a plan handed back to be executed.

use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};

use crate::diff::Plan;
use crate::error::{Error, Result, clip};
use crate::model::{Listing, Task};
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

/// Rejects a plan whose writes a preview of its scope and source could not have made (a plan
/// file edited by hand, or built by a host), naming the first bad write: every written task
/// must be in the plan's scope and source, an update must keep its task's id, and a create must
/// be a first version under the hub id of its identity. The token does not prove this: anyone can recompute it.
pub(crate) fn validate_plan(plan: &Plan) -> Result<()> {
    check_name("scope", &plan.scope, MAX_ID_BYTES)?;
    check_name("source", &plan.source, MAX_ID_BYTES)?;
    let written = (plan.creates.iter().map(|c| ("create", &c.task)))
        .chain(plan.updates.iter().map(|u| ("update", &u.after)))
        .chain(plan.rebases.iter().map(|r| ("rebase", &r.after)));
    for (i, (what, task)) in written.enumerate() {
        let bad = |m: String| Error::invalid_input(format!("plan write {i} ({what}): {m}"));
        if task.scope != plan.scope {
            return Err(bad(format!(
                "task scope `{}` is not the plan's scope `{}`",
                clip(&task.scope),
                clip(&plan.scope)
            )));
        }
        if task.source != plan.source {
            return Err(bad(format!(
                "task source `{}` is not the plan's source `{}`",
                clip(&task.source),
                clip(&plan.source)
            )));
        }
        check_name("external_id", &task.external_id, MAX_ID_BYTES)
            .map_err(|e| bad(e.to_string()))?;
        // Only a new task's id is known to be derived: a stored task may keep an id a host
        // chose or a migration could not move (its record's version check guards the write).
        if what == "create" && task.id != Task::hub_id(&task.source, &task.external_id) {
            return Err(bad(format!(
                "task id `{}` is not the hub id of `{}`",
                clip(&task.id),
                clip(&task.external_id)
            )));
        }
        if what == "create" && task.version != 1 {
            return Err(bad(format!(
                "a new task has version {}, not 1",
                task.version
            )));
        }
    }
    for (i, update) in plan.updates.iter().enumerate() {
        if update.id != update.after.id {
            return Err(Error::invalid_input(format!(
                "plan update {i}: id `{}` is not its task's id `{}`",
                clip(&update.id),
                clip(&update.after.id)
            )));
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use futures::executor::block_on;

    use super::*;
    use crate::{DesiredTask, ErrorKind, MemoryStore, Policy, SyncEngine, TaskStore};

    fn plan() -> Plan {
        let listing = Listing::complete("files", vec![DesiredTask::new("a", "A")]);
        let mut plan =
            crate::diff::compute("s", &ScopeSnapshot::default(), &listing, &Policy::default());
        plan.token = crate::diff::token(&plan);
        plan
    }

    #[test]
    fn a_previewed_plan_is_valid() {
        assert!(validate_plan(&plan()).is_ok());
    }

    #[test]
    fn a_plan_edited_with_its_token_recomputed_is_refused_and_writes_nothing() {
        // What the `plan` fuzz target checks: a plan file for scope `s` whose token had been
        // recomputed used to write a task into another scope, under an id not of its identity.
        type Edit = fn(&mut Plan);
        let edits: [(&str, Edit); 5] = [
            ("task scope `other`", |p| {
                p.creates[0].task.scope = "other".into()
            }),
            ("task source `mstodo`", |p| {
                p.creates[0].task.source = "mstodo".into()
            }),
            ("not the hub id", |p| p.creates[0].task.id = "t1".into()),
            ("version 7", |p| p.creates[0].task.version = 7),
            ("external_id must not be empty", |p| {
                p.creates[0].task.external_id.clear()
            }),
        ];
        for (message, edit) in edits {
            let mut edited = plan();
            edit(&mut edited);
            edited.token = crate::diff::token(&edited);
            let store = Arc::new(MemoryStore::new());
            let engine = SyncEngine::new(store.clone());
            let err = block_on(engine.execute(&edited, true)).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
            assert!(err.to_string().contains(message), "{message}: {err}");
            for scope in ["s", "other"] {
                let snapshot = block_on(store.snapshot(scope.into())).unwrap();
                assert!(snapshot.tasks.is_empty(), "{message}: wrote into {scope}");
            }
        }
    }
}
