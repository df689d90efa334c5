//! Wake hints: how a store tells idle workers that jobs may have become due, so a status
//! change reaches a worker at once instead of after its poll interval.
//!
//! A hint is only a hint: a worker that misses one (another host, a dropped notification)
//! still finds the job at its next poll, so the queue never depends on a hint arriving. A
//! store raises it after a change set that writes jobs commits (in process), or when it hears
//! of one from another instance (PostgreSQL `LISTEN`/`NOTIFY`).
//!
//! Invariant: no hint raised after [`WakeHint::seen`] is lost for a waiter that passes that
//! reading to [`WakeHint::raised_since`], however the two race.

use std::sync::atomic::{AtomicU64, Ordering};

use event_listener::{Event, Listener};

/// A counter of raised hints and the waiters on it. Runtime-free: its futures run on any
/// executor.
#[derive(Debug, Default)]
pub struct WakeHint {
    count: AtomicU64,
    event: Event,
}

impl WakeHint {
    /// A hint never raised.
    pub fn new() -> Self {
        Self::default()
    }

    /// Raises the hint: every waiter wakes.
    pub fn raise(&self) {
        self.count.fetch_add(1, Ordering::SeqCst);
        self.event.notify(usize::MAX);
    }

    /// The number of hints raised so far; pass it to [`WakeHint::raised_since`].
    pub fn seen(&self) -> u64 {
        self.count.load(Ordering::SeqCst)
    }

    /// Resolves once a hint was raised after the reading `seen` (at once if one was).
    pub async fn raised_since(&self, seen: u64) {
        loop {
            if self.seen() != seen {
                return;
            }
            let listener = self.event.listen();
            if self.seen() != seen {
                return;
            }
            listener.await;
        }
    }

    /// Blocks this thread until a hint was raised after `seen`, or `timeout` passed; says
    /// whether one was.
    pub fn wait_since(&self, seen: u64, timeout: std::time::Duration) -> bool {
        if self.seen() != seen {
            return true;
        }
        let listener = self.event.listen();
        if self.seen() != seen {
            return true;
        }
        listener.wait_timeout(timeout).is_some() || self.seen() != seen
    }
}
