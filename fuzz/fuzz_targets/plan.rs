//! A saved plan file (`tasksync preview --save`, read by `tasksync execute --plan`, and the
//! plan JSON the bindings accept). Reading never panics; a plan reads back equal from its own
//! JSON; a plan that is refused (wrong token, stale scope) writes nothing; with its token
//! recomputed (as if a preview had made it) executing it on a hub never panics, either writes
//! nothing or succeeds, and when it succeeds the hub holds every created task, in the plan's
//! scope and source under the hub id of its identity.
#![no_main]

use std::sync::Arc;

use futures::executor::block_on;
use libfuzzer_sys::fuzz_target;
use sync_core::{MemoryStore, Plan, SyncEngine, Task, TaskStore};
use tasksync_fuzz::assert_json_round_trip;

fuzz_target!(|data: &[u8]| {
    let Ok(mut plan) = serde_json::from_slice::<Plan>(data) else {
        return;
    };
    assert_json_round_trip(&plan, "a plan");

    // As read: a wrong token, a stale scope or a bad write is refused and writes nothing.
    let store = Arc::new(MemoryStore::new());
    let engine = SyncEngine::new(store.clone());
    if block_on(engine.execute(&plan, true)).is_err() {
        assert_untouched(&store, &plan);
    }

    // Its token recomputed, on a fresh hub: the rest of execute's checks.
    sync_core::fuzzing::seal(&mut plan);
    let store = Arc::new(MemoryStore::new());
    let engine = SyncEngine::new(store.clone());
    let Ok(report) = block_on(engine.execute(&plan, true)) else {
        assert_untouched(&store, &plan);
        return;
    };
    assert_eq!(report.created, plan.creates.len());
    for create in &plan.creates {
        let task = &create.task;
        assert_eq!(task.scope, plan.scope, "a plan wrote outside its scope");
        assert_eq!(
            task.source, plan.source,
            "a plan wrote another source's task"
        );
        assert_eq!(task.id, Task::hub_id(&task.source, &task.external_id));
        let scope = block_on(store.snapshot(task.scope.clone())).expect("snapshot");
        assert!(
            scope.tasks.iter().any(|t| t.id == task.id),
            "created task `{}` is not in scope `{}`",
            task.id,
            task.scope
        );
    }
});

/// Nothing in the plan's scope or in a scope one of its creates names.
fn assert_untouched(store: &MemoryStore, plan: &Plan) {
    let scopes = std::iter::once(&plan.scope).chain(plan.creates.iter().map(|c| &c.task.scope));
    for scope in scopes {
        let snapshot = block_on(store.snapshot(scope.clone())).expect("snapshot");
        assert!(
            snapshot.tasks.is_empty(),
            "a refused plan wrote into `{scope}`"
        );
        assert_eq!(snapshot.version, 0, "a refused plan moved `{scope}`");
    }
}
