//! Where sessions are kept.
//!
//! Contract for every [`SessionStore`] (checked by the session conformance suite):
//! - [`SessionStore::insert`] fails with [`StoreError::Conflict`] if the id exists.
//! - [`SessionStore::update`] and [`SessionStore::delete`] are compare-and-swaps: they apply only
//!   if the stored session's version equals `expected_version`, and otherwise (or if it does not
//!   exist) fail with [`StoreError::Conflict`] and change nothing. `update` stores the session
//!   as given (the operations have already bumped its version).
//! - Of two concurrent updates expecting one version, exactly one succeeds.
//!
//! Arguments are owned and serializable so that a host object can implement the trait through a
//! binding.

use async_trait::async_trait;

use crate::store::StoreError;

use super::model::Session;

/// Where the hub keeps its sessions. See the module doc for the contract.
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// One session by id.
    async fn get(&self, id: String) -> Result<Option<Session>, StoreError>;

    /// Adds a new session; a conflict if the id exists.
    async fn insert(&self, session: Session) -> Result<(), StoreError>;

    /// Replaces the session with its id if its stored version is `expected_version`.
    async fn update(&self, session: Session, expected_version: u64) -> Result<(), StoreError>;

    /// Deletes the session if its stored version is `expected_version`.
    async fn delete(&self, id: String, expected_version: u64) -> Result<(), StoreError>;
}
