//! Errors: one variant per thing a caller can act on.
//!
//! Invariants: messages never contain secrets (providers strip tokens before building a
//! [`ProviderError`]); user input echoed back is clipped to [`CLIP`] characters; every variant
//! maps to exactly one [`ErrorKind`], which every binding maps to one exception/error class.
//! A panic caught at a binding's boundary becomes [`Error::from_panic`] (kind
//! [`ErrorKind::Internal`], code `internal`) in every binding, and a provider failure's
//! structured parts come from [`Error::provider_details`], so bindings never restate either.

use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::model::Status;
use crate::provider::{ProviderDetails, ProviderError};

/// The core's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

pub use crate::text::CLIP;
pub(crate) use crate::text::clip;

/// Everything that can go wrong, by what the caller can do about it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input is malformed or out of range; nothing was changed. Fix the input.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// `execute` was called without confirmation; nothing was changed. Ask the user.
    #[error("execution not confirmed: preview the plan and pass confirmed = true to apply it")]
    NotConfirmed,
    /// The scope changed since the plan was previewed; nothing was changed. Preview again.
    #[error("stale plan for scope `{scope}`: {detail}; preview again")]
    StalePlan {
        /// The scope whose state moved on.
        scope: String,
        /// What differed.
        detail: String,
    },
    /// A record changed under a write (its version moved); nothing was changed. Re-read, retry.
    #[error("version conflict: {0}")]
    Conflict(String),
    /// The store refuses to create a task although the hub shows its identity nowhere: its hub
    /// id is held by a record of another identity (one written by another tool, say), or the
    /// store's unique key is broader than its lookups. Nothing was changed. Previewing again
    /// plans the same create, which fails the same way: the record holding the key must be
    /// removed or changed first. Carries the refused identity (clipped).
    #[error(
        "identity conflict: {0}; previewing again plans the same create, so the record holding \
         its key must be removed or changed first"
    )]
    IdentityConflict(RefusedInsert),
    /// The operation is not allowed in the entity's current state; nothing was changed. Read
    /// the state and choose an operation it allows.
    #[error("cannot {operation} {entity}: it is {from}")]
    InvalidState {
        /// What was operated on, e.g. "session `s1`" (user input clipped).
        entity: String,
        /// The state it is in.
        from: String,
        /// The refused operation.
        operation: String,
    },
    /// The status state machine refuses a status change (no such edge, or a guard does not
    /// hold); nothing was changed. Never retryable: the same request fails the same way.
    #[error(transparent)]
    InvalidTransition(#[from] TransitionError),
    /// The named thing does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// The store failed; whatever the call was writing was not written. Retry later.
    #[error("store failure: {0}")]
    Store(String),
    /// An external system failed, with its failure class.
    #[error(transparent)]
    Provider(#[from] ProviderError),
    /// The run was cancelled through its cancel token before it wrote anything.
    #[error("cancelled: the run was stopped before it wrote anything")]
    Cancelled,
    /// A bug inside tasksync: a Rust panic caught at a binding's boundary, or a result that
    /// could not be encoded. Nothing half-done crossed the boundary; report it.
    #[error("internal error (a bug in tasksync): {0}")]
    Internal(String),
}

/// The kind of an [`Error`], stable across versions and bindings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// See [`Error::InvalidInput`].
    InvalidInput,
    /// See [`Error::NotConfirmed`].
    NotConfirmed,
    /// See [`Error::StalePlan`].
    StalePlan,
    /// See [`Error::Conflict`].
    Conflict,
    /// See [`Error::IdentityConflict`].
    IdentityConflict,
    /// See [`Error::InvalidState`].
    InvalidState,
    /// See [`Error::InvalidTransition`].
    InvalidTransition,
    /// See [`Error::NotFound`].
    NotFound,
    /// See [`Error::Store`].
    Store,
    /// See [`Error::Provider`].
    Provider,
    /// See [`Error::Cancelled`].
    Cancelled,
    /// See [`Error::Internal`].
    Internal,
}

impl ErrorKind {
    /// A stable snake_case code (`stale_plan`, ...), used as the `code` of binding errors.
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::InvalidInput => "invalid_input",
            ErrorKind::NotConfirmed => "not_confirmed",
            ErrorKind::StalePlan => "stale_plan",
            ErrorKind::Conflict => "conflict",
            ErrorKind::IdentityConflict => "identity_conflict",
            ErrorKind::InvalidState => "invalid_state",
            ErrorKind::InvalidTransition => "invalid_transition",
            ErrorKind::NotFound => "not_found",
            ErrorKind::Store => "store",
            ErrorKind::Provider => "provider",
            ErrorKind::Cancelled => "cancelled",
            ErrorKind::Internal => "internal",
        }
    }
}

impl Error {
    /// An [`Error::InvalidInput`].
    pub fn invalid_input(message: impl Into<String>) -> Self {
        Error::InvalidInput(message.into())
    }

