//! The diff itself: one pass over the listing, one over the scope's unmatched tasks.

use rustc_hash::{FxHashMap, FxHashSet};

use super::merge::{in_sync, merge};
use super::plan::{
    Create, Delete, DeleteReason, Plan, PlanCounts, Rebase, SkipReason, Skipped, Update,
};
use super::policy::{Policy, Untouchable};
use crate::model::{Listing, Task};
use crate::store::ScopeSnapshot;

fn untouchable_reason(task: &Task, why: Untouchable) -> SkipReason {
    match why {
        Untouchable::Protected => SkipReason::Protected {
            status: task.status,
        },
        Untouchable::NotWritable => SkipReason::NotWritable {
            status: task.status,
        },
    }
}

fn skipped(task: &Task, reason: SkipReason) -> Skipped {
    Skipped {
        external_id: task.external_id.clone(),
        id: Some(task.id.clone()),
        title: task.title.clone(),
        reason,
    }
}

fn delete(task: &Task, reason: DeleteReason) -> Delete {
    Delete {
        id: task.id.clone(),
        external_id: task.external_id.clone(),
        kind: task.kind.clone(),
        title: task.title.clone(),
        status: task.status,
        expected_version: task.version,
        reason,
    }
}

/// Computes the plan that brings `scope` in line with `listing` under `policy`.
///
/// Pure and deterministic. The plan's token is left empty and identities living in other
/// scopes are not checked: [`crate::SyncEngine::preview`] does both, since both need the store.
pub fn compute(scope: &str, snapshot: &ScopeSnapshot, listing: &Listing, policy: &Policy) -> Plan {
    let source = listing.source.as_str();
    let hub: Vec<&Task> = snapshot
        .tasks
        .iter()
        .filter(|t| t.source == source)
        .collect();
    let mut index: FxHashMap<&str, usize> =
        FxHashMap::with_capacity_and_hasher(hub.len(), Default::default());
    for (i, task) in hub.iter().enumerate() {
        index.insert(task.external_id.as_str(), i);
    }
    let mut matched = vec![false; hub.len()];
    let mut new_ids: FxHashSet<&str> = FxHashSet::default();

    let mut plan = Plan {
        scope: scope.to_owned(),
        source: source.to_owned(),
        scope_version: snapshot.version,
        overwrite: policy.overwrite,
        creates: Vec::new(),
        updates: Vec::new(),
        deletes: Vec::new(),
        rebases: Vec::new(),
        conflicts: Vec::new(),
        skipped: Vec::new(),
        counts: PlanCounts::default(),
        token: String::new(),
    };
    let mut unchanged = 0usize;

    for desired in &listing.items {
        let id = desired.external_id.as_str();
        let Some(&i) = index.get(id) else {
            if new_ids.insert(id) {
                let task = Task::from_desired(scope, source, desired, 0);
                plan.creates.push(Create { task });
            } else {
                plan.skipped.push(Skipped {
                    external_id: id.to_owned(),
                    id: None,
                    title: desired.content.title.clone(),
                    reason: SkipReason::DuplicateInListing,
                });
            }
            continue;
        };
        let task = hub[i];
        if std::mem::replace(&mut matched[i], true) {
            plan.skipped
                .push(skipped(task, SkipReason::DuplicateInListing));
            continue;
        }
        let touchable = policy.check(task);
        if policy.overwrite {
            match touchable {
                Ok(()) => {
                    plan.deletes.push(delete(task, DeleteReason::Overwrite));
                    let mut task = Task::from_desired(scope, source, desired, 0);
                    task.id = hub[i].id.clone();
                    plan.creates.push(Create { task });
                }
                Err(_) if in_sync(task, desired) => unchanged += 1,
                Err(why) => plan
                    .skipped
                    .push(skipped(task, untouchable_reason(task, why))),
            }
            continue;
        }
        if in_sync(task, desired) {
            unchanged += 1;
            continue;
        }
        let merged = merge(task, desired, policy.strategy);
        if touchable.is_ok() {
            // Manual conflicts stay visible in every preview until a person settles them.
            plan.conflicts.extend(merged.conflicts);
        }
        match (merged.after, touchable) {
            (None, _) => unchanged += 1,
            (Some(after), Ok(())) => {
                if merged.changes.is_empty() {
                    unchanged += 1;
                    plan.rebases.push(Rebase {
                        after,
                        expected_version: task.version,
                    });
                } else {
                    plan.updates.push(Update {
                        id: task.id.clone(),
                        external_id: task.external_id.clone(),
                        kind: after.kind.clone(),
                        expected_version: task.version,
                        changes: merged.changes,
                        after,
                    });
                }
            }
            // A base move alone on a task we may not write is no change worth reporting.
            (Some(_), Err(_)) if merged.changes.is_empty() => unchanged += 1,
            (Some(_), Err(why)) => plan
                .skipped
                .push(skipped(task, untouchable_reason(task, why))),
        }
    }

    if let Some(blocked) = plan_deletions(&mut plan, &hub, &matched, listing.complete, policy) {
        hold_creates(&mut plan, blocked);
    }
    plan.counts = recount(&plan, unchanged);
    plan
}

