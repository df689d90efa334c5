// Errors the same in every binding: a caught Rust panic is the core's `internal` error (an
// InternalError), and a provider failure keeps the core's structured parts as properties
// (providerClass, provider, httpStatus, retryAfterMs), whichever way it came out of the core.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import tasksync, { InternalError, PanicError, Provider, ProviderError, TasksyncError } from '../js/index.mjs'

test('a caught panic is the core internal error, synchronously and in a Promise', async () => {
  const isInternal = (e) => {
    assert.ok(e instanceof InternalError && e instanceof TasksyncError)
    assert.equal(e.code, 'internal')
    assert.equal(InternalError.code, 'internal')
    assert.match(e.message, /^internal error \(a bug in tasksync\): Rust panic: test panic/)
    return true
  }
  assert.throws(() => tasksync.__panicForTests(false), isInternal)
  await assert.rejects(tasksync.__panicForTests(true), isInternal)
  assert.equal(PanicError, InternalError, 'the old name is the same class')
})

const change = {
  job_id: 'j1', idempotency_key: 'k1', task_id: 't1', external_id: 'e1', kind: 'task',
  status: 'completed', payload: { status: 'completed' }, attempt: 1,
}

test('a host provider failure keeps its class, HTTP status and retry delay', async () => {
  const failing = (props) => new Provider('cw', {
    async list() { throw Object.assign(new Error('nope'), props) },
    async push() { throw Object.assign(new Error('nope'), props) },
  })
  const cases = [
    [{ code: 'rejected', status: 422 }, 'rejected', 422, null],
    [{ code: 'unavailable', status: 503 }, 'unavailable', 503, null],
    [{ code: 'rate_limited', retryAfterMs: 2000 }, 'rate_limited', null, 2000],
    [{ code: 'timeout' }, 'timeout', null, null],
    [{ code: 'token_expired' }, 'token_expired', null, null],
    [{}, 'unavailable', null, null],
  ]
  for (const [props, cls, httpStatus, retryAfterMs] of cases) {
    const provider = failing(props)
    // list: what a preview reads; push: what the worker sends.
    for (const err of [await provider.list('s').catch((e) => e), await provider.push(change).catch((e) => e)]) {
      assert.ok(err instanceof ProviderError, cls)
      assert.equal(err.code, 'provider')
      assert.deepEqual(
        { provider: err.provider, providerClass: err.providerClass, httpStatus: err.httpStatus, retryAfterMs: err.retryAfterMs },
        { provider: 'cw', providerClass: cls, httpStatus, retryAfterMs },
        cls,
      )
      assert.doesNotMatch(err.message, /\{"provider"/, 'the details tail is not part of the message')
    }
  }
})

test('the token refresher path carries the same fields', async () => {
  const refusing = new Provider('x', { async list() { return null } }, {
    tokenRefresher: async () => { throw Object.assign(new Error('revoked'), { code: 'rejected', status: 400 }) },
  })
  const err = await refusing.refreshToken().catch((e) => e)
  assert.deepEqual([err.providerClass, err.provider, err.httpStatus, err.retryAfterMs], ['rejected', 'x', 400, null])
})

test('a provider name that looks like the details tail stays in the message', async () => {
  const name = 'odd {"provider":"x"}'
  const err = await new Provider(name, { async list() { throw Object.assign(new Error('m'), { code: 'timeout' }) } })
    .list('s').catch((e) => e)
  assert.equal(err.provider, name)
  assert.equal(err.providerClass, 'timeout')
  assert.ok(err.message.includes(name))
})
