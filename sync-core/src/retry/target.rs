//! The target a host configures: the input form of a [`Target`], one shape for every binding.
//!
//! Invariant: unknown keys are refused (see [`crate::input`]), and a spec becomes a `Target`
//! only with a non-empty name and sources within the [`limits`](crate::limits) and an attempt
//! budget of at least one.

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::transition::{ProviderKind, StatusMapping};

use super::outbox::Target;

/// A target as a host writes it: `{"name": "mstodo", "kind": "ms_todo", "max_attempts": 5,
/// "sources": ["files"]}` (`maxAttempts` is accepted too; `sources`: the task sources it
/// mirrors, default its own name).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetSpec {
    /// The provider name.
    pub name: String,
    /// Which provider's status mapping applies.
    pub kind: ProviderKind,
    /// The attempt budget of its jobs (default: the target default).
    #[serde(default, alias = "maxAttempts")]
    pub max_attempts: Option<u32>,
    /// The task sources it mirrors (default: its own name).
    #[serde(default)]
    pub sources: Vec<String>,
}

impl TargetSpec {
    /// The target, or `InvalidInput` naming what is wrong.
    pub fn into_target(self) -> Result<Target> {
        let target = Target {
            name: self.name,
            sources: self.sources,
            mapping: StatusMapping::new(self.kind),
            max_attempts: self.max_attempts,
        };
        target.validate()?;
        Ok(target)
    }
}
