//! Deletion safety over repeated syncs: a mass deletion blocked once stays blocked, however
//! often the same sync runs and however many new items the source lists meanwhile, until it is
//! forced.

use std::sync::Arc;

use futures::executor::block_on;
use proptest::prelude::*;
use sync_core::{
    ChangeSet, DesiredTask, Listing, MemoryStore, Policy, SkipReason, SyncEngine, Task, TaskStore,
    TaskWrite,
};

/// A scope `s` holding `kept` + `gone` draft tasks of the source `files`.
fn store(kept: usize, gone: usize) -> Arc<MemoryStore> {
    let store = Arc::new(MemoryStore::new());
    let tasks = (0..kept)
        .map(|i| format!("kept-{i}"))
        .chain((0..gone).map(|i| format!("gone-{i}")))
        .map(|id| TaskWrite::Insert {
            task: Task::from_desired("s", "files", &DesiredTask::new(id, "T"), 1),
        })
        .collect();
    block_on(store.apply(ChangeSet {
        guards: vec![],
        jobs: vec![],
        tasks,
    }))
    .unwrap();
    store
}

/// The source's listing: the kept tasks, none of the gone ones, and `new` new items.
fn listing(kept: usize, new: usize) -> Listing {
    let items = (0..kept)
        .map(|i| DesiredTask::new(format!("kept-{i}"), "T"))
        .chain((0..new).map(|i| DesiredTask::new(format!("new-{i}"), "N")))
        .collect();
    Listing::complete("files", items)
}

fn present(store: &MemoryStore, prefix: &str) -> usize {
    let snapshot = block_on(store.snapshot("s".into())).unwrap();
    snapshot
        .tasks
        .iter()
        .filter(|t| t.external_id.starts_with(prefix))
        .count()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// The sync runs again and again, the source adding new items before each run. If its
    /// deletions exceed the limit on the first run, no run ever deletes (or creates); once
    /// forced, the deletions and the held creates land. Within the limit, the first run deletes.
    #[test]
    fn repeating_a_blocked_sync_never_deletes_without_force(
        kept in 0usize..25,
        gone in 1usize..30,
        floor in 0usize..12,
        ratio in 0u32..=100,
        added in proptest::collection::vec(0usize..40, 1..8),
    ) {
        let store = store(kept, gone);
        let engine = SyncEngine::new(store.clone());
        let policy = Policy {
            max_delete_ratio: f64::from(ratio) / 100.0,
            max_delete_floor: floor,
            ..Policy::default()
        };
        let limit = floor.max((f64::from(ratio) / 100.0 * (kept + gone) as f64).floor() as usize);
        let blocked = gone > limit;
        let mut new = 0;
        for (run, more) in added.iter().enumerate() {
            new += more;
            let plan = block_on(engine.preview("s", &listing(kept, new), &policy)).unwrap();
            block_on(engine.execute(&plan, true)).unwrap();
            if blocked {
                prop_assert!(plan.deletes.is_empty(), "run {run} deleted: {:?}", plan.deletes);
                prop_assert!(plan.creates.is_empty(), "run {run} created");
                prop_assert_eq!(present(&store, "gone-"), gone, "run {}", run);
                let held = plan
                    .skipped
                    .iter()
                    .filter(|s| matches!(s.reason, SkipReason::HeldByMassDeletion { .. }))
                    .count();
                prop_assert_eq!(held, new);
            } else {
                prop_assert_eq!(present(&store, "gone-"), 0, "run {}", run);
            }
            prop_assert_eq!(present(&store, "new-"), if blocked { 0 } else { new });
        }
        let forced = Policy { force_deletes: true, ..policy };
        let plan = block_on(engine.preview("s", &listing(kept, new), &forced)).unwrap();
        block_on(engine.execute(&plan, true)).unwrap();
        prop_assert_eq!(present(&store, "gone-"), 0);
        prop_assert_eq!(present(&store, "new-"), new);
        prop_assert_eq!(present(&store, "kept-"), kept);
    }
}

/// A source that re-keyed all its tasks: its old ids are gone, as many new ones are listed.
#[test]
fn a_rekeyed_source_stays_blocked_run_after_run() {
    let store = store(0, 20);
    let engine = SyncEngine::new(store.clone());
    for _ in 0..5 {
        let plan = block_on(engine.preview("s", &listing(0, 100), &Policy::default())).unwrap();
        assert_eq!((plan.counts.creates, plan.counts.deletes), (0, 0));
        assert_eq!(plan.counts.skipped, 120);
        let reasons: Vec<String> = plan.skipped.iter().map(|s| s.reason.to_string()).collect();
        assert!(reasons.contains(&"20 deletions exceed the limit of 10".to_owned()));
        assert!(reasons.contains(
            &"not created while 20 deletions exceeding the limit of 10 are blocked".to_owned()
        ));
        block_on(engine.execute(&plan, true)).unwrap();
        assert_eq!(present(&store, "gone-"), 20);
    }
}

/// Overwrite recreates the tasks it keeps even while a mass deletion is blocked: a recreation
/// changes no count, so it cannot walk the limit up.
#[test]
fn overwrite_recreations_go_ahead_while_deletions_are_blocked() {
    let store = store(3, 12);
    let engine = SyncEngine::new(store.clone());
    let policy = Policy {
        overwrite: true,
        ..Policy::default()
    };
    let plan = block_on(engine.preview("s", &listing(3, 2), &policy)).unwrap();
    assert_eq!(plan.creates.len(), 3, "{:#?}", plan.creates);
    assert!(
        plan.creates
            .iter()
            .all(|c| c.task.external_id.starts_with("kept-"))
    );
    assert_eq!(plan.deletes.len(), 3);
    block_on(engine.execute(&plan, true)).unwrap();
    assert_eq!(present(&store, "gone-"), 12);
    assert_eq!(present(&store, "new-"), 0);
}
