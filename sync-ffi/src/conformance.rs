//! The core's store conformance suites, runnable from Kotlin, Swift or Python against any store
//! the binding wraps (in particular a host-implemented one), one case at a time so that each
//! case gets a fresh store: `*ConformanceCases()` lists a suite's case names, and
//! `run*Conformance(name, ...)` runs one case and returns null on success or the failure
//! message.
//!
//! Suites and what they run against: the task store suite (`sync_core::conformance`) on a
//! `HubStore`; the job store suite (`sync_core::retry::conformance`) on a job-keeping
//! `HubStore` (memory, SQLite, PostgreSQL or `foreignQueue`); the session store suite on a
//! `SessionEngine`'s store; the history store suite on a `History`'s store.
//!
//! Invariants: the cases are the core's own (`sync_core`), never copies; an unknown case name
//! is `InvalidInput`, as is the job suite on a store that keeps no jobs.

use std::sync::Arc;

use sync_core::conformance::{CaseFuture, CaseOf, case_names, find_case};

use crate::error::{TasksyncError, guard_future};
use crate::history::History;
use crate::session::SessionEngine;
use crate::store::HubStore;

/// The case of `suite` named `name`, or `InvalidInput`.
fn case<S: ?Sized>(
    suite: &str,
    cases: &[CaseOf<S>],
    name: &str,
) -> Result<fn(Arc<S>) -> CaseFuture, TasksyncError> {
    find_case(cases, name)
        .ok_or_else(|| TasksyncError::invalid(format!("no {suite} conformance case `{name}`")))
}

/// The names of the task store conformance cases.
#[uniffi::export]
pub fn task_store_conformance_cases() -> Vec<String> {
    case_names(sync_core::conformance::CASES)
}

/// Runs one task store case on `store` (give it a fresh, empty one); null on success, else the
/// failure.
#[uniffi::export(async_runtime = "tokio")]
pub async fn run_task_store_conformance(
    name: String,
    store: Arc<HubStore>,
) -> Result<Option<String>, TasksyncError> {
    guard_future(async move {
        let run = case("task store", sync_core::conformance::CASES, &name)?;
        Ok(run(store.tasks.clone()).await.err())
    })
    .await
}

/// The names of the job store (outbound queue) conformance cases.
#[uniffi::export]
pub fn job_store_conformance_cases() -> Vec<String> {
    case_names(sync_core::retry::conformance::CASES)
}

/// Runs one job store case on `store` (fresh, empty, keeping jobs); null on success, else the
/// failure.
#[uniffi::export(async_runtime = "tokio")]
pub async fn run_job_store_conformance(
    name: String,
    store: Arc<HubStore>,
) -> Result<Option<String>, TasksyncError> {
    guard_future(async move {
        let run = case("job store", sync_core::retry::conformance::CASES, &name)?;
        Ok(run(store.queue_store()?).await.err())
    })
    .await
}

/// The names of the session store conformance cases.
#[uniffi::export]
pub fn session_store_conformance_cases() -> Vec<String> {
    case_names(sync_core::session::conformance::CASES)
}

/// Runs one session store case on `engine`'s store (fresh, empty); null on success, else the
/// failure.
#[uniffi::export(async_runtime = "tokio")]
pub async fn run_session_store_conformance(
    name: String,
    engine: Arc<SessionEngine>,
) -> Result<Option<String>, TasksyncError> {
    guard_future(async move {
        let run = case(
            "session store",
            sync_core::session::conformance::CASES,
            &name,
        )?;
        Ok(run(engine.1.clone()).await.err())
    })
    .await
}

/// The names of the history store conformance cases.
#[uniffi::export]
pub fn history_store_conformance_cases() -> Vec<String> {
    case_names(sync_core::history::conformance::CASES)
}

/// Runs one history store case on `history`'s store (fresh, empty; the cases use the store
/// directly, not the pump); null on success, else the failure.
#[uniffi::export(async_runtime = "tokio")]
pub async fn run_history_store_conformance(
    name: String,
    history: Arc<History>,
) -> Result<Option<String>, TasksyncError> {
    guard_future(async move {
        let run = case(
            "history store",
            sync_core::history::conformance::CASES,
            &name,
        )?;
        Ok(run(history.store.clone()).await.err())
    })
    .await
}
