//! The store conformance suite: the behaviour every [`TaskStore`] must show, written once.
//!
//! Each case is an async function over a fresh, empty store, returning `Err(message)` on the
//! first broken expectation. Cases need no particular runtime, so Rust stores (through
//! [`task_store_conformance!`](crate::task_store_conformance)) and host stores written in Python
//! or JavaScript (through the bindings' `run_store_conformance`) run the very same checks.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde_json::json;

use crate::model::{DesiredTask, Status, Task};
use crate::store::{ChangeSet, RefusedInsert, ScopeGuard, StoreError, TaskStore, TaskWrite};

/// A boxed case future.
pub type CaseFuture = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;
/// One conformance case: a name and a function of a fresh store.
pub type Case = CaseOf<dyn TaskStore>;
/// One case of any suite: a name and a function of a fresh store of type `S`.
pub type CaseOf<S> = (&'static str, fn(Arc<S>) -> CaseFuture);

macro_rules! ensure {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err(format!($($msg)+));
        }
    };
}

fn task(scope: &str, external_id: &str) -> Task {
    let desired = DesiredTask::new(external_id, format!("Task {external_id}"))
        .kind("feature")
        .parent("root")
        .field("priority", 2)
        .field("labels", json!(["a", "ü", {"nested": [1, 2.5, null]}]));
    Task::from_desired(scope, "src", &desired, 1_000)
}

fn insert(tasks: &[&Task]) -> ChangeSet {
    let writes = tasks
        .iter()
        .map(|t| TaskWrite::Insert { task: (*t).clone() })
        .collect();
    ChangeSet {
        jobs: Vec::new(),
        guards: Vec::new(),
        tasks: writes,
    }
}

fn updated(task: &Task, title: &str) -> Task {
    Task {
        title: title.into(),
        version: task.version + 1,
        updated_at: 2_000,
        ..task.clone()
    }
}

fn conflict<T: std::fmt::Debug>(result: Result<T, StoreError>, what: &str) -> Result<(), String> {
    match result {
        Err(StoreError::Conflict(_)) => Ok(()),
        other => Err(format!("{what}: expected a conflict, got {other:?}")),
    }
}

/// An insert refused by a unique key: [`StoreError::Duplicate`] naming that insert, or (for a
/// store that cannot tell which insert) [`StoreError::Conflict`].
fn refused<T: std::fmt::Debug>(
    result: Result<T, StoreError>,
    insert: &Task,
    what: &str,
) -> Result<(), String> {
    let named = |r: &RefusedInsert| r == &RefusedInsert::of(insert, r.detail.clone());
    match result {
        Err(StoreError::Conflict(_)) => Ok(()),
        Err(StoreError::Duplicate(r)) if named(&r) => Ok(()),
        other => Err(format!("{what}: expected a refused insert, got {other:?}")),
    }
}

async fn tasks_of(store: &dyn TaskStore, scope: &str) -> Result<Vec<Task>, String> {
    let mut tasks = store
        .snapshot(scope.into())
        .await
        .map_err(|e| e.to_string())?
        .tasks;
    tasks.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(tasks)
}

async fn version(store: &dyn TaskStore, scope: &str) -> Result<u64, String> {
    store
        .scope_version(scope.into())
        .await
        .map_err(|e| e.to_string())
}

async fn empty_scope(store: Arc<dyn TaskStore>) -> Result<(), String> {
    let snapshot = store
        .snapshot("nowhere".into())
        .await
        .map_err(|e| e.to_string())?;
    ensure!(
        snapshot.version == 0 && snapshot.tasks.is_empty(),
        "empty scope: {snapshot:?}"
    );
    ensure!(
        version(&*store, "nowhere").await? == 0,
        "empty scope version is not 0"
    );
    let got = store
        .get("missing".into())
        .await
        .map_err(|e| e.to_string())?;
    ensure!(got.is_none(), "get of a missing id returned {got:?}");
    Ok(())
}

async fn insert_round_trips(store: Arc<dyn TaskStore>) -> Result<(), String> {
    let (a, mut b) = (task("s", "a"), task("s", "b"));
    b.status = Status::InProgress;
    b.parent = None;
    b.base = None;
    b.title = "Ünïcødé ✓ \"quoted\" 'single' \n newline".into();
    let applied = store
        .apply(insert(&[&a, &b]))
        .await
        .map_err(|e| e.to_string())?;
    ensure!(
        applied.scope_versions == vec![("s".to_owned(), 1)],
        "applied: {applied:?}"
    );
    let mut expected = vec![a.clone(), b.clone()];
    expected.sort_by(|x, y| x.id.cmp(&y.id));
    let got = tasks_of(&*store, "s").await?;
    ensure!(
        got == expected,
        "snapshot differs:\n got {got:?}\nwant {expected:?}"
    );
    let one = store.get(a.id.clone()).await.map_err(|e| e.to_string())?;
    ensure!(one.as_ref() == Some(&a), "get returned {one:?}");
    Ok(())
}

