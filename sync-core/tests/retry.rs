//! Backoff schedules, classification, breaker and limiter, all on a manual clock.

use proptest::prelude::*;
use sync_core::retry::{
    Backoff, Breaker, BreakerConfig, BreakerState, MAX_DELAY_MS, MAX_TRACKED_FAILURES, Outcome,
    RateLimiter, RateLimiterConfig, WorkerConfig, classify, later,
};
use sync_core::{Clock, ErrorKind, ManualClock, ProviderError};

fn timeout() -> ProviderError {
    ProviderError::Timeout {
        provider: "p".into(),
        message: "no answer in 10 s".into(),
    }
}

#[test]
fn the_default_schedule_is_5_retries_after_1_2_4_8_16_seconds_then_dead() {
    let clock = ManualClock::new(0);
    let backoff = Backoff::default();
    let mut waits = Vec::new();
    for attempt in 1.. {
        match classify(Err(&timeout()), attempt, clock.now_ms(), &backoff, 0) {
            Outcome::RetryAt { at } => {
                waits.push(at - clock.now_ms());
                clock.set(at);
            }
            Outcome::Dead { reason } => {
                assert!(reason.contains("gave up after 6 attempts"), "{reason}");
                break;
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(waits, vec![1_000, 2_000, 4_000, 8_000, 16_000]);
    assert_eq!(backoff.max_attempts, 6, "the first call and 5 retries");
    assert_eq!(backoff.delay_ms(40, 0), 16_000, "capped");
}

#[test]
fn classification_by_error_class() {
    let b = Backoff::default();
    let limited = ProviderError::RateLimited {
        provider: "p".into(),
        retry_after_ms: 30_000,
    };
    assert_eq!(
        classify(Err(&limited), 1, 100, &b, 0),
        Outcome::RetryAt { at: 30_100 }
    );
    let short = ProviderError::RateLimited {
        provider: "p".into(),
        retry_after_ms: 10,
    };
    assert_eq!(
        classify(Err(&short), 2, 0, &b, 0),
        Outcome::RetryAt { at: 2_000 },
        "backoff wins when longer"
    );
    let server = ProviderError::Unavailable {
        provider: "p".into(),
        status: 503,
        message: "down".into(),
    };
    assert_eq!(
        classify(Err(&server), 1, 0, &b, 0),
        Outcome::RetryAt { at: 1_000 }
    );
    let expired = ProviderError::TokenExpired {
        provider: "p".into(),
    };
    assert_eq!(classify(Err(&expired), 1, 0, &b, 0), Outcome::RefreshToken);
    for status in [400, 403, 404] {
        let rejected = ProviderError::Rejected {
            provider: "p".into(),
            status,
            message: "no".into(),
        };
        assert!(
            matches!(classify(Err(&rejected), 1, 0, &b, 0), Outcome::Dead { .. }),
            "{status}"
        );
    }
    assert_eq!(classify(Ok(()), 1, 0, &b, 0), Outcome::Succeeded);
    assert!(
        Backoff {
            max_attempts: 0,
            ..b.clone()
        }
        .validate()
        .is_err()
    );
    assert!(Backoff { jitter: 1.5, ..b }.validate().is_err());
}

proptest! {
    /// Jitter only ever shortens a delay, by at most its share, and is a function of the seed.
    #[test]
    fn jitter_is_bounded_and_deterministic(attempt in 1u32..10, seed: u64, jitter in 0.0f64..=1.0) {
        let b = Backoff { jitter, ..Backoff::default() };
        let raw = Backoff::default().delay_ms(attempt, seed);
        let d = b.delay_ms(attempt, seed);
        prop_assert!(d <= raw);
        prop_assert!(d as f64 >= raw as f64 * (1.0 - jitter) - 1.0);
        prop_assert_eq!(d, b.delay_ms(attempt, seed));
    }
}

#[test]
fn the_breaker_opens_half_opens_and_closes() {
    let clock = ManualClock::new(0);
    let mut breaker = Breaker::new(BreakerConfig {
        failure_threshold: 3,
        open_ms: 10_000,
    });
    for job in ["j1", "j2", "j3"] {
        assert!(breaker.try_acquire(clock.now_ms()).is_ok());
        breaker.on_failure(clock.now_ms(), Some(job));
    }
    assert_eq!(breaker.state, BreakerState::Open { until: 10_000 });
    assert_eq!(breaker.try_acquire(5_000), Err(10_000));
    clock.set(10_000);
    assert!(
        breaker.try_acquire(clock.now_ms()).is_ok(),
        "one trial call"
    );
    assert_eq!(breaker.state, BreakerState::HalfOpen);
    assert!(
        breaker.try_acquire(clock.now_ms()).is_err(),
        "only one trial at a time"
    );
    breaker.on_failure(clock.now_ms(), Some("j1"));
    assert_eq!(
        breaker.state,
        BreakerState::Open { until: 20_000 },
        "a failed trial reopens"
    );
    assert!(breaker.try_acquire(20_000).is_ok());
    breaker.on_success();
    assert_eq!(breaker.state, BreakerState::Closed { failures: 0 });
    // A success resets the count of consecutive failures.
    breaker.on_failure(21_000, Some("j1"));
    breaker.on_failure(21_000, None);
    breaker.on_success();
    breaker.on_failure(21_000, Some("j2"));
    assert_eq!(breaker.state, BreakerState::Closed { failures: 1 });
}

#[test]
fn the_breaker_counts_each_job_once() {
    let mut breaker = Breaker::new(BreakerConfig::default());
    // One job failing through a whole (even long) retry schedule never opens it.
    for attempt in 0..50 {
        breaker.on_failure(attempt * 1_000, Some("only-job"));
        assert!(
            breaker.try_acquire(attempt * 1_000).is_ok(),
            "attempt {attempt}"
        );
    }
    assert_eq!(breaker.state, BreakerState::Closed { failures: 1 });
    // Four more distinct jobs failing in a row (5 in all, the default threshold) open it.
    for job in ["b", "c", "d"] {
        breaker.on_failure(60_000, Some(job));
        assert!(matches!(breaker.state, BreakerState::Closed { .. }));
    }
    breaker.on_failure(60_000, Some("e"));
    assert_eq!(breaker.state, BreakerState::Open { until: 90_000 });
    // After a success the same jobs count afresh.
    assert!(breaker.try_acquire(90_000).is_ok());
    breaker.on_success();
    breaker.on_failure(91_000, Some("only-job"));
    assert_eq!(breaker.state, BreakerState::Closed { failures: 1 });
}

/// With a threshold no run of failures reaches, a closed breaker still remembers at most
/// `MAX_TRACKED_FAILURES` jobs, so its stored gate stays small; it keeps counting.
#[test]
fn a_breaker_remembers_a_bounded_number_of_failed_jobs() {
    let mut breaker = Breaker::new(BreakerConfig {
        failure_threshold: u32::MAX,
        open_ms: 1_000,
    });
    for job in 0..20_000 {
        breaker.on_failure(0, Some(&format!("job-{job}")));
    }
    assert_eq!(breaker.tracked_failures(), MAX_TRACKED_FAILURES);
    assert_eq!(breaker.state, BreakerState::Closed { failures: 20_000 });
    let stored = serde_json::to_string(&breaker).unwrap();
    assert!(stored.len() < 16 * 1024, "a gate of {} bytes", stored.len());
    // The most recent jobs are the ones remembered: a repeat of one is not counted again.
    breaker.on_failure(0, Some("job-19999"));
    assert_eq!(breaker.state, BreakerState::Closed { failures: 20_000 });
}

/// 2^63 and 2^64 - 1: the values that wrap negative when cast to a signed time.
const HUGE: [u64; 2] = [1 << 63, u64::MAX];

#[test]
fn a_huge_retry_after_is_clamped_to_a_day_never_wrapped() {
    let now = 1_000_000;
    for retry_after_ms in HUGE {
        let limited = ProviderError::RateLimited {
            provider: "p".into(),
            retry_after_ms,
        };
        assert_eq!(
            classify(Err(&limited), 1, now, &Backoff::default(), 0),
            Outcome::RetryAt {
                at: now + MAX_DELAY_MS as i64
            },
            "{retry_after_ms}"
        );
        let mut limiter = RateLimiter::new(RateLimiterConfig::default(), now);
        limiter.pause(now, retry_after_ms);
        assert_eq!(
            limiter.try_acquire(now + 1),
            Err(now + MAX_DELAY_MS as i64),
            "a 429 pauses the provider, for a day at most"
        );
        assert!(limiter.try_acquire(now + MAX_DELAY_MS as i64).is_ok());
    }
    assert_eq!(
        later(i64::MAX - 5, 10),
        i64::MAX,
        "saturates at the end of time"
    );
    // A very slow rate's wait is clamped too (no overflow).
    let mut slow = RateLimiter::new(
        RateLimiterConfig {
            per_second: 1e-300,
            burst: 1,
        },
        0,
    );
    assert!(slow.try_acquire(0).is_ok());
    assert_eq!(slow.try_acquire(0), Err(MAX_DELAY_MS as i64));
}

#[test]
fn configured_durations_above_a_day_are_refused_naming_the_field() {
    for value in HUGE.into_iter().chain([MAX_DELAY_MS + 1]) {
        let cases: [(&str, sync_core::Result<()>); 4] = [
            (
                "backoff.base_ms",
                Backoff {
                    base_ms: value,
                    ..Backoff::default()
                }
                .validate(),
            ),
            (
                "backoff.max_ms",
                Backoff {
                    max_ms: value,
                    ..Backoff::default()
                }
                .validate(),
            ),
            (
                "breaker.open_ms",
                BreakerConfig {
                    open_ms: value,
                    ..BreakerConfig::default()
                }
                .validate(),
            ),
            (
                "lease_ms",
                WorkerConfig {
                    lease_ms: value,
                    ..WorkerConfig::default()
                }
                .validate(),
            ),
        ];
        for (field, result) in cases {
            let err = result.expect_err(field);
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "{field}");
            let text = err.to_string();
            assert!(
                text.contains(&format!("`{field}`")) && text.contains("86400000"),
                "{text}"
            );
        }
    }
    let nested = WorkerConfig {
        breaker: BreakerConfig {
            open_ms: 1 << 63,
            ..BreakerConfig::default()
        },
        ..WorkerConfig::default()
    };
    assert!(nested.validate().is_err(), "the worker checks its breaker");
    assert!(
        BreakerConfig {
            failure_threshold: 0,
            ..BreakerConfig::default()
        }
        .validate()
        .is_err()
    );
    let day = WorkerConfig {
        lease_ms: MAX_DELAY_MS,
        ..WorkerConfig::default()
    };
    assert!(day.validate().is_ok(), "exactly a day is allowed");
}

#[test]
fn the_limiter_allows_a_burst_then_the_rate_and_a_429_pauses_it() {
    let mut limiter = RateLimiter::new(
        RateLimiterConfig {
            per_second: 2.0,
            burst: 3,
        },
        0,
    );
    assert!((0..3).all(|_| limiter.try_acquire(0).is_ok()));
    assert_eq!(limiter.try_acquire(0), Err(500));
    assert!(limiter.try_acquire(500).is_ok());
    assert_eq!(limiter.try_acquire(500), Err(1_000));
    limiter.pause(1_000, 60_000);
    assert_eq!(limiter.try_acquire(30_000), Err(61_000));
    assert!(
        limiter.try_acquire(61_000).is_ok(),
        "refilled after the pause"
    );
}
