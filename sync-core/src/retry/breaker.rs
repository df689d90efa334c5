//! A per-provider circuit breaker: closed, open, half-open.

use serde::{Deserialize, Serialize};

use crate::model::Millis;

/// When a breaker opens and how long it stays open.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BreakerConfig {
    /// Consecutive failures that open the breaker.
    pub failure_threshold: u32,
    /// How long it stays open before letting one trial call through.
    pub open_ms: u64,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        BreakerConfig {
            failure_threshold: 5,
            open_ms: 30_000,
        }
    }
}

/// The breaker's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum BreakerState {
    /// Calls flow; counts consecutive failures.
    Closed {
        /// Consecutive failures so far.
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
}

impl Breaker {
    /// A closed breaker.
    pub fn new(config: BreakerConfig) -> Self {
        Breaker {
            config,
            state: BreakerState::Closed { failures: 0 },
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
            BreakerState::HalfOpen => Err(now.saturating_add(1_000)),
        }
    }

    /// Records a call's success.
    pub fn on_success(&mut self) {
        self.state = BreakerState::Closed { failures: 0 };
    }

    /// Records a call's failure at `now` (only failures that say the provider is unwell count:
    /// timeouts, 5xx; a 4xx says nothing about the provider's health).
    pub fn on_failure(&mut self, now: Millis) {
        let open = BreakerState::Open {
            until: now.saturating_add(self.config.open_ms as Millis),
        };
        self.state = match self.state {
            BreakerState::Closed { failures } if failures + 1 >= self.config.failure_threshold => {
                open
            }
            BreakerState::Closed { failures } => BreakerState::Closed {
                failures: failures + 1,
            },
            BreakerState::HalfOpen | BreakerState::Open { .. } => open,
        };
    }
}
