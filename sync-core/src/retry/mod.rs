//! Retry: the pure policies of the outbound queue: backoff schedules, failure classification,
//! per-provider circuit breakers and token-bucket rate limiters.
//!
//! What it owns: given the clock's `now` and what happened, when may the next call happen and
//! does an attempt count. It keeps no timers and does no I/O; the worker asks it and obeys.
//!
//! Invariants:
//! - Every delay is a pure function of the policy, the attempt number and (for jitter) a seed
//!   the caller passes, so schedules are testable against a manual clock.
//! - Calls deferred by a breaker or a limiter never count as attempts.
//! - A 429 pauses the whole provider until its `Retry-After` has passed.

mod backoff;
mod breaker;
mod limiter;

pub use backoff::{Backoff, Outcome, classify};
pub use breaker::{Breaker, BreakerConfig, BreakerState};
pub use limiter::{RateLimiter, RateLimiterConfig};
