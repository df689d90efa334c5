//! Replays the shared diff scenarios (`tests/scenarios/diff.json`) against the engine on the
//! memory store: preview must match the expectation, execute must apply it, and a second
//! preview must plan nothing.

use std::collections::BTreeMap;
use std::sync::Arc;

use futures::executor::block_on;
use serde::Deserialize;
use sync_core::{
    ChangeSet, DesiredTask, Listing, MemoryStore, Plan, Policy, SkipReason, Status, SyncEngine,
    Task, TaskContent, TaskStore, TaskWrite,
};

#[derive(Deserialize)]
struct Stored {
    #[serde(flatten)]
    desired: DesiredTask,
    hub_status: Status,
    base: Option<TaskContent>,
    scope: Option<String>,
    source: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Expect {
    creates: Vec<String>,
    updates: BTreeMap<String, Vec<String>>,
    deletes: Vec<String>,
    rebases: Vec<String>,
    skipped: BTreeMap<String, String>,
    conflicts: BTreeMap<String, Vec<String>>,
    counts: BTreeMap<String, usize>,
    after_execute_conflicts: usize,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    stored: Vec<Stored>,
    listing: Listing,
    #[serde(default)]
    policy: Option<Policy>,
    expect: Expect,
}

#[derive(Deserialize)]
struct Doc {
    cases: Vec<Case>,
}

fn reason_code(reason: &SkipReason) -> String {
    let json = serde_json::to_value(reason).unwrap();
    json["reason"].as_str().unwrap().to_owned()
}

fn check(case: &Case, plan: &Plan) {
    let name = &case.name;
    let e = &case.expect;
    let mut creates: Vec<&str> = plan
        .creates
        .iter()
        .map(|c| c.task.external_id.as_str())
        .collect();
    creates.sort();
    let mut want = e.creates.iter().map(String::as_str).collect::<Vec<_>>();
    want.sort();
    assert_eq!(creates, want, "{name}: creates");
    let updates: BTreeMap<String, Vec<String>> = plan
        .updates
        .iter()
        .map(|u| {
            (
                u.external_id.clone(),
                u.changes.iter().map(|c| c.field.clone()).collect(),
            )
        })
        .collect();
    assert_eq!(updates, e.updates, "{name}: updates");
    let mut deletes: Vec<&str> = plan
        .deletes
        .iter()
        .map(|d| d.external_id.as_str())
        .collect();
    deletes.sort();
    assert_eq!(
        deletes,
        e.deletes.iter().map(String::as_str).collect::<Vec<_>>(),
        "{name}: deletes"
    );
    let rebases: Vec<&str> = plan
        .rebases
        .iter()
        .map(|r| r.after.external_id.as_str())
        .collect();
    assert_eq!(
        rebases,
        e.rebases.iter().map(String::as_str).collect::<Vec<_>>(),
        "{name}: rebases"
    );
    let skipped: BTreeMap<String, String> = plan
        .skipped
        .iter()
        .map(|s| (s.external_id.clone(), reason_code(&s.reason)))
        .collect();
    assert_eq!(skipped, e.skipped, "{name}: skipped");
    let mut conflicts: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for c in &plan.conflicts {
        let resolution = serde_json::to_value(c.resolution).unwrap();
        let label = format!("{}:{}", c.field, resolution.as_str().unwrap());
        conflicts
            .entry(c.external_id.clone())
            .or_default()
            .push(label);
    }
    assert_eq!(conflicts, e.conflicts, "{name}: conflicts");
    let counts = serde_json::to_value(&plan.counts).unwrap();
    for (key, want) in &e.counts {
        assert_eq!(
            counts[key].as_u64(),
            Some(*want as u64),
            "{name}: counts.{key}"
        );
    }
}

fn seed(store: &MemoryStore, case: &Case) {
    let tasks = case.stored.iter().map(|s| {
        let source = s.source.as_deref().unwrap_or(&case.listing.source);
        let mut task =
            Task::from_desired(s.scope.as_deref().unwrap_or("s"), source, &s.desired, 100);
        task.status = s.hub_status;
        if let Some(base) = &s.base {
            task.base = Some(base.clone());
        }
        TaskWrite::Insert { task }
    });
    block_on(store.apply(ChangeSet {
        guards: vec![],
        jobs: vec![],
        tasks: tasks.collect(),
    }))
    .unwrap();
}

#[test]
fn shared_diff_scenarios() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/scenarios/diff.json");
    let doc: Doc = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert!(doc.cases.len() >= 15, "the scenario file lost cases");
    for case in &doc.cases {
        let store = Arc::new(MemoryStore::new());
        seed(&store, case);
        let engine = SyncEngine::new(store.clone());
        let policy = case.policy.clone().unwrap_or_default();
        let plan = block_on(engine.preview("s", &case.listing, &policy)).unwrap();
        check(case, &plan);
        block_on(engine.execute(&plan, true)).unwrap();
        // Overwrite recreates on every run by design; "nothing left" is judged in place.
        let in_place = Policy {
            overwrite: false,
            ..policy
        };
        let again = block_on(engine.preview("s", &case.listing, &in_place)).unwrap();
        assert!(
            again.is_empty(),
            "{}: second preview not empty: {again:#?}",
            case.name
        );
        assert_eq!(
            again.conflicts.len(),
            case.expect.after_execute_conflicts,
            "{}",
            case.name
        );
    }
}
