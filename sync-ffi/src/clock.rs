//! The clock (mirrors `sync_core::clock`): a [`Clock`] foreign trait so a host can drive time
//! (tests, simulations), and the core's [`ManualClock`] and [`SystemClock`] (`asClock()` makes
//! either a `Clock`); without one, objects use the system clock. Invariant: time is integer milliseconds since the epoch.
//!
//! A host clock may fail: it is declared fallible (like the event sink), so a clock that
//! throws, or answers something that is not a time, never becomes a Rust panic. The core's
//! `HostClock` turns the failure into a typed error (`TasksyncError.Store`, "the host clock
//! failed: ...") of the operation that asked for the time, before it writes anything.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use crate::error::{TasksyncError, panic_text};

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
        // A panic while the host's answer is lifted is a failed read, like a throw.
        match catch_unwind(AssertUnwindSafe(|| self.0.now_ms())) {
            Ok(answer) => answer.map_err(|err| err.to_string()),
            Err(payload) => Err(panic_text(&*payload)),
        }
    }
}

/// The host's clock, or the system clock.
pub(crate) fn core_clock(clock: Option<Arc<dyn Clock>>) -> Arc<dyn sync_core::Clock> {
    match clock {
        Some(clock) => Arc::new(sync_core::HostClock::new(Foreign(clock))),
        None => Arc::new(sync_core::SystemClock),
    }
}

/// A clock that moves only when told to (tests, simulations): the core's `ManualClock`. Pass
/// `asClock()` wherever a `Clock` is taken.
#[derive(Debug, uniffi::Object)]
pub struct ManualClock(Arc<sync_core::ManualClock>);

#[uniffi::export]
impl ManualClock {
    /// A clock showing `start` (ms since the epoch).
    #[uniffi::constructor(default(start = 0))]
    pub fn new(start: i64) -> Arc<Self> {
        Arc::new(ManualClock(Arc::new(sync_core::ManualClock::new(start))))
    }

    /// Now, in ms.
    pub fn now_ms(&self) -> i64 {
        sync_core::Clock::now_ms(&*self.0)
    }

    /// Moves the clock by `delta_ms` (negative moves it back).
    pub fn advance(&self, delta_ms: i64) {
        self.0.advance(delta_ms);
    }

    /// Sets the clock to `at`.
    pub fn set(&self, at: i64) {
        self.0.set(at);
    }

    /// This clock as a `Clock` (for engines, services, workers).
    pub fn as_clock(self: Arc<Self>) -> Arc<dyn Clock> {
        Arc::new(Core(self.0.clone()))
    }
}

/// The system's wall clock (the core's `SystemClock`, what every object uses without a clock).
#[derive(Debug, Default, uniffi::Object)]
pub struct SystemClock;

#[uniffi::export]
impl SystemClock {
    /// The wall clock.
    #[uniffi::constructor]
    pub fn new() -> Arc<Self> {
        Arc::new(SystemClock)
    }

    /// Now, in ms since the epoch.
    pub fn now_ms(&self) -> i64 {
        sync_core::Clock::now_ms(&sync_core::SystemClock)
    }

    /// This clock as a `Clock`.
    pub fn as_clock(self: Arc<Self>) -> Arc<dyn Clock> {
        Arc::new(Core(Arc::new(sync_core::SystemClock)))
    }
}

/// A core clock as a binding `Clock` (it never fails).
struct Core(Arc<dyn sync_core::Clock>);

impl Clock for Core {
    fn now_ms(&self) -> Result<i64, TasksyncError> {
        Ok(self.0.now_ms())
    }
}