async fn update_checks_version(store: Arc<dyn TaskStore>) -> Result<(), String> {
    let a = task("s", "a");
    store
        .apply(insert(&[&a]))
        .await
        .map_err(|e| e.to_string())?;
    let a2 = updated(&a, "renamed");
    let write = TaskWrite::Update {
        task: a2.clone(),
        expected_version: 1,
    };
    store
        .apply(ChangeSet {
            jobs: Vec::new(),
            guards: vec![],
            tasks: vec![write.clone()],
        })
        .await
        .map_err(|e| e.to_string())?;
    ensure!(
        tasks_of(&*store, "s").await? == vec![a2.clone()],
        "update not applied"
    );
    // The same write again expects version 1, but the record is at 2 now.
    conflict(
        store
            .apply(ChangeSet {
                jobs: Vec::new(),
                guards: vec![],
                tasks: vec![write],
            })
            .await,
        "stale update",
    )?;
    ensure!(
        tasks_of(&*store, "s").await? == vec![a2],
        "stale update changed the record"
    );
    ensure!(
        version(&*store, "s").await? == 2,
        "a refused set moved the scope version"
    );
    let ghost = TaskWrite::Update {
        task: updated(&task("s", "ghost"), "x"),
        expected_version: 1,
    };
    conflict(
        store
            .apply(ChangeSet {
                jobs: Vec::new(),
                guards: vec![],
                tasks: vec![ghost],
            })
            .await,
        "update of a missing task",
    )?;
    Ok(())
}

async fn delete_checks_version(store: Arc<dyn TaskStore>) -> Result<(), String> {
    let a = task("s", "a");
    store
        .apply(insert(&[&a]))
        .await
        .map_err(|e| e.to_string())?;
    let stale = TaskWrite::Delete {
        id: a.id.clone(),
        scope: "s".into(),
        expected_version: 7,
    };
    conflict(
        store
            .apply(ChangeSet {
                jobs: Vec::new(),
                guards: vec![],
                tasks: vec![stale],
            })
            .await,
        "stale delete",
    )?;
    let ok = TaskWrite::Delete {
        id: a.id.clone(),
        scope: "s".into(),
        expected_version: 1,
    };
    store
        .apply(ChangeSet {
            jobs: Vec::new(),
            guards: vec![],
            tasks: vec![ok.clone()],
        })
        .await
        .map_err(|e| e.to_string())?;
    ensure!(
        tasks_of(&*store, "s").await?.is_empty(),
        "delete not applied"
    );
    let found = store
        .find_identities("src".into(), vec!["a".into()])
        .await
        .map_err(|e| e.to_string())?;
    ensure!(
        found.is_empty(),
        "a deleted identity is still found: {found:?}"
    );
    conflict(
        store
            .apply(ChangeSet {
                jobs: Vec::new(),
                guards: vec![],
                tasks: vec![ok],
            })
            .await,
        "delete of a deleted task",
    )?;
    Ok(())
}

async fn failed_set_writes_nothing(store: Arc<dyn TaskStore>) -> Result<(), String> {
    let a = task("s", "a");
    store
        .apply(insert(&[&a]))
        .await
        .map_err(|e| e.to_string())?;
    let (b, c) = (task("s", "b"), task("s", "c"));
    let set = ChangeSet {
        jobs: Vec::new(),
        guards: vec![],
        tasks: vec![
            TaskWrite::Insert { task: b.clone() },
            TaskWrite::Update {
                task: updated(&a, "first"),
                expected_version: 1,
            },
            TaskWrite::Insert { task: c.clone() },
            // Conflicts: the set's own update moved `a` to version 2.
            TaskWrite::Update {
                task: updated(&a, "second"),
                expected_version: 1,
            },
        ],
    };
    conflict(store.apply(set).await, "a set with one bad write")?;
    ensure!(
        tasks_of(&*store, "s").await? == vec![a],
        "a failed set left writes behind"
    );
    ensure!(
        version(&*store, "s").await? == 1,
        "a failed set moved the scope version"
    );
    Ok(())
}

