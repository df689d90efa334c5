//! Provider gates in the store: the shared state of each provider's circuit breaker and rate
//! limiter, so that every worker instance on one store obeys one breaker and one rate limit,
//! and a 429 seen by one instance pauses the provider for all of them.
//!
//! A gate store *stores*: a gate's body is opaque JSON that the core's rules
//! ([`retry::gate`](crate::retry)) read and write; a store keeps one row per provider and
//! writes it only with a compare-and-swap on its version.
//!
//! Contract, checked by the gate conformance suite:
//! - `gate` returns the stored record of a provider, or `None` if none was ever written.
//! - `put_gate` with `expected_version == 0` inserts the first record (version 1) and fails
//!   with [`StoreError::Conflict`] if one exists; otherwise it replaces the record whose
//!   version is `expected_version` with `body` at version `expected_version + 1`, and fails
//!   with [`StoreError::Conflict`] (writing nothing) when the stored version differs or no
//!   record exists.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::error::StoreError;

/// The most bytes a gate body may have (a breaker counts at most a few job ids).
pub const MAX_GATE_BODY: usize = 64 * 1024;

/// One provider's stored gate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GateRecord {
    /// The provider (a job's `target`).
    pub target: String,
    /// 1 for the first write, +1 on every write.
    pub version: u64,
    /// The gate's state as JSON, written and read by the core only.
    pub body: String,
}

/// Where the shared provider gates live. See the module doc for the contract.
#[async_trait]
pub trait GateStore: Send + Sync {
    /// The stored gate of `target`, if any.
    async fn gate(&self, target: String) -> Result<Option<GateRecord>, StoreError>;

    /// Writes `body` as the gate of `target` if its stored version is `expected_version` (0:
    /// no record yet); [`StoreError::Conflict`] otherwise.
    async fn put_gate(
        &self,
        target: String,
        body: String,
        expected_version: u64,
    ) -> Result<(), StoreError>;
}

/// Gates kept in this process's memory: what a worker uses when its store keeps none, and
/// what [`MemoryStore`](crate::MemoryStore) keeps. Instances sharing one `LocalGates` share
/// their gates; other processes do not see them.
#[derive(Debug, Default)]
pub struct LocalGates {
    gates: std::sync::Mutex<std::collections::HashMap<String, GateRecord>>,
}

impl LocalGates {
    /// No gates yet.
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl GateStore for LocalGates {
    async fn gate(&self, target: String) -> Result<Option<GateRecord>, StoreError> {
        let gates = self.gates.lock().unwrap_or_else(|p| p.into_inner());
        Ok(gates.get(&target).cloned())
    }

    async fn put_gate(
        &self,
        target: String,
        body: String,
        expected_version: u64,
    ) -> Result<(), StoreError> {
        let mut gates = self.gates.lock().unwrap_or_else(|p| p.into_inner());
        let stored = gates.get(&target).map_or(0, |g| g.version);
        if stored != expected_version {
            return Err(StoreError::Conflict(format!(
                "gate `{}` is at version {stored}, not {expected_version}",
                crate::text::clip(&target)
            )));
        }
        let version = expected_version + 1;
        gates.insert(
            target.clone(),
            GateRecord {
                target,
                version,
                body,
            },
        );
        Ok(())
    }
}
