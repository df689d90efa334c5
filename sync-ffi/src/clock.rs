//! The clock: a [`Clock`] foreign trait so a host can drive time (tests, simulations); without
//! one, objects use the system clock. Invariant: time is integer milliseconds since the epoch.
//!
//! A host clock may fail: it is declared fallible (like the event sink), so a clock that
//! throws, or answers something that is not a time, never becomes a Rust panic. The core's
//! `HostClock` turns the failure into a typed error (`TasksyncError.Store`, "the host clock
//! failed: ...") of the operation that asked for the time, before it writes anything.

use std::sync::Arc;

use crate::error::TasksyncError;

/// A source of "now", in milliseconds since the epoch. Called on hot paths: keep it cheap.
#[uniffi::export(with_foreign)]
pub trait Clock: Send + Sync {
    /// Now, in ms. Throwing fails the operation that asked (nothing is written).
    // Fallible on purpose: for an infallible callback uniffi panics when the host throws.
    fn now_ms(&self) -> Result<i64, TasksyncError>;
}

/// The core's fallible host clock over a host's.
struct Foreign(Arc<dyn Clock>);

impl sync_core::FallibleClock for Foreign {
    fn read(&self) -> Result<sync_core::Millis, String> {
        self.0.now_ms().map_err(|err| err.to_string())
    }
}

/// The host's clock, or the system clock.
pub(crate) fn core_clock(clock: Option<Arc<dyn Clock>>) -> Arc<dyn sync_core::Clock> {
    match clock {
        Some(clock) => Arc::new(sync_core::HostClock::new(Foreign(clock))),
        None => Arc::new(sync_core::SystemClock),
    }
}
