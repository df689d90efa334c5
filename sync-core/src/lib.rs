#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

pub mod clock;
pub mod diff;
pub mod engine;
pub mod error;
pub mod event;
pub mod history;
pub mod input;
pub mod limits;
pub mod log;
pub mod manifest;
pub mod memory;
pub mod model;
pub mod provider;
pub mod pull;
pub mod retry;
pub mod session;
pub mod state;
pub mod store;
mod text;
pub mod transition;

#[cfg(feature = "conformance")]
pub mod conformance;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;

pub use clock::{Clock, FallibleClock, HostClock, ManualClock, SystemClock};
pub use diff::{
    Conflict, ConflictStrategy, Create, Delete, DeleteReason, FieldChange, Plan, PlanCounts,
    Policy, Rebase, Resolution, SkipReason, Skipped, Update, VerifyReport,
};
pub use engine::{ExecuteReport, SyncEngine};
pub use error::{Error, ErrorKind, Result};
pub use event::{CollectingSink, Event, EventSink, NullSink};
pub use history::{
    AuditEntry, CancelToken, HistoryPump, HistoryRecorder, HistoryStore, MemoryHistoryStore,
    RunOptions,
};
pub use limits::Limits;
pub use memory::MemoryStore;
pub use model::{DesiredTask, Fields, Listing, Millis, Status, Task, TaskContent};
pub use provider::{
    ProviderClient, ProviderDetails, ProviderError, PushReceipt, Secret, StatusPush, TokenRefresher,
};
pub use retry::{Job, JobState, JobStore, StatusService, SyncStatus, Worker, WorkerConfig};
pub use session::{
    Cycle, CycleTime, MemorySessionStore, ServerTime, Session, SessionEngine, SessionState,
    SessionStatus, SessionStore, server_time,
};
pub use store::{
    Applied, ChangeSet, Identity, RefusedInsert, ScopeGuard, ScopeSnapshot, StoreError, TaskStore,
    TaskWrite,
};
