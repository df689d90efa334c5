// A JS object as a provider and token refresher: the core awaits their Promises, and what
// they throw is classified into the core's ProviderError classes.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Provider, ProviderError, SyncEngine, Store } from '../js/index.mjs'

const change = {
  job_id: 'j1', idempotency_key: 'k1', task_id: 't1', external_id: 'e1', kind: 'task',
  status: 'completed', payload: { status: 'completed' }, attempt: 1,
}

test('list and push go through the core and back', async () => {
  const pushed = []
  const provider = new Provider('mstodo', {
    async list(scope) {
      return { source: 'mstodo', complete: true, items: [{ external_id: `${scope}-1`, kind: 'task', title: 'One' }] }
    },
    async push(c) {
      pushed.push(c.idempotency_key)
      return { remote: { status: 'done' } }
    },
  })
  assert.equal(provider.name, 'mstodo')
  const listing = await provider.list('p1')
  const plan = await new SyncEngine(Store.memory()).preview('p1', listing)
  assert.equal(plan.counts.creates, 1)
  assert.deepEqual(await provider.push(change), { remote: { status: 'done' } })
  assert.deepEqual(pushed, ['k1'])
})

test('thrown errors keep their provider class', async () => {
  const fail = (props) => new Provider('cw', {
    async list() { throw Object.assign(new Error('nope'), props) },
    async push() { throw Object.assign(new Error('nope'), props) },
  })
  const cases = [
    [{ code: 'rate_limited', retryAfterMs: 2000 }, 'rate_limited', /2000 ms/],
    [{ code: 'token_expired' }, 'token_expired', /expired/],
    [{ code: 'rejected', status: 422 }, 'rejected', /422/],
    [{ code: 'timeout' }, 'timeout', /timed out/],
    [{}, 'unavailable', /nope/],
  ]
  for (const [props, cls, msg] of cases) {
    const err = await fail(props).list('s').catch((e) => e)
    assert.ok(err instanceof ProviderError, cls)
    assert.equal(err.code, 'provider')
    assert.equal(err.providerClass, cls)
    assert.match(err.message, msg)
    const pushErr = await fail(props).push(change).catch((e) => e)
    assert.equal(pushErr.providerClass, cls)
  }
})

test('the token refresher is awaited and its token never comes back', async () => {
  const asked = []
  const provider = new Provider('mstodo', { async list() { return { source: 'mstodo', complete: true, items: [] } } }, {
    tokenRefresher: async (name) => { asked.push(name); return 'secret-token-value' },
  })
  assert.equal(await provider.refreshToken(), true)
  assert.deepEqual(asked, ['mstodo'])
  const refusing = new Provider('x', { async list() { return null } }, {
    tokenRefresher: async () => { throw Object.assign(new Error('refresh token revoked'), { code: 'rejected', status: 400 }) },
  })
  const err = await refusing.refreshToken().catch((e) => e)
  assert.equal(err.providerClass, 'rejected')
  const wrongShape = await refusing.list('s').catch((e) => e)
  assert.ok(wrongShape instanceof ProviderError)
})
