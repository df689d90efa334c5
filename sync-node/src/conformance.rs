//! The core's store conformance suites, runnable from JS against any `Store` (in particular a
//! pure-JS one), one case at a time so each case gets a fresh store.
//!
//! Invariant: the cases are the core's own (`sync_core::conformance`), never copies.

use napi::Env;
use napi::bindgen_prelude::PromiseRaw;
use napi_derive::napi;

use sync_core::conformance::{case_names, find_case};

use crate::error::{guard, invalid};
use crate::store::Store;

/// The names of the task store conformance cases.
#[napi]
pub fn task_store_conformance_cases() -> Vec<String> {
    case_names(sync_core::conformance::CASES)
}

/// The names of the session store conformance cases.
#[napi]
pub fn session_store_conformance_cases() -> Vec<String> {
    case_names(sync_core::session::conformance::CASES)
}

/// Runs one task store case on `store` (fresh); resolves null on success, else the failure.
#[napi]
pub fn run_task_store_conformance<'env>(
    env: &'env Env,
    name: String,
    store: &Store,
) -> napi::Result<PromiseRaw<'env, Option<String>>> {
    let case = find_case(sync_core::conformance::CASES, &name)
        .ok_or_else(|| invalid(format!("no task store case `{name}`")))?;
    let tasks = store.tasks.clone();
    env.spawn_future(guard(async move { Ok(case(tasks).await.err()) }))
}

/// Runs one session store case on `store` (fresh); resolves null on success, else the failure.
#[napi]
pub fn run_session_store_conformance<'env>(
    env: &'env Env,
    name: String,
    store: &Store,
) -> napi::Result<PromiseRaw<'env, Option<String>>> {
    let case = find_case(sync_core::session::conformance::CASES, &name)
        .ok_or_else(|| invalid(format!("no session store case `{name}`")))?;
    let sessions = store.sessions.clone();
    env.spawn_future(guard(async move { Ok(case(sessions).await.err()) }))
}

/// The names of the job store (outbound queue) conformance cases.
#[napi]
pub fn job_store_conformance_cases() -> Vec<String> {
    case_names(sync_core::retry::conformance::CASES)
}

/// Runs one job store case on `store` (fresh, keeping jobs); resolves null on success, else
/// the failure.
#[napi]
pub fn run_job_store_conformance<'env>(
    env: &'env Env,
    name: String,
    store: &Store,
) -> napi::Result<PromiseRaw<'env, Option<String>>> {
    let case = find_case(sync_core::retry::conformance::CASES, &name)
        .ok_or_else(|| invalid(format!("no job store case `{name}`")))?;
    let queue = store.queue()?;
    env.spawn_future(guard(async move { Ok(case(queue).await.err()) }))
}

/// The names of the history store conformance cases.
#[napi]
pub fn history_store_conformance_cases() -> Vec<String> {
    case_names(sync_core::history::conformance::CASES)
}

/// Runs one history store case on `history`'s store (fresh); resolves null on success, else
/// the failure.
#[napi]
pub fn run_history_store_conformance<'env>(
    env: &'env Env,
    name: String,
    history: &crate::history::History,
) -> napi::Result<PromiseRaw<'env, Option<String>>> {
    let case = find_case(sync_core::history::conformance::CASES, &name)
        .ok_or_else(|| invalid(format!("no history store case `{name}`")))?;
    let store = history.store.clone();
    env.spawn_future(guard(async move { Ok(case(store).await.err()) }))
}

/// The names of the gate store (shared provider gates) conformance cases.
#[napi]
pub fn gate_store_conformance_cases() -> Vec<String> {
    case_names(sync_core::retry::conformance::gates::GATE_CASES)
}

/// Runs one gate store case on `store` (fresh, keeping gates); resolves null on success, else
/// the failure.
#[napi]
pub fn run_gate_store_conformance<'env>(
    env: &'env Env,
    name: String,
    store: &Store,
) -> napi::Result<PromiseRaw<'env, Option<String>>> {
    let case = find_case(sync_core::retry::conformance::gates::GATE_CASES, &name)
        .ok_or_else(|| invalid(format!("no gate store case `{name}`")))?;
    let gates = store.gates()?;
    env.spawn_future(guard(async move { Ok(case(gates).await.err()) }))
}
