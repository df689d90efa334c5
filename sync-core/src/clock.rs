//! Time: the only source of "now" in the core.
//!
//! Invariants: core logic never reads the wall clock itself; tests drive a [`ManualClock`].
//! A host's clock (Python, JavaScript, Kotlin...) can fail: wrapped in a [`HostClock`], its
//! failure is a typed error ([`Error::Store`], like any other failing host infrastructure) of
//! the operation that asked for the time, raised before that operation writes anything, and
//! never a panic.

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};

use crate::error::{Error, Result, clip};
use crate::model::Millis;

/// A source of time in integer milliseconds since the Unix epoch.
pub trait Clock: Send + Sync {
    /// Now.
    fn now_ms(&self) -> Millis;

    /// Now, or why the clock cannot tell. Every core operation takes its first reading through
    /// this, so a failing clock fails the operation before it reads or writes anything;
    /// readings later in the same operation (history and event timestamps) use
    /// [`Clock::now_ms`]. The default never fails.
    fn try_now_ms(&self) -> Result<Millis> {
        Ok(self.now_ms())
    }
}

/// A host's clock whose reading can fail (it raised, or answered something that is not an
/// integer number of milliseconds). Bindings implement it and wrap it in a [`HostClock`].
pub trait FallibleClock: Send + Sync {
    /// Now, or the host's failure, in words (never containing a secret).
    fn read(&self) -> std::result::Result<Millis, String>;
}

/// The core's [`Clock`] over a [`FallibleClock`]: [`Clock::try_now_ms`] reports a failure as
/// [`Error::Store`] ("the host clock failed: ..."); [`Clock::now_ms`], which cannot fail,
/// answers the last good reading instead (the system clock before the first), with a warning.
#[derive(Debug)]
pub struct HostClock<C> {
    clock: C,
    last: AtomicI64,
    read_once: AtomicBool,
}

impl<C: FallibleClock> HostClock<C> {
    /// Wraps a host's clock.
    pub fn new(clock: C) -> Self {
        HostClock {
            clock,
            last: AtomicI64::new(0),
            read_once: AtomicBool::new(false),
        }
    }

    fn read(&self) -> std::result::Result<Millis, String> {
        let now = self.clock.read()?;
        self.last.store(now, Ordering::Relaxed);
        self.read_once.store(true, Ordering::Relaxed);
        Ok(now)
    }
}

/// The error of a failing host clock.
pub fn host_clock_failed(detail: &str) -> Error {
    Error::Store(format!("the host clock failed: {}", clip(detail)))
}

impl<C: FallibleClock> Clock for HostClock<C> {
    fn now_ms(&self) -> Millis {
        self.read().unwrap_or_else(|detail| {
            tracing::warn!(error = %clip(&detail), "the host clock failed; using its last reading");
            if self.read_once.load(Ordering::Relaxed) {
                self.last.load(Ordering::Relaxed)
            } else {
                SystemClock.now_ms()
            }
        })
    }

    fn try_now_ms(&self) -> Result<Millis> {
        self.read().map_err(|detail| host_clock_failed(&detail))
    }
}

/// The system's wall clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> Millis {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
        // A clock before 1970 is a broken host; report the epoch rather than panic.
        now.map(|d| d.as_millis() as Millis).unwrap_or(0)
    }
}

/// A clock that moves only when told to.
#[derive(Debug, Default)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    /// A clock at `start`.
    pub fn new(start: Millis) -> Self {
        ManualClock(AtomicI64::new(start))
    }

    /// Moves the clock forward (or back, for a negative delta).
    pub fn advance(&self, delta_ms: i64) {
        self.0.fetch_add(delta_ms, Ordering::SeqCst);
    }

    /// Sets the clock.
    pub fn set(&self, at: Millis) {
        self.0.store(at, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> Millis {
        self.0.load(Ordering::SeqCst)
    }
}

/// The longest delay the queue ever waits: one day, in ms.
///
/// Configured durations (`Backoff::base_ms` and `max_ms`, `BreakerConfig::open_ms`,
/// `WorkerConfig::lease_ms`) above it are refused by their `validate`; a delay that comes from
/// outside at run time (a provider's `Retry-After`, a rate-limit pause) is clamped to it, so a
/// huge value never wraps into the past and never parks a provider for longer than a day.
pub const MAX_DELAY_MS: u64 = 86_400_000;

/// `now` plus `delay_ms`, the delay clamped to [`MAX_DELAY_MS`] and the sum saturating: the
/// queue's only way of computing "when".
pub fn later(now: Millis, delay_ms: u64) -> Millis {
    // MAX_DELAY_MS fits an i64 by far, so the cast is exact.
    now.saturating_add(delay_ms.min(MAX_DELAY_MS) as Millis)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    /// Answers 5, 6, 7... and fails on every third reading.
    struct Flaky(AtomicUsize);

    impl FallibleClock for Flaky {
        fn read(&self) -> std::result::Result<Millis, String> {
            let n = self.0.fetch_add(1, Ordering::SeqCst);
            if n % 3 == 2 {
                Err("ValueError: no time today".into())
            } else {
                Ok(5 + n as Millis)
            }
        }
    }

    #[test]
    fn a_failing_host_clock_is_a_typed_error_or_its_last_reading() {
        let clock = HostClock::new(Flaky(AtomicUsize::new(0)));
        assert_eq!(clock.try_now_ms().unwrap(), 5);
        assert_eq!(clock.now_ms(), 6);
        let err = clock.try_now_ms().unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Store);
        assert!(
            err.to_string()
                .contains("the host clock failed: ValueError"),
            "{err}"
        );
        assert_eq!(clock.now_ms(), 8);
        clock.clock.0.store(2, Ordering::SeqCst);
        assert_eq!(
            clock.now_ms(),
            8,
            "a failed reading answers the last good one"
        );
    }
}
