"""The queue's pure policies through the generated Python bindings, over the core's types: the
backoff schedule and `classify` (success, retry at the backoff or a longer Retry-After, token
refresh, dead when rejected or out of attempts), the circuit breaker (distinct jobs counted
once, open, half-open trial, closed again) and the token-bucket rate limiter (burst, refill,
a 429 pause), each configuration checked by the core."""

from __future__ import annotations

import unittest

import tasksync_ffi as ts

TIMEOUT = ts.ProviderError.Timeout(provider="p", detail="slow")


class Backoff(unittest.TestCase):
    def test_the_default_schedule_and_a_custom_one(self) -> None:
        default = ts.Backoff()
        self.assertEqual(
            [ts.backoff_delay_ms(default, a) for a in range(1, 7)],
            [1_000, 2_000, 4_000, 8_000, 16_000, 16_000],
        )
        short = ts.Backoff(base_ms=100, max_attempts=3)
        self.assertEqual([ts.backoff_delay_ms(short, a) for a in (1, 2, 3)], [100, 200, 400])
        jittered = ts.Backoff(base_ms=1_000, jitter=0.5)
        one, other = (ts.backoff_delay_ms(jittered, 1, seed) for seed in (1, 2))
        self.assertEqual(one, ts.backoff_delay_ms(jittered, 1, 1), "the same seed, the same delay")
        self.assertNotEqual(one, other)
        self.assertTrue(500 <= one <= 1_000 and 500 <= other <= 1_000)

    def test_a_bad_schedule_is_refused_naming_the_field(self) -> None:
        for bad, field in (
            (ts.Backoff(max_attempts=0), "max_attempts"),
            (ts.Backoff(jitter=1.5), "jitter"),
            (ts.Backoff(base_ms=2**63), "backoff.base_ms"),
        ):
            with self.assertRaises(ts.TasksyncError.InvalidInput) as err:
                ts.backoff_delay_ms(bad, 1)
            self.assertIn(field, str(err.exception))
            with self.assertRaises(ts.TasksyncError.InvalidInput):
                ts.classify(TIMEOUT, 1, 0, bad)


class Classify(unittest.TestCase):
    def test_each_result_gets_the_cores_outcome(self) -> None:
        backoff = ts.Backoff(base_ms=100, max_attempts=3)
        self.assertEqual(ts.classify(None, 1, 0, backoff), ts.Outcome.SUCCEEDED())
        self.assertEqual(ts.classify(TIMEOUT, 1, 1_000, backoff), ts.Outcome.RETRY_AT(at=1_100))
        self.assertEqual(ts.classify(TIMEOUT, 2, 1_000, backoff), ts.Outcome.RETRY_AT(at=1_200))
        out = ts.classify(TIMEOUT, 3, 0, backoff)
        assert isinstance(out, ts.Outcome.DEAD)
        self.assertIn("gave up after 3 attempts", out.reason)
        limited = ts.ProviderError.RateLimited(provider="p", retry_after_ms=5_000)
        self.assertEqual(ts.classify(limited, 1, 0, backoff), ts.Outcome.RETRY_AT(at=5_000))
        huge = ts.ProviderError.RateLimited(provider="p", retry_after_ms=2**64 - 1)
        self.assertEqual(ts.classify(huge, 1, 0, backoff), ts.Outcome.RETRY_AT(at=ts.max_delay_ms()))
        expired = ts.ProviderError.TokenExpired(provider="p")
        self.assertEqual(ts.classify(expired, 1, 0, backoff), ts.Outcome.REFRESH_TOKEN())
        rejected = ts.ProviderError.Rejected(provider="p", status=422, detail="no")
        dead = ts.classify(rejected, 1, 0, None)
        assert isinstance(dead, ts.Outcome.DEAD)
        self.assertIn("422", dead.reason)
        # The default schedule: 6 attempts in all.
        self.assertEqual(ts.classify(TIMEOUT, 5, 0), ts.Outcome.RETRY_AT(at=16_000))
        self.assertIsInstance(ts.classify(TIMEOUT, 6, 0), ts.Outcome.DEAD)


class Breaker(unittest.TestCase):
    def test_distinct_jobs_open_it_and_a_trial_closes_it(self) -> None:
        breaker = ts.Breaker(ts.BreakerConfig(failure_threshold=2, open_ms=500))
        self.assertIsNone(breaker.try_acquire(0))
        breaker.on_failure(0, "job-1")
        breaker.on_failure(0, "job-1")  # the same job's retry counts once
        self.assertEqual(breaker.state(), ts.BreakerState.CLOSED(failures=1))
        breaker.on_failure(10, "job-2")
        self.assertEqual(breaker.state(), ts.BreakerState.OPEN(until=510))
        self.assertEqual(breaker.try_acquire(100), 510)
        self.assertIsNone(breaker.try_acquire(510), "the trial call goes")
        self.assertEqual(breaker.state(), ts.BreakerState.HALF_OPEN())
        self.assertEqual(breaker.try_acquire(511), 1_511, "others wait while the trial is out")
        breaker.on_success()
        self.assertEqual(breaker.state(), ts.BreakerState.CLOSED(failures=0))

    def test_a_failed_trial_reopens_it_and_defaults_are_the_cores(self) -> None:
        breaker = ts.Breaker()
        for job in range(4):
            breaker.on_failure(0, str(job))
        self.assertEqual(breaker.state(), ts.BreakerState.CLOSED(failures=4))
        breaker.on_failure(0)  # a call for no job always counts
        self.assertEqual(breaker.state(), ts.BreakerState.OPEN(until=30_000))
        self.assertIsNone(breaker.try_acquire(30_000))
        breaker.on_failure(30_000, "x")
        self.assertEqual(breaker.state(), ts.BreakerState.OPEN(until=60_000))

    def test_a_bad_config_is_refused(self) -> None:
        for bad, field in (
            (ts.BreakerConfig(failure_threshold=0), "failure_threshold"),
            (ts.BreakerConfig(open_ms=2**64 - 1), "breaker.open_ms"),
        ):
            with self.assertRaises(ts.TasksyncError.InvalidInput) as err:
                ts.Breaker(bad)
            self.assertIn(field, str(err.exception))


class RateLimiter(unittest.TestCase):
    def test_burst_refill_and_a_429_pause(self) -> None:
        limiter = ts.RateLimiter(0, ts.RateLimiterConfig(per_second=2.0, burst=2))
        self.assertIsNone(limiter.try_acquire(0))
        self.assertIsNone(limiter.try_acquire(0))
        self.assertEqual(limiter.try_acquire(0), 500, "the next token in half a second")
        self.assertIsNone(limiter.try_acquire(500))
        limiter.pause(500, 10_000)
        self.assertEqual(limiter.try_acquire(5_000), 10_500)
        self.assertIsNone(limiter.try_acquire(10_500))
        limiter.pause(20_000, 2**64 - 1)
        self.assertEqual(limiter.try_acquire(20_000), 20_000 + ts.max_delay_ms())

    def test_defaults_and_a_bad_config(self) -> None:
        limiter = ts.RateLimiter(0)
        self.assertEqual([limiter.try_acquire(0) for _ in range(10)], [None] * 10)
        self.assertIsNotNone(limiter.try_acquire(0))
        for bad in (
            ts.RateLimiterConfig(per_second=0.0),
            ts.RateLimiterConfig(per_second=float("nan")),
            ts.RateLimiterConfig(burst=0),
        ):
            with self.assertRaises(ts.TasksyncError.InvalidInput) as err:
                ts.RateLimiter(0, bad)
            self.assertIn("per_second", str(err.exception))


if __name__ == "__main__":
    unittest.main()
