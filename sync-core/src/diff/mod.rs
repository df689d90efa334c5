//! Diff: from a scope's stored tasks and a source's listing to a [`Plan`], and back to a
//! consistency report.
//!
//! What it owns: the comparison (field by field, three-way when a base is known), the policies
//! that decide what a sync may write, and the plan token.
//!
//! Invariants:
//! - Computing a plan is pure and deterministic: the same snapshot, listing and policy give the
//!   same plan and the same token, in any process and any binding.
//! - A plan never contains a write to a task the policy protects, a delete derived from an
//!   incomplete listing, a mass deletion without `force_deletes`, or a create for an identity
//!   that already exists anywhere in the store.
//! - The token fingerprints the scope version the plan was computed from and every write in it;
//!   [`crate::SyncEngine::execute`] refuses a plan whose writes no longer match its token, and the
//!   store refuses it when the scope moved on (stale plan).

mod compute;
mod fingerprint;
mod merge;
mod plan;
mod policy;
mod verify;

pub use compute::compute;
pub(crate) use compute::recount;
pub(crate) use fingerprint::token;
pub use plan::{
    Conflict, Create, Delete, DeleteReason, FieldChange, KindCounts, Plan, PlanCounts, Rebase,
    Resolution, SkipReason, Skipped, Update,
};
pub use policy::{ConflictStrategy, Policy};
pub use verify::{MAX_ID_BYTES, MAX_TITLE_BYTES, Mismatch, VerifyReport, verify};
pub(crate) use verify::{validate_listing, validate_plan};
