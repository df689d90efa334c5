//! Provider gates: the per-provider circuit breaker and rate limiter of every worker on one
//! [`GateStore`], so that instances on several machines obey one breaker and one rate limit,
//! and a 429 seen by one instance pauses the provider for all of them.
//!
//! A gate is one record per provider in the store (its body is this module's [`GateState`] as
//! JSON); every change is a read, the rule applied here, and a compare-and-swap write,
//! retried from a fresh read when another instance wrote first.
//!
//! Invariants:
//! - **Admission** ([`Gates::admit`]) happens once per provider per batch: the batch's jobs
//!   for that provider are admitted or deferred in claim order, exactly as if each asked the
//!   breaker and limiter in turn (the limiter first, then the breaker; an open breaker past its
//!   time lets one trial through). It writes only when the state changed (a token taken, a
//!   breaker turned half-open), so a healthy provider without a rate limit costs one read.
//! - **Results** ([`Gates::settle`]) fold into the stored state in the order they happened: a
//!   success closes the breaker, a failure that says the provider is unwell counts (each job
//!   once), a 429 pauses the provider for its `Retry-After`. Nothing is written when nothing
//!   changed.
//! - During a batch, a result that opens the breaker or pauses the provider also holds back
//!   the batch's jobs not yet called ([`Gates::blocked`]), with no store round trip.
//! - The configuration (thresholds, rates) is each worker's own; the store keeps only state.
//!   Times are the workers' clocks: instances should keep their clocks in sync.
//! - A gate body that cannot be read (written by a newer build, or damaged) is replaced by a
//!   fresh closed gate, with a warning: the breaker forgets, the queue never stops.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use super::breaker::{Breaker, BreakerConfig};
use super::limiter::{RateLimiter, RateLimiterConfig};
use crate::model::Millis;
use crate::provider::{ProviderError, PushReceipt};
use crate::store::{GateStore, StoreError};

/// How often a gate write that lost a race is retried from a fresh read.
const ATTEMPTS: usize = 16;

/// The stored state of one provider's gate.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GateState {
    /// The provider's breaker.
    pub breaker: Breaker,
    /// The provider's rate limiter (its pause holds even without a configured rate).
    pub limiter: RateLimiter,
}

/// What one call's result does to its provider's gate.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    /// The provider answered (applied, or refused the request: it is healthy).
    Healthy,
    /// A failure that says the provider is unwell, for this job.
    Unwell {
        /// The job the call was for (counted once).
        job: String,
    },
    /// A 429: the provider is up but busy; pause it.
    RateLimited {
        /// Its `Retry-After`.
        retry_after_ms: u64,
    },
}

impl Effect {
    /// The effect of a call's result.
    pub fn of(result: &Result<PushReceipt, ProviderError>, job: &str) -> Effect {
        match result {
            Ok(_) | Err(ProviderError::Rejected { .. } | ProviderError::TokenExpired { .. }) => {
                Effect::Healthy
            }
            Err(ProviderError::RateLimited { retry_after_ms, .. }) => Effect::RateLimited {
                retry_after_ms: *retry_after_ms,
            },
            Err(_) => Effect::Unwell {
                job: job.to_owned(),
            },
        }
    }

    fn apply(&self, state: &mut GateState, now: Millis) {
        match self {
            Effect::Healthy => state.breaker.on_success(),
            Effect::Unwell { job } => state.breaker.on_failure(now, Some(job)),
            Effect::RateLimited { retry_after_ms } => {
                state.limiter.pause(now, *retry_after_ms);
                // The provider answered: it is up, only busy.
                state.breaker.on_success();
            }
        }
    }
}

/// The gates of one worker: the shared store, the worker's policies, and what this worker
/// learned during its current batch.
pub(crate) struct Gates {
    store: Arc<dyn GateStore>,
    breaker: BreakerConfig,
    limiter: Option<RateLimiterConfig>,
    /// Per provider, the state as last read or written by this worker.
    seen: Mutex<HashMap<String, GateState>>,
}

impl Gates {
    pub(crate) fn new(
        store: Arc<dyn GateStore>,
        breaker: BreakerConfig,
        limiter: Option<RateLimiterConfig>,
    ) -> Self {
        Gates {
            store,
            breaker,
            limiter,
            seen: Mutex::new(HashMap::new()),
        }
    }