    /// An [`Error::Internal`] (a bug inside tasksync), its detail clipped.
    pub fn internal(detail: impl AsRef<str>) -> Self {
        Error::Internal(clip(detail.as_ref()))
    }

    /// The error for a panic caught at a binding's boundary (`catch_unwind`'s payload): an
    /// [`Error::Internal`] carrying the panic message (clipped), the same in every binding.
    pub fn from_panic(payload: &(dyn std::any::Any + Send)) -> Self {
        let what = payload
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("unknown panic");
        Error::internal(format!("Rust panic: {what}"))
    }

    /// The structured parts of a provider failure (its class, HTTP status, retry delay), which
    /// every binding exposes as fields of its error; `None` for other errors.
    pub fn provider_details(&self) -> Option<ProviderDetails> {
        match self {
            Error::Provider(err) => Some(err.details()),
            _ => None,
        }
    }

    /// This error's kind.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::InvalidInput(_) => ErrorKind::InvalidInput,
            Error::NotConfirmed => ErrorKind::NotConfirmed,
            Error::StalePlan { .. } => ErrorKind::StalePlan,
            Error::Conflict(_) => ErrorKind::Conflict,
            Error::IdentityConflict(_) => ErrorKind::IdentityConflict,
            Error::InvalidState { .. } => ErrorKind::InvalidState,
            Error::InvalidTransition(_) => ErrorKind::InvalidTransition,
            Error::NotFound(_) => ErrorKind::NotFound,
            Error::Store(_) => ErrorKind::Store,
            Error::Provider(_) => ErrorKind::Provider,
            Error::Cancelled => ErrorKind::Cancelled,
            Error::Internal(_) => ErrorKind::Internal,
        }
    }
}

impl From<StoreError> for Error {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Conflict(detail) => Error::Conflict(detail),
            // Outside a sync's execute (which tells a lost race from a permanent refusal), a
            // taken key is a concurrent write that won.
            refused @ StoreError::Duplicate(_) => Error::Conflict(refused.to_string()),
            StoreError::Backend(message) => Error::Store(message),
        }
    }
}

/// A store's failure, by what the engine can do about it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum StoreError {
    /// A scope guard or version check failed; nothing was written.
    #[error("{0}")]
    Conflict(String),
    /// A unique key refused an insert: its hub id or its `(source, external_id)` is taken;
    /// nothing was written. The engine reads the identity back to tell a lost race (the
    /// identity now exists: the plan is stale) from a permanent refusal
    /// ([`crate::Error::IdentityConflict`]).
    #[error("{}", .0.clipped())]
    Duplicate(RefusedInsert),
    /// The backend failed (I/O, connection, corrupt data); nothing was written.
    #[error("{0}")]
    Backend(String),
}

/// An insert a store refused because a unique key is taken.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefusedInsert {
    /// The hub id the insert carried.
    pub id: String,
    /// The source of its identity.
    pub source: String,
    /// The external id of its identity.
    pub external_id: String,
    /// What holds the key, as far as the store can say.
    pub detail: String,
}

impl RefusedInsert {
    /// The same refusal with its identity clipped, as messages and errors carry it.
    pub fn clipped(&self) -> Self {
        RefusedInsert {
            source: clip(&self.source),
            external_id: clip(&self.external_id),
            ..self.clone()
        }
    }
}

impl std::fmt::Display for RefusedInsert {
    /// Names the identity and the hub id, then the store's detail. Shows the parts as they are:
    /// format [`RefusedInsert::clipped`] for a message.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "task `{}` (source `{}`, external id `{}`) cannot be inserted: {}",
            self.id, self.source, self.external_id, self.detail
        )
    }
}

/// Why a transition is refused. Never retryable: the same request fails the same way.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "error", rename_all = "snake_case")]
pub enum TransitionError {
    /// The state machine has no edge from `from` to `to`.
    #[error("invalid transition of task `{task}` from `{from}` to `{to}`")]
    Invalid {
        /// Hub id.
        task: String,
        /// Current status.
        from: Status,
        /// Requested status.
        to: Status,
    },
    /// A guard does not hold.
    #[error("task `{task}` cannot move from `{from}` to `{to}`: {reason}")]
    GuardFailed {
        /// Hub id.
        task: String,
        /// Current status.
        from: Status,
        /// Requested status.
        to: Status,
        /// What is missing.
        reason: String,
    },
}

/// Parses a status name; an unknown one is `InvalidInput` naming the known ones. (Written here
/// so the records of `model` import nothing.)
impl FromStr for Status {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Status::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| {
                let known: Vec<&str> = Status::ALL.iter().map(|s| s.as_str()).collect();
                Error::invalid_input(format!(
                    "unknown status `{}`; expected one of: {}",
                    clip(s),
                    known.join(", ")
                ))
            })
    }
}
