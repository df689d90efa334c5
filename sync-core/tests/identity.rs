//! Task identity: hub ids that no two identities share, and a create the store refuses for good
//! reported as an identity conflict (not as a stale plan that previewing again would fix).

use std::sync::Arc;

use futures::executor::block_on;
use proptest::prelude::*;
use sync_core::{
    ChangeSet, DesiredTask, Error, ErrorKind, Listing, MemoryStore, Policy, SkipReason, SyncEngine,
    Task, TaskStore, TaskWrite,
};

/// The hub id as every version before NUL-safe ids computed it: the parts joined by a NUL.
fn joined_by_nul(source: &str, external_id: &str) -> String {
    let bytes = [source.as_bytes(), &[0], external_id.as_bytes()].concat();
    format!("t{:032x}", xxhash_rust::xxh3::xxh3_128(&bytes))
}

fn insert(tasks: Vec<Task>) -> ChangeSet {
    ChangeSet {
        guards: vec![],
        jobs: vec![],
        tasks: tasks
            .into_iter()
            .map(|task| TaskWrite::Insert { task })
            .collect(),
    }
}

fn sync(engine: &SyncEngine, scope: &str, listing: &Listing) -> sync_core::Result<usize> {
    let plan = block_on(engine.preview(scope, listing, &Policy::default()))?;
    Ok(block_on(engine.execute(&plan, true))?.created)
}

#[test]
fn identities_that_join_to_the_same_bytes_get_different_hub_ids() {
    assert_eq!(joined_by_nul("a", "b\0c"), joined_by_nul("a\0b", "c"));
    assert_ne!(Task::hub_id("a", "b\0c"), Task::hub_id("a\0b", "c"));
    assert_ne!(Task::hub_id("a", "\0"), Task::hub_id("a\0", ""));
    // The NUL-safe form never meets the old form of another identity either.
    assert_ne!(Task::hub_id("a", "b\0c"), joined_by_nul("a\0b", "c"));
}

#[test]
fn ids_without_a_nul_are_the_ones_stores_already_hold() {
    for (source, external_id) in [("files", "spec"), ("mstodo", "AAMk1"), ("ü", "ü/1 ✓")] {
        assert_eq!(
            Task::hub_id(source, external_id),
            joined_by_nul(source, external_id)
        );
        assert_eq!(
            Task::legacy_hub_id(source, external_id),
            Task::hub_id(source, external_id)
        );
    }
    assert_eq!(Task::legacy_hub_id("a", "b\0c"), joined_by_nul("a", "b\0c"));
}

proptest! {
    /// Over a tiny alphabet with NULs, any two different identities get different ids (an
    /// ambiguous encoding shows up here as equal ids), and NUL-free ones keep the old id.
    #[test]
    fn different_identities_never_share_a_hub_id(
        a in ("[a\0]{0,4}", "[a\0]{0,4}"),
        b in ("[a\0]{0,4}", "[a\0]{0,4}"),
    ) {
        let (id_a, id_b) = (Task::hub_id(&a.0, &a.1), Task::hub_id(&b.0, &b.1));
        prop_assert_eq!(a == b, id_a == id_b, "{:?} and {:?}", a, b);
        if !a.0.contains('\0') && !a.1.contains('\0') {
            prop_assert_eq!(id_a, joined_by_nul(&a.0, &a.1));
        }
    }
}

#[test]
fn both_identities_of_a_formerly_shared_id_can_be_synced() {
    let store = Arc::new(MemoryStore::new());
    let engine = SyncEngine::new(store.clone());
    let first = Listing::complete("a", vec![DesiredTask::new("b\0c", "First")]);
    let second = Listing::complete("a\0b", vec![DesiredTask::new("c", "Second")]);
    assert_eq!(sync(&engine, "s", &first).unwrap(), 1);
    assert_eq!(sync(&engine, "s", &second).unwrap(), 1);
    let snapshot = block_on(store.snapshot("s".into())).unwrap();
    assert_eq!(snapshot.tasks.len(), 2);
    for listing in [&first, &second] {
        let again = block_on(engine.preview("s", listing, &Policy::default())).unwrap();
        assert!(again.is_empty(), "{again:#?}");
    }
}

/// A record of another identity (written by another tool) holding the hub id of `files`/`a`.
fn store_with_a_foreign_holder() -> Arc<MemoryStore> {
    let store = Arc::new(MemoryStore::new());
    let mut holder = Task::from_desired("imported", "legacy", &DesiredTask::new("x", "Old"), 1);
    holder.id = Task::hub_id("files", "a");
    block_on(store.apply(insert(vec![holder]))).unwrap();
    store
}

#[test]
fn a_create_whose_hub_id_another_record_holds_is_an_identity_conflict() {
    let store = store_with_a_foreign_holder();
    let engine = SyncEngine::new(store.clone());
    let listing = Listing::complete("files", vec![DesiredTask::new("a", "A")]);
    // Previewing again never fixes it: every round plans the same create and fails the same way.
    for _ in 0..3 {
        let plan = block_on(engine.preview("p", &listing, &Policy::default())).unwrap();
        assert_eq!(plan.creates.len(), 1);
        let err = block_on(engine.execute(&plan, true)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::IdentityConflict);
        assert_eq!(err.kind().code(), "identity_conflict");
        let Error::IdentityConflict(refused) = &err else {
            panic!("not an identity conflict: {err:?}");
        };
        assert_eq!(
            (refused.source.as_str(), refused.external_id.as_str()),
            ("files", "a")
        );
        let message = err.to_string();
        assert!(
            message.contains("`files`") && message.contains("`legacy`"),
            "{message}"
        );
        assert!(!message.contains("preview again;"), "{message}");
    }
    assert_eq!(block_on(store.scope_version("p".into())).unwrap(), 0);
}

#[test]
fn an_identity_conflict_clips_the_identity_it_carries() {
    let long = "x".repeat(1_000);
    let store = Arc::new(MemoryStore::new());
    let mut holder = Task::from_desired("imported", "legacy", &DesiredTask::new("x", "Old"), 1);
    holder.id = Task::hub_id("files", &long);
    block_on(store.apply(insert(vec![holder]))).unwrap();
    let engine = SyncEngine::new(store);
    let listing = Listing::complete("files", vec![DesiredTask::new(long.clone(), "Long")]);
    let err = sync(&engine, "p", &listing).unwrap_err();
    let Error::IdentityConflict(refused) = &err else {
        panic!("not an identity conflict: {err:?}");
    };
    assert!(refused.external_id.len() < 200, "{}", refused.external_id);
    assert!(err.to_string().len() < 600, "{err}");
}

#[test]
fn losing_a_create_race_to_another_scope_is_a_stale_plan_that_a_fresh_preview_settles() {
    let store = Arc::new(MemoryStore::new());
    let engine = SyncEngine::new(store.clone());
    let listing = Listing::complete("files", vec![DesiredTask::new("a", "A")]);
    let here = block_on(engine.preview("p1", &listing, &Policy::default())).unwrap();
    let there = block_on(engine.preview("p2", &listing, &Policy::default())).unwrap();
    block_on(engine.execute(&there, true)).unwrap();
    let err = block_on(engine.execute(&here, true)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::StalePlan, "{err}");
    assert!(err.to_string().contains("`p2`"), "{err}");
    let fresh = block_on(engine.preview("p1", &listing, &Policy::default())).unwrap();
    assert!(fresh.creates.is_empty());
    assert!(matches!(
        &fresh.skipped[0].reason,
        SkipReason::OwnedByOtherScope { scope } if scope == "p2"
    ));
}