    fn fresh(&self, now: Millis) -> GateState {
        GateState {
            breaker: Breaker::new(self.breaker.clone()),
            limiter: RateLimiter::new(
                self.limiter
                    .clone()
                    .unwrap_or_else(RateLimiterConfig::unlimited),
                now,
            ),
        }
    }

    /// The stored state of `target` (with this worker's policies) and its version.
    async fn load(&self, target: &str, now: Millis) -> Result<(GateState, u64), StoreError> {
        let Some(record) = self.store.gate(target.to_owned()).await? else {
            return Ok((self.fresh(now), 0));
        };
        let state = match serde_json::from_str::<GateState>(&record.body) {
            Ok(mut state) => {
                state.breaker.config = self.breaker.clone();
                state.limiter.config = self
                    .limiter
                    .clone()
                    .unwrap_or_else(RateLimiterConfig::unlimited);
                state
            }
            Err(err) => {
                tracing::warn!(target = %target, error = %err,
                    "unreadable provider gate replaced by a closed one");
                self.fresh(now)
            }
        };
        Ok((state, record.version))
    }

    /// Reads, changes with `change` and writes back `target`'s gate, retrying lost races;
    /// writes nothing when `change` leaves the state as it was. Returns `change`'s answer.
    async fn update<T>(
        &self,
        target: &str,
        now: Millis,
        change: impl Fn(&mut GateState) -> T,
    ) -> Result<T, StoreError> {
        for _ in 0..ATTEMPTS {
            let (before, version) = self.load(target, now).await?;
            let mut after = before.clone();
            let answer = change(&mut after);
            if after == before && version > 0 {
                self.remember(target, after);
                return Ok(answer);
            }
            let body = serde_json::to_string(&after)
                .map_err(|e| StoreError::Backend(format!("cannot encode a provider gate: {e}")))?;
            match self.store.put_gate(target.to_owned(), body, version).await {
                Ok(()) => {
                    self.remember(target, after);
                    return Ok(answer);
                }
                Err(StoreError::Conflict(_)) => continue,
                Err(err) => return Err(err),
            }
        }
        Err(StoreError::Conflict(format!(
            "provider gate `{}` lost {ATTEMPTS} races in a row with other workers",
            crate::error::clip(target)
        )))
    }

    fn remember(&self, target: &str, state: GateState) {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        seen.insert(target.to_owned(), state);
    }

    /// Admits up to `n` calls to `target` at `now`: per call in order, `Ok(())` to go ahead or
    /// `Err(until)` to defer it until then (see the module doc).
    pub(crate) async fn admit(
        &self,
        target: &str,
        n: usize,
        now: Millis,
    ) -> Result<Vec<Result<(), Millis>>, StoreError> {
        let limited = self.limiter.is_some();
        self.update(target, now, |state| {
            (0..n)
                .map(|_| {
                    if limited {
                        state.limiter.try_acquire(now)?;
                    } else if let Some(until) = state.limiter.paused(now) {
                        return Err(until);
                    }
                    state.breaker.try_acquire(now)
                })
                .collect()
        })
        .await
    }

    /// Whether this worker learned during its batch that calls to `target` must wait (an open
    /// breaker or a pause): `Some(until)`. No store round trip.
    pub(crate) fn blocked(&self, target: &str, now: Millis) -> Option<Millis> {
        let seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        let state = seen.get(target)?;
        state
            .limiter
            .paused(now)
            .or_else(|| state.breaker.blocked(now))
    }

    /// Records one result in this worker's view at once (so the batch's later calls see it).
    pub(crate) fn note(&self, target: &str, effect: &Effect, now: Millis) {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(state) = seen.get_mut(target) {
            effect.apply(state, now);
        }
    }

    /// Folds a batch's results for `target`, in the order they happened, into the stored gate.
    pub(crate) async fn settle(
        &self,
        target: &str,
        effects: &[(Effect, Millis)],
    ) -> Result<(), StoreError> {
        let Some((_, now)) = effects.last() else {
            return Ok(());
        };
        self.update(target, *now, |state| {
            for (effect, at) in effects {
                effect.apply(state, *at);
            }
        })
        .await
    }
}
