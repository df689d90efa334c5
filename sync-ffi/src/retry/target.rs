//! The targets a status service sends to (mirrors `sync_core::retry`'s target): the
//! [`Target`] record and [`target_from_json`] (a target as a host's configuration file writes
//! it). Both become a core target through the core's `TargetSpec`, so uniffi refuses exactly
//! what Python and Node refuse: an empty name or source, an attempt budget of zero, names over
//! the limits, and (in the JSON form) unknown keys.

use sync_core::retry::TargetSpec;

use crate::error::{TasksyncError, guard};
use crate::transition::ProviderKind;

/// A provider that receives the status changes of its tasks.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Target {
    /// Provider name (the worker routes jobs by it).
    pub name: String,
    /// Which built-in status mapping shapes its payloads.
    pub kind: ProviderKind,
    /// Attempt budget of its jobs (`None`: the worker's backoff budget, by default the first
    /// call and 5 retries).
    #[uniffi(default = None)]
    pub max_attempts: Option<u32>,
    /// The task sources it receives (empty: the source of its own name); a target listing
    /// other sources mirrors their tasks' status changes.
    #[uniffi(default)]
    pub sources: Vec<String>,
}

impl From<Target> for TargetSpec {
    fn from(t: Target) -> Self {
        TargetSpec {
            name: t.name,
            kind: t.kind.into(),
            max_attempts: t.max_attempts,
            sources: t.sources,
        }
    }
}

impl From<TargetSpec> for Target {
    fn from(t: TargetSpec) -> Self {
        Target {
            name: t.name,
            kind: t.kind.into(),
            max_attempts: t.max_attempts,
            sources: t.sources,
        }
    }
}

impl TryFrom<Target> for sync_core::retry::Target {
    type Error = TasksyncError;

    /// The core's target, checked by the core (`InvalidInput` naming what is wrong).
    fn try_from(t: Target) -> Result<Self, TasksyncError> {
        Ok(TargetSpec::from(t).into_target()?)
    }
}

/// A target from its JSON form, `{"name": "mstodo", "kind": "ms_todo", "max_attempts": 5,
/// "sources": ["files"]}` (`maxAttempts` is accepted too), read and checked by the core: an
/// unknown key, a wrong type or a target the core refuses is `InvalidInput` naming it.
#[uniffi::export]
pub fn target_from_json(json: String) -> Result<Target, TasksyncError> {
    guard(|| {
        let spec: TargetSpec = sync_core::input::from_json("target", &json)?;
        spec.clone().into_target()?;
        Ok(spec.into())
    })
}
