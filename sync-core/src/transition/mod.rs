//! Transition: the status state machine and the per-provider status mappings.
//!
//! What it owns: which status changes are allowed (a declarative table), the guards that must
//! hold before one (e.g. a process step's dependencies are completed), the effects that follow
//! one (e.g. a process completes when its last step does), and how a hub status becomes a
//! provider's payload and back.
//!
//! Invariants:
//! - Planning a transition is pure: it reads the task and its siblings and returns every status
//!   change it implies (the requested one first, then effects), or a typed error naming both
//!   statuses; it never writes.
//! - Every mapping is declarative data, both ways, and captures what it overwrites ([`Undo`]), so
//!   a reopen restores exactly what the provider had before.

mod machine;
mod mapping;
mod time;

pub use machine::{Effect, Guard, StatusChange, TransitionError, TransitionRules};
pub use mapping::{MappedStatus, ProviderKind, StatusMapping, Undo};
pub use time::iso8601;
