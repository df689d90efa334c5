//! A saved plan file (`tasksync preview --save`, read by `tasksync execute --plan`, and the
//! plan JSON the bindings accept). Reading never panics; a plan reads back equal from its own
//! JSON; a plan with a wrong token is refused and writes nothing; with its token recomputed
//! (as if a preview had made it) executing it on a hub never panics, and when it succeeds the
//! hub holds every created task.
#![no_main]

use std::sync::Arc;

use futures::executor::block_on;
use libfuzzer_sys::fuzz_target;
use sync_core::{ErrorKind, MemoryStore, Plan, SyncEngine, TaskStore};
use tasksync_fuzz::assert_json_round_trip;

fuzz_target!(|data: &[u8]| {
    let Ok(mut plan) = serde_json::from_slice::<Plan>(data) else {
        return;
    };
    assert_json_round_trip(&plan, "a plan");

    let store = Arc::new(MemoryStore::new());
    let engine = SyncEngine::new(store.clone());
    let unsealed = block_on(engine.execute(&plan, true));
    sync_core::fuzzing::seal(&mut plan);
    if let Err(err) = unsealed {
        // Wrong token (or an empty plan, which needs none): nothing may have been written.
        assert!(matches!(err.kind(), ErrorKind::InvalidInput), "{err}");
        let snapshot = block_on(store.snapshot(plan.scope.clone())).expect("snapshot");
        assert!(snapshot.tasks.is_empty(), "a refused plan wrote tasks");
    }
    let Ok(report) = block_on(engine.execute(&plan, true)) else {
        return;
    };
    assert_eq!(report.created, plan.creates.len());
    for create in &plan.creates {
        let task = &create.task;
        let scope = block_on(store.snapshot(task.scope.clone())).expect("snapshot");
        assert!(
            scope.tasks.iter().any(|t| t.id == task.id),
            "created task `{}` is not in scope `{}`",
            task.id,
            task.scope
        );
    }
});
