// The queue's pure policies as JS values over the core's: backoff delays, `classify`, the
// per-provider Breaker and RateLimiter (the same cases as the Python binding's tests).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Breaker, RateLimiter, retry, InvalidInputError } from '../js/index.mjs'

const DAY = 86_400_000

test('backoff, classify, breaker and limiter', () => {
  const backoff = { base_ms: 100, max_attempts: 3 }
  assert.deepEqual([1, 2, 3].map((a) => retry.backoffDelayMs(backoff, a)), [100, 200, 400])
  assert.deepEqual(retry.classify(null, 1, 0, backoff), { outcome: 'succeeded' })
  const timeout = { class: 'timeout', provider: 'p', message: 'slow' }
  assert.deepEqual(retry.classify(timeout, 1, 1_000, backoff), { outcome: 'retry_at', at: 1_100 })
  assert.equal(retry.classify(timeout, 3, 0, backoff).outcome, 'dead')
  assert.deepEqual(retry.classify({ class: 'token_expired', provider: 'p' }, 1, 0), { outcome: 'refresh_token' })
  const rejected = retry.classify({ class: 'rejected', provider: 'p', status: 403, message: 'no' }, 1, 0)
  assert.equal(rejected.outcome, 'dead')
  assert.match(rejected.reason, /rejected the request \(HTTP 403\)/)
  // The default schedule: the first call, then 1, 2, 4, 8, 16 s.
  assert.deepEqual([1, 2, 3, 4, 5].map((a) => retry.classify(timeout, a, 0).at), [1_000, 2_000, 4_000, 8_000, 16_000])
  assert.equal(retry.classify(timeout, 6, 0).outcome, 'dead')

  const breaker = new Breaker({ failure_threshold: 1, open_ms: 500 })
  assert.equal(breaker.tryAcquire(0), null)
  breaker.onFailure(0)
  assert.equal(breaker.tryAcquire(10), 500)
  assert.deepEqual(breaker.state, { state: 'open', until: 500 })
  assert.equal(breaker.tryAcquire(500), null, 'the trial call after open_ms')
  assert.deepEqual(breaker.state, { state: 'half_open' })
  breaker.onSuccess()
  assert.deepEqual(breaker.state, { state: 'closed', failures: 0 })

  const limiter = new RateLimiter(0, { per_second: 1.0, burst: 1 })
  assert.equal(limiter.tryAcquire(0), null)
  assert.equal(limiter.tryAcquire(0), 1_000, 'one token a second')
  assert.equal(limiter.tryAcquire(1_000), null)
})

test('the defaults are the core\'s: 5 failures of distinct jobs in a row open for 30 s', () => {
  const breaker = new Breaker()
  for (let i = 0; i < 4; i++) breaker.onFailure(i, `job-${i}`)
  assert.deepEqual(breaker.state, { state: 'closed', failures: 4 })
  breaker.onFailure(4, 'job-4')
  assert.deepEqual(breaker.state, { state: 'open', until: 30_004 })
  // One job's repeated failures count once: the breaker stays closed.
  const once = new Breaker()
  for (let at = 0; at < 10; at++) once.onFailure(at, 'job-1')
  assert.deepEqual(once.state, { state: 'closed', failures: 1 })
  const limiter = new RateLimiter(0)
  for (let i = 0; i < 10; i++) assert.equal(limiter.tryAcquire(0), null, `token ${i} of the burst`)
  assert.equal(limiter.tryAcquire(0), 100)
})

test('durations that would wrap are refused or clamped to a day', () => {
  // 2^63 parses as a u64 and is refused by name; 2^64 - 1 is above u64 once a JS number.
  for (const value of [2 ** 63, 2 ** 64 - 1]) {
    const named = value === 2 ** 63
    for (const [field, make] of [
      ['breaker.open_ms', () => new Breaker({ open_ms: value })],
      ['backoff.max_ms', () => retry.backoffDelayMs({ max_ms: value }, 1)],
      ['backoff.base_ms', () => retry.classify(null, 1, 0, { base_ms: value })],
    ]) {
      assert.throws(make, (e) => e instanceof InvalidInputError && (!named || (e.message.includes(`\`${field}\``) && e.message.includes('86400000'))), field)
    }
    const limiter = new RateLimiter(0)
    limiter.pause(0, value)
    assert.equal(limiter.tryAcquire(1), DAY, 'paused for a day, not let through')
  }
  const limited = { class: 'rate_limited', provider: 'p', retry_after_ms: 2 ** 63 }
  assert.deepEqual(retry.classify(limited, 1, 5_000), { outcome: 'retry_at', at: 5_000 + DAY })
  assert.deepEqual(retry.classify({ ...limited, retry_after_ms: 3_000 }, 1, 5_000), { outcome: 'retry_at', at: 8_000 }, 'a Retry-After longer than the backoff wins')
})

test('bad policy input is InvalidInputError naming the field, never a crash', () => {
  assert.throws(() => new Breaker({ threshold: 1 }), /unknown key `threshold` in breaker config/)
  assert.throws(() => new Breaker({ failure_threshold: 0 }), /failure_threshold/)
  assert.throws(() => new RateLimiter(0, { rate: 1 }), /unknown key `rate` in rate limiter config/)
  assert.throws(() => new RateLimiter(0, { per_second: 0 }), /per_second > 0/)
  assert.throws(() => retry.classify({ class: 'rate_limited', provider: 'p', retry_after: 5 }, 1, 0), /unknown key `retry_after` in provider error/)
  assert.throws(() => retry.classify({ class: 'exploded', provider: 'p' }, 1, 0), InvalidInputError)
  assert.throws(() => retry.classify(null, 1, 0, { max_attempt: 2 }), /unknown key `max_attempt` in backoff/)
  const limiter = new RateLimiter(0)
  for (const bad of [-1, 1.5, Number.NaN]) assert.throws(() => limiter.pause(0, bad), /retryAfterMs must be a whole number/)
  assert.throws(() => limiter.pause(0, 'soon'), InvalidInputError)
  assert.throws(() => new Breaker().tryAcquire('now'), InvalidInputError)
  assert.throws(() => new Breaker().onFailure(0, 42), InvalidInputError)
})