/// While its deletions are blocked as a mass deletion, a sync creates no new task: otherwise
/// its creates would grow the scope, and the same sync run again would find its deletions
/// under the larger limit and make them without force. Overwrite's recreations (a delete and
/// an insert of one id) stay: they leave the number of tasks as it is.
fn hold_creates(plan: &mut Plan, blocked: SkipReason) {
    let SkipReason::MassDeletion { deletes, limit } = blocked else {
        return;
    };
    let recreated: FxHashSet<String> = plan.deletes.iter().map(|d| d.id.clone()).collect();
    let creates = std::mem::take(&mut plan.creates);
    for create in creates {
        if recreated.contains(&create.task.id) {
            plan.creates.push(create);
        } else {
            plan.skipped.push(Skipped {
                external_id: create.task.external_id,
                id: None,
                title: create.task.title,
                reason: SkipReason::HeldByMassDeletion { deletes, limit },
            });
        }
    }
}

/// Hub tasks of the source the listing no longer names: deleted if the policy and the
/// deletion-safety rules allow it (see [`Policy`]), skipped with a reason otherwise. Returns
/// the reason when deletions were blocked.
fn plan_deletions(
    plan: &mut Plan,
    hub: &[&Task],
    matched: &[bool],
    complete: bool,
    policy: &Policy,
) -> Option<SkipReason> {
    let mut gone: Vec<&Task> = hub
        .iter()
        .zip(matched)
        .filter(|(_, m)| !**m)
        .map(|(t, _)| *t)
        .collect();
    gone.sort_unstable_by(|a, b| a.external_id.cmp(&b.external_id));
    let mut candidates = Vec::new();
    for task in gone {
        match policy.check(task) {
            Ok(()) => candidates.push(task),
            Err(why) => plan
                .skipped
                .push(skipped(task, untouchable_reason(task, why))),
        }
    }
    let limit = policy.delete_limit(hub.len());
    let blocked = if !complete {
        Some(SkipReason::IncompleteListing)
    } else if candidates.len() > limit && !policy.force_deletes {
        Some(SkipReason::MassDeletion {
            deletes: candidates.len(),
            limit,
        })
    } else {
        None
    };
    for task in candidates {
        match &blocked {
            Some(reason) => plan.skipped.push(skipped(task, reason.clone())),
            None => plan.deletes.push(delete(task, DeleteReason::Gone)),
        }
    }
    blocked
}

/// Recounts a plan's totals (also after the engine moves creates to skipped).
pub(crate) fn recount(plan: &Plan, unchanged: usize) -> PlanCounts {
    let mut counts = PlanCounts {
        creates: plan.creates.len(),
        updates: plan.updates.len(),
        deletes: plan.deletes.len(),
        unchanged,
        conflicts: plan.conflicts.len(),
        skipped: plan.skipped.len(),
        by_kind: Default::default(),
    };
    for c in &plan.creates {
        counts
            .by_kind
            .entry(c.task.kind.clone())
            .or_default()
            .creates += 1;
    }
    for u in &plan.updates {
        counts.by_kind.entry(u.kind.clone()).or_default().updates += 1;
    }
    for d in &plan.deletes {
        counts.by_kind.entry(d.kind.clone()).or_default().deletes += 1;
    }
    counts
}
