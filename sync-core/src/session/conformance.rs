//! The session store conformance suite: the behaviour every [`SessionStore`] must show.
//!
//! Like the task-store suite ([`crate::conformance`]), each case is an async function over a
//! fresh, empty store returning `Err(message)` on the first broken expectation, needing no
//! particular runtime; [`session_store_conformance!`](crate::session_store_conformance) turns
//! them into `#[test]`s.

use std::sync::Arc;

use crate::conformance::CaseFuture;
use crate::store::StoreError;

use super::model::{Cycle, Session};
use super::ops;
use super::store::SessionStore;

/// One session conformance case: a name and a function of a fresh store.
pub type SessionCase = (&'static str, fn(Arc<dyn SessionStore>) -> CaseFuture);

macro_rules! ensure {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err(format!($($msg)+));
        }
    };
}

fn session(id: &str) -> Session {
    let cycles = vec![
        Cycle::new("a", "Ünïcødé ✓ \"quoted\""),
        Cycle::new("b", "second\nline"),
        Cycle::new("c", ""),
    ];
    ops::create(id, cycles, 1_000).expect("a valid session")
}

fn conflict<T: std::fmt::Debug>(result: Result<T, StoreError>, what: &str) -> Result<(), String> {
    match result {
        Err(StoreError::Conflict(_)) => Ok(()),
        other => Err(format!("{what}: expected a conflict, got {other:?}")),
    }
}

async fn get(store: &dyn SessionStore, id: &str) -> Result<Option<Session>, String> {
    store.get(id.into()).await.map_err(|e| e.to_string())
}

async fn missing_get(store: Arc<dyn SessionStore>) -> Result<(), String> {
    let got = get(&*store, "missing").await?;
    ensure!(got.is_none(), "get of a missing id returned {got:?}");
    conflict(
        store.update(session("missing"), 1).await,
        "update of a missing session",
    )?;
    conflict(
        store.delete("missing".into(), 1).await,
        "delete of a missing session",
    )?;
    Ok(())
}

async fn insert_round_trips(store: Arc<dyn SessionStore>) -> Result<(), String> {
    let created = session("s1");
    store
        .insert(created.clone())
        .await
        .map_err(|e| e.to_string())?;
    let got = get(&*store, "s1").await?;
    ensure!(got.as_ref() == Some(&created), "get returned {got:?}");
    // A started, switched, paused session keeps every field too.
    let started = ops::start(&created, 2_000).map_err(|e| e.to_string())?;
    let switched = ops::switch(&started, Some("c"), 2_500).map_err(|e| e.to_string())?;
    let paused = ops::pause(&switched, 3_000).map_err(|e| e.to_string())?;
    let mut paused = paused;
    paused.id = "s2".into();
    store
        .insert(paused.clone())
        .await
        .map_err(|e| e.to_string())?;
    let got = get(&*store, "s2").await?;
    ensure!(got.as_ref() == Some(&paused), "get returned {got:?}");
    conflict(
        store.insert(created).await,
        "inserting an existing session id",
    )?;
    Ok(())
}

async fn update_checks_version(store: Arc<dyn SessionStore>) -> Result<(), String> {
    let created = session("s1");
    store
        .insert(created.clone())
        .await
        .map_err(|e| e.to_string())?;
    let started = ops::start(&created, 2_000).map_err(|e| e.to_string())?;
    store
        .update(started.clone(), 1)
        .await
        .map_err(|e| e.to_string())?;
    ensure!(
        get(&*store, "s1").await? == Some(started.clone()),
        "update not applied"
    );
    // The same update again expects version 1, but the session is at 2 now.
    let stale = ops::start(&created, 3_000).map_err(|e| e.to_string())?;
    conflict(store.update(stale, 1).await, "stale update")?;
    ensure!(
        get(&*store, "s1").await? == Some(started),
        "a stale update changed the session"
    );
    Ok(())
}

