//! tasksync binding for uniffi: Kotlin, Swift, Python (and any other uniffi language).
//!
//! Thin: conversion and error mapping only; every behaviour is the core's. The modules mirror
//! `sync-core`'s, file for file (`model`, `diff`, `engine`, `store`, `clock`, `provider`,
//! `transition`, `retry`, `error`); `json` is the binding's plumbing for free-form JSON values.
//!
//! Shapes: records and enums for the model, objects for the engine, the stores and the worker,
//! `async` methods (on tokio) for everything that touches a store or a provider, and foreign
//! traits (`with_foreign`) for host-implemented task stores, providers, token refreshers and
//! clocks. Invariants: one error type crosses the boundary, [`TasksyncError`], whose variant is
//! the core's error kind; a panic never crosses it (uniffi catches it and raises its internal
//! error, and no code here unwraps host input).
#![deny(missing_docs)]

uniffi::setup_scaffolding!();

mod clock;
mod diff;
mod engine;
mod error;
mod json;
mod model;
mod provider;
mod retry;
mod store;
mod transition;

pub use clock::Clock;
pub use diff::{
    Conflict, ConflictStrategy, Delete, DeleteReason, FieldChange, KindCounts, Mismatch, Plan,
    PlanCounts, Policy, Rebase, Resolution, SkipReason, Skipped, Update, VerifyReport,
    default_policy,
};
pub use engine::{ExecuteReport, SyncEngine};
pub use error::{ProviderError, TasksyncError};
pub use model::{DesiredTask, Listing, Status, Task, TaskContent, hub_id};
pub use provider::{
    Provider, PushReceipt, StatusPush, TokenRefresher, check_token_refresher, list_from,
};
pub use retry::{
    DeadPolicy, JobQuery, JobState, QueuedJob, StatusChangeReport, StatusService, SyncStatus,
    Target, TargetSyncStatus, TickReport, Worker, WorkerConfig,
};
pub use store::{
    Applied, ChangeSet, HubStore, Identity, ScopeGuard, ScopeSnapshot, ScopeVersion, TaskStore,
    TaskWrite,
};
pub use transition::{ProviderKind, StatusChange, transition_allowed};

/// The stable code a binding gives an error of this kind (`stale_plan`, ...).
pub fn error_code(kind: sync_core::ErrorKind) -> &'static str {
    kind.code()
}
