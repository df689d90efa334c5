//! tasksync binding for uniffi: Kotlin, Swift, Python (and any other uniffi language).
//!
//! Thin: conversion and error mapping only; every behaviour is the core's. The modules mirror
//! `sync-core`'s, file for file and folder for folder: `model`, `input`, `diff`, `engine`,
//! `store` (`job`, `job_store`), `clock`, `provider`, `transition`, `retry` (`target`,
//! `outbox`, `lifecycle`, `dead`, `worker`, `backoff`, `breaker`, `limiter`), `session`,
//! `history` (`model`, `cancel`, `store`), `pull`, `limits`, `event`, `log` (the core's log lines to a host sink), `error`, `manifest` (the
//! core's operation list, for the bindings' coverage tests) and `conformance` for the core's
//! store suites; `providers` and `fs` mirror the built-in crates (`sync_providers::config`,
//! `sync_fs`).
//!
//! Shapes: records and enums for the model, objects for the engine, the stores and the worker,
//! `async` methods (on tokio) for everything that touches a store or a provider, and foreign
//! traits (`with_foreign`) for host-implemented task stores, job stores, session stores,
//! providers, token refreshers, clocks, event sinks and history stores (blocking or async).
//! Invariants: one error type crosses the boundary, [`TasksyncError`], whose variant is
//! the core's error kind; a panic never crosses it (uniffi catches it and raises its internal
//! error, and no code here unwraps host input).
#![deny(missing_docs)]

// mimalloc for the core's allocations: a sync builds and drops hundreds of thousands of small
// strings and maps, and glibc's malloc spent a third of a 100,000-task preview + execute in
// malloc/free and fresh-page faults (BENCHMARKS.md). Host allocations are not affected.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

uniffi::setup_scaffolding!();

mod clock;
mod conformance;
mod diff;
mod engine;
mod error;
mod event;
mod fs;
mod history;
mod input;
mod limits;
mod log;
mod manifest;
mod model;
mod provider;
mod providers;
mod pull;
mod retry;
mod session;
mod store;
mod transition;

pub use clock::{Clock, ManualClock, SystemClock};
pub use conformance::{
    history_store_conformance_cases, job_store_conformance_cases, run_history_store_conformance,
    run_job_store_conformance, run_session_store_conformance, run_task_store_conformance,
    session_store_conformance_cases, task_store_conformance_cases,
};
pub use diff::{
    Conflict, ConflictStrategy, Delete, DeleteReason, FieldChange, KindCounts, Mismatch, Plan,
    PlanCounts, Policy, Rebase, Resolution, SkipReason, Skipped, Update, VerifyReport,
    default_policy,
};
pub use engine::{ExecuteReport, SyncEngine};
pub use error::{ProviderError, TasksyncError, panic_for_tests};
pub use event::EventSink;
pub use fs::{FileProblem, FolderReport, FolderSource};
pub use history::store::{AsyncHistoryStore, HistoryStore};
pub use history::{
    Actor, AuditAction, AuditEntry, AuditPage, CancelToken, Counters, History, HistoryStats, Item,
    ItemOutcome, ItemPage, Run, RunContext, RunKind, RunPage, RunStatus,
};
pub use limits::{Limits, default_limits};
pub use log::{LogSink, log_for_tests, set_log_sink};
pub use manifest::manifest;
pub use model::{
    DesiredTask, Listing, Status, Task, TaskContent, hub_id, status_is_terminal, task_from_desired,
};
pub use provider::{
    BlockingTokenRefresher, Provider, PushReceipt, StatusPush, TokenRefresher,
    check_token_refresher, list_from,
};
pub use providers::builtin_provider;
pub use pull::{PullReport, PullTotals, Puller};
pub use retry::{
    Backoff, Breaker, BreakerConfig, BreakerState, DeadLetters, DeadPolicy, Outcome, RateLimiter,
    RateLimiterConfig, StatusChangeReport, StatusService, StopSignal, Target, TargetDecision,
    TickReport, Worker, WorkerConfig, backoff_delay_ms, classify, max_delay_ms, target_from_json,
};
pub use session::{
    Cycle, CycleTime, ServerTime, Session, SessionEngine, SessionState, SessionStatus,
    SessionStore, server_time,
};
pub use store::job::{
    JobQuery, JobState, JobWrite, QueuedJob, SyncStatus, TargetSyncStatus, claimed_job,
    sync_status_of,
};
pub use store::job_store::JobStore;
pub use store::{
    Applied, ChangeSet, HubStore, Identity, ScopeGuard, ScopeSnapshot, ScopeVersion, TaskStore,
    TaskWrite,
};
pub use transition::{
    MappedStatus, ProviderKind, StatusChange, StatusMapping, TransitionRules, transition_allowed,
};

/// The stable code a binding gives an error of this kind (`stale_plan`, ...).
pub fn error_code(kind: sync_core::ErrorKind) -> &'static str {
    kind.code()
}
