//! The gate store conformance suite: what every [`GateStore`] must do so that workers sharing
//! it share one breaker and one rate limit per provider (see [`crate::store::GateStore`]).

use std::sync::Arc;

use crate::store::{GateStore, StoreError};

/// One case: a name and a function of a fresh store.
pub type GateCase = crate::conformance::CaseOf<dyn GateStore>;

fn e(err: impl std::fmt::Display) -> String {
    err.to_string()
}

fn conflict<T: std::fmt::Debug>(result: Result<T, StoreError>, what: &str) -> Result<(), String> {
    match result {
        Err(StoreError::Conflict(_)) => Ok(()),
        other => Err(format!("{what}: expected a conflict, got {other:?}")),
    }
}

async fn body_of(store: &dyn GateStore, target: &str) -> Result<Option<(u64, String)>, String> {
    let record = store.gate(target.into()).await.map_err(e)?;
    if let Some(r) = &record {
        if r.target != target {
            return Err(format!("asked for gate `{target}`, got `{}`", r.target));
        }
    }
    Ok(record.map(|r| (r.version, r.body)))
}

async fn the_first_write_inserts(store: Arc<dyn GateStore>) -> Result<(), String> {
    if body_of(&*store, "todo").await?.is_some() {
        return Err("a fresh store has a gate".into());
    }
    store
        .put_gate("todo".into(), r#"{"a":1}"#.into(), 0)
        .await
        .map_err(e)?;
    let got = body_of(&*store, "todo").await?;
    if got != Some((1, r#"{"a":1}"#.into())) {
        return Err(format!("after the first write: {got:?}"));
    }
    let again = store.put_gate("todo".into(), r#"{"a":2}"#.into(), 0).await;
    conflict(again, "a second insert")?;
    let got = body_of(&*store, "todo").await?;
    if got != Some((1, r#"{"a":1}"#.into())) {
        return Err(format!("a refused insert changed the gate: {got:?}"));
    }
    Ok(())
}

async fn writes_compare_and_swap(store: Arc<dyn GateStore>) -> Result<(), String> {
    store
        .put_gate("cw".into(), "{}".into(), 0)
        .await
        .map_err(e)?;
    store
        .put_gate("cw".into(), r#"{"v":2}"#.into(), 1)
        .await
        .map_err(e)?;
    conflict(
        store
            .put_gate("cw".into(), r#"{"v":"stale"}"#.into(), 1)
            .await,
        "a write behind the stored version",
    )?;
    conflict(
        store
            .put_gate("cw".into(), r#"{"v":"ahead"}"#.into(), 7)
            .await,
        "a write ahead of the stored version",
    )?;
    let got = body_of(&*store, "cw").await?;
    if got != Some((2, r#"{"v":2}"#.into())) {
        return Err(format!("refused writes changed the gate: {got:?}"));
    }
    Ok(())
}

async fn gates_are_per_target(store: Arc<dyn GateStore>) -> Result<(), String> {
    store.put_gate("a".into(), "1".into(), 0).await.map_err(e)?;
    conflict(
        store.put_gate("b".into(), "2".into(), 1).await,
        "an update of a gate never written",
    )?;
    if body_of(&*store, "b").await?.is_some() {
        return Err("a refused update created a gate".into());
    }
    store.put_gate("b".into(), "2".into(), 0).await.map_err(e)?;
    store.put_gate("a".into(), "3".into(), 1).await.map_err(e)?;
    let (a, b) = (body_of(&*store, "a").await?, body_of(&*store, "b").await?);
    if a != Some((2, "3".into())) || b != Some((1, "2".into())) {
        return Err(format!("gates mixed up: a = {a:?}, b = {b:?}"));
    }
    Ok(())
}

async fn one_of_racing_writers_wins(store: Arc<dyn GateStore>) -> Result<(), String> {
    store.put_gate("p".into(), "0".into(), 0).await.map_err(e)?;
    let writes = (0..8).map(|i| store.put_gate("p".into(), format!("{i}"), 1));
    let results = futures::future::join_all(writes).await;
    let won: Vec<usize> = (0..8).filter(|i| results[*i].is_ok()).collect();
    if won.len() != 1 {
        return Err(format!(
            "{} of 8 racing writers won: {results:?}",
            won.len()
        ));
    }
    for r in &results {
        if let Err(err) = r {
            conflict::<()>(Err(err.clone()), "a losing writer")?;
        }
    }
    let got = body_of(&*store, "p").await?;
    if got != Some((2, format!("{}", won[0]))) {
        return Err(format!("the winner's write is not the stored one: {got:?}"));
    }
    Ok(())
}

async fn bodies_round_trip(store: Arc<dyn GateStore>) -> Result<(), String> {
    let ids: Vec<String> = (0..200).map(|i| format!("\"job-{i}-ü✓\\\"'\"")).collect();
    let body = format!(r#"{{"failed_jobs":[{}],"tat":1.5e3}}"#, ids.join(","));
    let target = "prov ü/✓ 'x'";
    store
        .put_gate(target.into(), body.clone(), 0)
        .await
        .map_err(e)?;
    let got = body_of(&*store, target).await?;
    if got != Some((1, body)) {
        return Err(format!("the body did not round-trip: {got:?}"));
    }
    Ok(())
}

/// Every case, by name.
pub const GATE_CASES: &[GateCase] = &[
    ("the_first_write_inserts", |s| {
        Box::pin(the_first_write_inserts(s))
    }),
    ("writes_compare_and_swap", |s| {
        Box::pin(writes_compare_and_swap(s))
    }),
    ("gates_are_per_target", |s| {
        Box::pin(gates_are_per_target(s))
    }),
    ("one_of_racing_writers_wins", |s| {
        Box::pin(one_of_racing_writers_wins(s))
    }),
    ("bodies_round_trip", |s| Box::pin(bodies_round_trip(s))),
];

/// Runs every gate case, each on a fresh store from `make`; returns the failures by name.
pub async fn run_gate_cases<F>(make: F) -> Vec<(&'static str, String)>
where
    F: Fn() -> Arc<dyn GateStore>,
{
    crate::conformance::run_cases(GATE_CASES, make).await
}

/// Generates one `#[test]` per gate store case for a store built by `$make` (an expression
/// giving an `Arc<dyn GateStore>`, evaluated once per test).
#[macro_export]
macro_rules! gate_store_conformance {
    ($make:expr) => {
        $crate::gate_store_conformance!(@cases $make;
            the_first_write_inserts, writes_compare_and_swap, gates_are_per_target,
            one_of_racing_writers_wins, bodies_round_trip);
    };
    (@cases $make:expr; $($name:ident),*) => {
        $(
            #[test]
            fn $name() {
                let case = $crate::retry::conformance::gates::GATE_CASES
                    .iter()
                    .find(|(n, _)| *n == stringify!($name))
                    .expect("a gate store case listed in the macro")
                    .1;
                let store: ::std::sync::Arc<dyn $crate::store::GateStore> = $make;
                if let Err(message) = $crate::conformance::__block_on(case(store)) {
                    panic!("gate store conformance `{}` failed: {}", stringify!($name), message);
                }
            }
        )*
        #[test]
        fn gate_store_macro_lists_every_case() {
            let listed = [$(stringify!($name)),*];
            for (name, _) in $crate::retry::conformance::gates::GATE_CASES {
                assert!(listed.contains(name), "case `{name}` is missing from the macro");
            }
        }
    };
}