async fn scope_guard_is_checked(store: Arc<dyn TaskStore>) -> Result<(), String> {
    let (a, b) = (task("s", "a"), task("s", "b"));
    store
        .apply(insert(&[&a]))
        .await
        .map_err(|e| e.to_string())?;
    let guarded = |expected_version| ChangeSet {
        jobs: Vec::new(),
        guards: vec![ScopeGuard {
            scope: "s".into(),
            expected_version,
        }],
        tasks: vec![TaskWrite::Insert { task: b.clone() }],
    };
    conflict(
        store.apply(guarded(0)).await,
        "a guard on an old scope version",
    )?;
    ensure!(
        tasks_of(&*store, "s").await?.len() == 1,
        "a guard failure wrote"
    );
    let applied = store.apply(guarded(1)).await.map_err(|e| e.to_string())?;
    ensure!(
        applied.scope_versions == vec![("s".to_owned(), 2)],
        "applied: {applied:?}"
    );
    Ok(())
}

async fn identity_is_unique(store: Arc<dyn TaskStore>) -> Result<(), String> {
    let a = task("s", "a");
    store
        .apply(insert(&[&a]))
        .await
        .map_err(|e| e.to_string())?;
    refused(
        store.apply(insert(&[&a])).await,
        &a,
        "inserting an existing id",
    )?;
    let twin = Task {
        id: "other-id".into(),
        scope: "elsewhere".into(),
        ..a.clone()
    };
    refused(
        store.apply(insert(&[&twin])).await,
        &twin,
        "inserting an existing (source, external_id)",
    )?;
    ensure!(
        version(&*store, "elsewhere").await? == 0,
        "a refused insert created its scope"
    );
    Ok(())
}

async fn delete_then_insert_in_one_set(store: Arc<dyn TaskStore>) -> Result<(), String> {
    let a = task("s", "a");
    store
        .apply(insert(&[&a]))
        .await
        .map_err(|e| e.to_string())?;
    let fresh = Task {
        title: "recreated".into(),
        created_at: 5_000,
        ..a.clone()
    };
    let set = ChangeSet {
        jobs: Vec::new(),
        guards: vec![ScopeGuard {
            scope: "s".into(),
            expected_version: 1,
        }],
        tasks: vec![
            TaskWrite::Delete {
                id: a.id.clone(),
                scope: "s".into(),
                expected_version: 1,
            },
            TaskWrite::Insert {
                task: fresh.clone(),
            },
        ],
    };
    store.apply(set).await.map_err(|e| e.to_string())?;
    ensure!(
        tasks_of(&*store, "s").await? == vec![fresh],
        "overwrite did not recreate the task"
    );
    ensure!(
        version(&*store, "s").await? == 2,
        "one set must bump the scope version once"
    );
    Ok(())
}

async fn scopes_are_isolated(store: Arc<dyn TaskStore>) -> Result<(), String> {
    let (a, b) = (task("one", "a"), task("two", "b"));
    store
        .apply(insert(&[&a]))
        .await
        .map_err(|e| e.to_string())?;
    store
        .apply(insert(&[&b]))
        .await
        .map_err(|e| e.to_string())?;
    store
        .apply(ChangeSet {
            jobs: Vec::new(),
            guards: vec![],
            tasks: vec![TaskWrite::Update {
                task: updated(&b, "b2"),
                expected_version: 1,
            }],
        })
        .await
        .map_err(|e| e.to_string())?;
    ensure!(
        tasks_of(&*store, "one").await? == vec![a],
        "scope `one` sees other tasks"
    );
    ensure!(
        version(&*store, "one").await? == 1,
        "a write to `two` moved `one`"
    );
    ensure!(
        version(&*store, "two").await? == 2,
        "scope `two` version wrong"
    );
    let found = store
        .find_identities("src".into(), vec!["a".into(), "b".into(), "zzz".into()])
        .await
        .map_err(|e| e.to_string())?;
    let mut scopes: Vec<(String, String)> = found
        .into_iter()
        .map(|i| (i.external_id, i.scope))
        .collect();
    scopes.sort();
    let want = vec![
        ("a".to_owned(), "one".to_owned()),
        ("b".to_owned(), "two".to_owned()),
    ];
    ensure!(scopes == want, "find_identities: {scopes:?}");
    Ok(())
}

async fn concurrent_sets_one_wins(store: Arc<dyn TaskStore>) -> Result<(), String> {
    let a = task("s", "a");
    store
        .apply(insert(&[&a]))
        .await
        .map_err(|e| e.to_string())?;
    let attempt = |title: &str| ChangeSet {
        jobs: Vec::new(),
        guards: vec![ScopeGuard {
            scope: "s".into(),
            expected_version: 1,
        }],
        tasks: vec![TaskWrite::Update {
            task: updated(&a, title),
            expected_version: 1,
        }],
    };
    let (x, y) = futures::future::join(store.apply(attempt("x")), store.apply(attempt("y"))).await;
    let wins = [x.is_ok(), y.is_ok()].iter().filter(|ok| **ok).count();
    ensure!(wins == 1, "two sets on one version: {x:?} / {y:?}");
    ensure!(
        version(&*store, "s").await? == 2,
        "scope version after one win"
    );
    Ok(())
}

