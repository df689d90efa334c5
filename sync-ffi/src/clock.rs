//! The clock: a [`Clock`] foreign trait so a host can drive time (tests, simulations); without
//! one, objects use the system clock. Invariant: time is integer milliseconds since the epoch.

use std::sync::Arc;

/// A source of "now", in milliseconds since the epoch. Called on hot paths: keep it cheap.
#[uniffi::export(with_foreign)]
pub trait Clock: Send + Sync {
    /// Now, in ms.
    fn now_ms(&self) -> i64;
}

/// The core's `Clock` over a host's.
struct Foreign(Arc<dyn Clock>);

impl sync_core::Clock for Foreign {
    fn now_ms(&self) -> sync_core::Millis {
        self.0.now_ms()
    }
}

/// The host's clock, or the system clock.
pub(crate) fn core_clock(clock: Option<Arc<dyn Clock>>) -> Arc<dyn sync_core::Clock> {
    match clock {
        Some(clock) => Arc::new(Foreign(clock)),
        None => Arc::new(sync_core::SystemClock),
    }
}