async fn delete_checks_version(store: Arc<dyn SessionStore>) -> Result<(), String> {
    let created = session("s1");
    store.insert(created).await.map_err(|e| e.to_string())?;
    conflict(store.delete("s1".into(), 7).await, "stale delete")?;
    ensure!(
        get(&*store, "s1").await?.is_some(),
        "a stale delete removed the session"
    );
    store
        .delete("s1".into(), 1)
        .await
        .map_err(|e| e.to_string())?;
    ensure!(get(&*store, "s1").await?.is_none(), "delete not applied");
    conflict(
        store.delete("s1".into(), 1).await,
        "delete of a deleted session",
    )?;
    // The id is free again.
    store
        .insert(session("s1"))
        .await
        .map_err(|e| e.to_string())?;
    Ok(())
}

async fn sessions_are_isolated(store: Arc<dyn SessionStore>) -> Result<(), String> {
    let (one, two) = (session("one"), session("two"));
    store.insert(one.clone()).await.map_err(|e| e.to_string())?;
    store.insert(two.clone()).await.map_err(|e| e.to_string())?;
    let started = ops::start(&two, 5_000).map_err(|e| e.to_string())?;
    store
        .update(started.clone(), 1)
        .await
        .map_err(|e| e.to_string())?;
    ensure!(
        get(&*store, "one").await? == Some(one),
        "an update of `two` changed `one`"
    );
    ensure!(
        get(&*store, "two").await? == Some(started),
        "`two` not updated"
    );
    Ok(())
}

async fn concurrent_updates_one_wins(store: Arc<dyn SessionStore>) -> Result<(), String> {
    let created = session("s1");
    store
        .insert(created.clone())
        .await
        .map_err(|e| e.to_string())?;
    let x = ops::start(&created, 2_000).map_err(|e| e.to_string())?;
    let y = ops::start(&created, 3_000).map_err(|e| e.to_string())?;
    let (rx, ry) =
        futures::future::join(store.update(x.clone(), 1), store.update(y.clone(), 1)).await;
    let wins = [rx.is_ok(), ry.is_ok()].iter().filter(|ok| **ok).count();
    ensure!(wins == 1, "two updates on one version: {rx:?} / {ry:?}");
    let winner = if rx.is_ok() { x } else { y };
    ensure!(
        get(&*store, "s1").await? == Some(winner),
        "the stored session is not the winner's"
    );
    Ok(())
}

macro_rules! cases {
    ($($name:ident),* $(,)?) => {
        /// Every session case, by name.
        pub const CASES: &[SessionCase] = &[$((stringify!($name), |s| Box::pin($name(s)))),*];
    };
}

cases![
    missing_get,
    insert_round_trips,
    update_checks_version,
    delete_checks_version,
    sessions_are_isolated,
    concurrent_updates_one_wins,
];

/// Runs every case, each on a fresh store from `make`; returns the failures by case name.
pub async fn run_all<F>(make: F) -> Vec<(&'static str, String)>
where
    F: Fn() -> Arc<dyn SessionStore>,
{
    crate::conformance::run_cases(CASES, make).await
}

/// Generates one `#[test]` per session conformance case for a store built by `$make` (an
/// expression giving an `Arc<dyn SessionStore>`, evaluated once per test). Cases run on a simple
/// executor; pass a runner (`|future| runtime.block_on(future)`) for stores that need one.
#[macro_export]
macro_rules! session_store_conformance {
    ($make:expr) => {
        $crate::session_store_conformance!($make, $crate::conformance::__block_on);
    };
    ($make:expr, $run:expr) => {
        $crate::session_store_conformance!(@cases $make, $run;
            missing_get, insert_round_trips, update_checks_version, delete_checks_version,
            sessions_are_isolated, concurrent_updates_one_wins);
    };
    (@cases $make:expr, $run:expr; $($name:ident),*) => {
        $(
            #[test]
            fn $name() {
                let case = $crate::session::conformance::CASES
                    .iter()
                    .find(|(n, _)| *n == stringify!($name))
                    .expect("a session conformance case listed in the macro")
                    .1;
                let store: ::std::sync::Arc<dyn $crate::SessionStore> = $make;
                if let Err(message) = ($run)(case(store)) {
                    panic!("session store conformance `{}` failed: {}", stringify!($name), message);
                }
            }
        )*
        #[test]
        fn session_conformance_macro_lists_every_case() {
            let listed = [$(stringify!($name)),*];
            for (name, _) in $crate::session::conformance::CASES {
                assert!(listed.contains(name), "case `{name}` is missing from the macro");
            }
        }
    };
}
