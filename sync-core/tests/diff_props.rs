//! Property tests of the diff: convergence, read-only previews, policy safety, determinism.

use std::sync::Arc;

use futures::executor::block_on;
use proptest::prelude::*;
use sync_core::{
    ChangeSet, DesiredTask, Listing, MemoryStore, Policy, Status, SyncEngine, Task, TaskStore,
    TaskWrite,
};

/// A small id space so listings and stores overlap, collide and diverge often.
fn desired() -> impl Strategy<Value = DesiredTask> {
    (
        0u8..12,
        "[a-c]{0,2}",
        proptest::option::of(0i64..3),
        proptest::option::of(0usize..6),
    )
        .prop_map(|(id, title, priority, status)| {
            let mut d = DesiredTask::new(format!("e{id}"), title);
            if let Some(p) = priority {
                d = d.field("priority", p);
            }
            if let Some(s) = status {
                d = d.status(Status::ALL[s]);
            }
            d
        })
}

fn stored() -> impl Strategy<Value = Vec<(DesiredTask, usize, bool)>> {
    proptest::collection::vec((desired(), 0usize..6, any::<bool>()), 0..10)
}

fn seed(items: &[(DesiredTask, usize, bool)]) -> (Arc<MemoryStore>, Vec<Task>) {
    let store = Arc::new(MemoryStore::new());
    let mut seen = std::collections::HashSet::new();
    let mut tasks = Vec::new();
    for (d, status, with_base) in items {
        if !seen.insert(d.external_id.clone()) {
            continue;
        }
        let mut t = Task::from_desired("s", "files", d, 0);
        t.status = Status::ALL[*status];
        if !with_base {
            t.base = None;
        }
        tasks.push(t);
    }
    let writes = tasks
        .iter()
        .map(|t| TaskWrite::Insert { task: t.clone() })
        .collect();
    block_on(store.apply(ChangeSet {
        guards: vec![],
        jobs: vec![],
        tasks: writes,
    }))
    .unwrap();
    (store, tasks)
}

fn content(t: &Task) -> (String, String, Status, Option<String>, String) {
    (
        t.kind.clone(),
        t.title.clone(),
        t.status,
        t.parent.clone(),
        serde_json::to_string(&t.fields).unwrap(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// With every status writable, source wins and force, a second preview after one execute
    /// plans nothing; without a base (two-way) hub and source are then consistent. With a base,
    /// hub-only edits are kept by design, so only convergence is required.
    #[test]
    fn sync_converges(stored in stored(), items in proptest::collection::vec(desired(), 0..12)) {
        let (store, _) = seed(&stored);
        let engine = SyncEngine::new(store.clone());
        let policy = Policy { force_deletes: true, ..Policy::all_writable() };
        let listing = Listing::complete("files", items);
        let plan = block_on(engine.preview("s", &listing, &policy)).unwrap();
        block_on(engine.execute(&plan, true)).unwrap();
        let again = block_on(engine.preview("s", &listing, &policy)).unwrap();
        prop_assert!(again.is_empty(), "{:#?}", again);
        if stored.iter().any(|(_, _, with_base)| *with_base) {
            return Ok(());
        }
        // Duplicated ids stay reported by verify; everything else must agree.
        let report = block_on(engine.verify("s", &listing)).unwrap();
        prop_assert!(report.missing_in_hub.is_empty() && report.missing_in_source.is_empty());
        prop_assert!(report.mismatched.is_empty(), "{:?}", report.mismatched);
        prop_assert_eq!(report.consistent, report.duplicates_in_listing.is_empty());
    }

    /// Previews write nothing and are deterministic (same plan, same token).
    #[test]
    fn preview_is_read_only_and_deterministic(stored in stored(), items in proptest::collection::vec(desired(), 0..12)) {
        let (store, _) = seed(&stored);
        let engine = SyncEngine::new(store.clone());
        let listing = Listing::complete("files", items);
        let before = block_on(store.snapshot("s".into())).unwrap();
        let a = block_on(engine.preview("s", &listing, &Policy::default())).unwrap();
        let b = block_on(engine.preview("s", &listing, &Policy::default())).unwrap();
        prop_assert_eq!(&a, &b);
        let mut after = block_on(store.snapshot("s".into())).unwrap();
        let mut before = before;
        before.tasks.sort_by(|x, y| x.id.cmp(&y.id));
        after.tasks.sort_by(|x, y| x.id.cmp(&y.id));
        prop_assert_eq!(before, after);
    }

    /// Under the default policy no non-draft task changes, and a partial listing deletes nothing.
    #[test]
    fn default_policy_touches_only_drafts(stored in stored(), items in proptest::collection::vec(desired(), 0..12), complete in any::<bool>()) {
        let (store, tasks) = seed(&stored);
        let engine = SyncEngine::new(store.clone());
        let listing = Listing { source: "files".into(), items, complete };
        let plan = block_on(engine.preview("s", &listing, &Policy::default())).unwrap();
        if !complete {
            prop_assert!(plan.deletes.is_empty());
        }
        block_on(engine.execute(&plan, true)).unwrap();
        for t in tasks.iter().filter(|t| t.status != Status::Draft) {
            let now = block_on(store.get(t.id.clone())).unwrap();
            prop_assert!(now.is_some(), "a {} task was deleted", t.status);
            let now = now.unwrap();
            prop_assert_eq!(content(&now), content(t));
            prop_assert_eq!(now.version, t.version);
        }
        for t in tasks.iter() {
            if !complete {
                prop_assert!(block_on(store.get(t.id.clone())).unwrap().is_some());
            }
        }
    }
}