async fn large_values_survive(store: Arc<dyn TaskStore>) -> Result<(), String> {
    let mut a = task("s", &"x".repeat(crate::diff::MAX_ID_BYTES));
    a.title = "é".repeat(crate::diff::MAX_TITLE_BYTES / 2);
    a.fields.insert(
        "blob".into(),
        json!({"deep": [[[[{"k": "v"}]]]], "n": -1.5e300}),
    );
    store
        .apply(insert(&[&a]))
        .await
        .map_err(|e| e.to_string())?;
    ensure!(
        tasks_of(&*store, "s").await? == vec![a],
        "large values did not round trip"
    );
    Ok(())
}

async fn empty_set_is_a_no_op(store: Arc<dyn TaskStore>) -> Result<(), String> {
    store
        .apply(ChangeSet::default())
        .await
        .map_err(|e| e.to_string())?;
    ensure!(
        version(&*store, "s").await? == 0,
        "an empty set created a scope"
    );
    Ok(())
}

macro_rules! cases {
    ($($name:ident),* $(,)?) => {
        /// Every case, by name.
        pub const CASES: &[Case] = &[$((stringify!($name), |s| Box::pin($name(s)))),*];
    };
}

cases![
    empty_scope,
    insert_round_trips,
    update_checks_version,
    delete_checks_version,
    failed_set_writes_nothing,
    scope_guard_is_checked,
    identity_is_unique,
    delete_then_insert_in_one_set,
    scopes_are_isolated,
    concurrent_sets_one_wins,
    large_values_survive,
    empty_set_is_a_no_op,
];

/// Runs every case, each on a fresh store from `make`; returns the failures by case name.
pub async fn run_all<F>(make: F) -> Vec<(&'static str, String)>
where
    F: Fn() -> Arc<dyn TaskStore>,
{
    run_cases(CASES, make).await
}

/// Runs `cases`, each on a fresh store from `make`; returns the failures by case name. The
/// one runner of every suite here (task, job, history and session stores).
pub async fn run_cases<S: ?Sized>(
    cases: &[CaseOf<S>],
    make: impl Fn() -> Arc<S>,
) -> Vec<(&'static str, String)> {
    let mut failures = Vec::new();
    for (name, case) in cases {
        if let Err(message) = case(make()).await {
            failures.push((*name, message));
        }
    }
    failures
}

/// The names of `cases`, in order: what a binding lists to its host's test framework.
pub fn case_names<S: ?Sized>(cases: &[CaseOf<S>]) -> Vec<String> {
    cases.iter().map(|(name, _)| (*name).to_owned()).collect()
}

/// The case of `cases` named `name`, for a binding that runs one case at a time.
pub fn find_case<S: ?Sized>(cases: &[CaseOf<S>], name: &str) -> Option<fn(Arc<S>) -> CaseFuture> {
    cases
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, case)| *case)
}

#[doc(hidden)]
pub use futures::executor::block_on as __block_on;

/// Generates one `#[test]` per conformance case for a store built by `$make` (an expression
/// giving an `Arc<dyn TaskStore>`, evaluated once per test). Cases run on a simple executor;
/// pass a runner (`|future| runtime.block_on(future)`) for stores that need a specific runtime.
#[macro_export]
macro_rules! task_store_conformance {
    ($make:expr) => {
        $crate::task_store_conformance!($make, $crate::conformance::__block_on);
    };
    ($make:expr, $run:expr) => {
        $crate::task_store_conformance!(@cases $make, $run;
            empty_scope, insert_round_trips, update_checks_version, delete_checks_version,
            failed_set_writes_nothing, scope_guard_is_checked, identity_is_unique,
            delete_then_insert_in_one_set, scopes_are_isolated, concurrent_sets_one_wins,
            large_values_survive, empty_set_is_a_no_op);
    };
    (@cases $make:expr, $run:expr; $($name:ident),*) => {
        $(
            #[test]
            fn $name() {
                let case = $crate::conformance::CASES
                    .iter()
                    .find(|(n, _)| *n == stringify!($name))
                    .expect("a conformance case listed in the macro")
                    .1;
                let store: ::std::sync::Arc<dyn $crate::TaskStore> = $make;
                if let Err(message) = ($run)(case(store)) {
                    panic!("store conformance `{}` failed: {}", stringify!($name), message);
                }
            }
        )*
        #[test]
        fn conformance_macro_lists_every_case() {
            let listed = [$(stringify!($name)),*];
            for (name, _) in $crate::conformance::CASES {
                assert!(listed.contains(name), "case `{name}` is missing from the macro");
            }
        }
    };
}
