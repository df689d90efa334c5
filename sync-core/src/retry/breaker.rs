//! A per-provider circuit breaker: closed, open, half-open.
//!
//! The breaker judges the provider, not a job: while closed it counts consecutive failures of
//! *distinct* jobs, so one job failing through its whole retry schedule (6 attempts by
//! default) counts once and never opens the breaker by itself, whatever its attempt budget.
//! Failures of several different jobs in a row (5 by default) say the provider is unwell: the
//! breaker opens for `open_ms` (30 s by default), then lets one trial call through.

use serde::{Deserialize, Serialize};

use super::backoff::{check_delay, later};
use crate::model::Millis;

/// The most failed jobs a closed breaker remembers to count each job once. Past it the oldest
/// is forgotten (it may count again if it fails again), so a breaker, and the gate record it
/// is stored in, stays small whatever the threshold.
pub const MAX_TRACKED_FAILURES: usize = 256;

/// When a breaker opens and how long it stays open.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BreakerConfig {
    /// Consecutive failures of distinct jobs that open the breaker (at least 1).
    pub failure_threshold: u32,
    /// How long it stays open before letting one trial call through (at most
    /// [`MAX_DELAY_MS`](super::MAX_DELAY_MS)).
    pub open_ms: u64,
}

impl Default for BreakerConfig {
    /// Opens after 5 distinct jobs fail in a row, for 30 s.
    fn default() -> Self {
        BreakerConfig {
            failure_threshold: 5,
            open_ms: 30_000,
        }
    }
}

impl BreakerConfig {
    /// Checks the configuration.
    pub fn validate(&self) -> crate::Result<()> {
        if self.failure_threshold == 0 {
            return Err(crate::Error::invalid_input(
                "`breaker.failure_threshold` must be at least 1, got 0",
            ));
        }
        check_delay("breaker.open_ms", self.open_ms)
    }
}

/// The breaker's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum BreakerState {
    /// Calls flow; counts consecutive failures of distinct jobs.
    Closed {
        /// Consecutive failures so far (each job counted once).
        failures: u32,
    },
    /// Calls are refused until `until`.
    Open {
        /// When a trial call may go.
        until: Millis,
    },
    /// One trial call is in flight; its result closes or reopens the breaker.
    HalfOpen,
}

/// A circuit breaker driven by the caller's clock.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Breaker {
    /// Its configuration.
    pub config: BreakerConfig,
    /// Its state.
    pub state: BreakerState,
    /// The jobs counted in `Closed { failures }` since the last success.
    #[serde(default)]
    failed_jobs: Vec<String>,
}

impl Breaker {
    /// A closed breaker.
    pub fn new(config: BreakerConfig) -> Self {
        Breaker {
            config,
            state: BreakerState::Closed { failures: 0 },
            failed_jobs: Vec::new(),
        }
    }

    /// Asks to make a call at `now`: `Ok(())` to go ahead (an open breaker past its time turns
    /// half-open and lets this one trial through), `Err(until)` when the call must wait.
    pub fn try_acquire(&mut self, now: Millis) -> Result<(), Millis> {
        match self.state {
            BreakerState::Closed { .. } => Ok(()),
            BreakerState::Open { until } if now >= until => {
                self.state = BreakerState::HalfOpen;
                Ok(())
            }
            BreakerState::Open { until } => Err(until),
            // The trial call is still out: everyone else waits a moment.
            BreakerState::HalfOpen => Err(later(now, 1_000)),
        }
    }

    /// Records a call's success.
    pub fn on_success(&mut self) {
        self.state = BreakerState::Closed { failures: 0 };
        self.failed_jobs.clear();
    }

    /// Records a call's failure at `now` (only failures that say the provider is unwell count:
    /// timeouts, 5xx; a 4xx says nothing about the provider's health). `job` names the job
    /// the call was for: a job that already failed since the last success is not counted
    /// again. `None` (a call for no job) always counts.
    pub fn on_failure(&mut self, now: Millis, job: Option<&str>) {
        let failures = match self.state {
            BreakerState::Closed { failures } => failures,
            BreakerState::HalfOpen | BreakerState::Open { .. } => {
                self.open(now);
                return;
            }
        };
        if let Some(job) = job {
            if self.failed_jobs.iter().any(|j| j == job) {
                return;
            }
            if self.failed_jobs.len() >= MAX_TRACKED_FAILURES {
                self.failed_jobs.remove(0);
            }
            self.failed_jobs.push(job.to_owned());
        }
        let failures = failures.saturating_add(1);
        if failures >= self.config.failure_threshold {
            self.open(now);
        } else {
            self.state = BreakerState::Closed { failures };
        }
    }

    /// When a call must wait, without changing anything: `Some(until)` while open, `None`
    /// when closed, half-open or past its open time (only [`Breaker::try_acquire`] admits).
    pub fn blocked(&self, now: Millis) -> Option<Millis> {
        match self.state {
            BreakerState::Open { until } if now < until => Some(until),
            _ => None,
        }
    }

    /// How many failed jobs the breaker remembers (at most [`MAX_TRACKED_FAILURES`]).
    pub fn tracked_failures(&self) -> usize {
        self.failed_jobs.len()
    }

    fn open(&mut self, now: Millis) {
        self.state = BreakerState::Open {
            until: later(now, self.config.open_ms),
        };
        self.failed_jobs.clear();
    }
}
