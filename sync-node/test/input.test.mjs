// Bad input from JS, the core's rules: an unknown key in any options object is refused naming
// it and the known ones; sizes over the core's limits are refused and nothing is stored; a
// corrupt session from a JS store is a StoreError; a JS clock that throws is a StoreError.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  SyncEngine, SessionEngine, Store, Provider, History, StatusService, Worker, Jobs, Clock,
  Breaker, RateLimiter, InvalidInputError, StoreError, transition, retry, model,
} from '../js/index.mjs'
import { JsStore } from './support/js-store.mjs'

const listing = { source: 'files', complete: true, items: [{ external_id: 'a', kind: 'task', title: 'A' }] }
const cycles = [{ id: 'a', name: 'A' }, { id: 'b', name: 'B' }]
const item = (extra) => ({ ...listing, items: [{ ...listing.items[0], ...extra }] })
const provider = () => new Provider('files', { async list() { return listing }, async push() { return { remote: {} } }, async refreshToken() {} })

async function refused(what, fn) {
  let err
  try {
    await fn()
  } catch (e) {
    err = e
  }
  assert.ok(err instanceof InvalidInputError, `${what}: expected InvalidInputError, got ${err}`)
  assert.match(err.message, /unknown key `[^`]+` in .*; known keys: /, `${what}: ${err.message}`)
  return err.message
}

// Every options-taking entry point of the package, called with an unknown key.
const memory = () => Store.memory()
const engine = () => new SyncEngine(memory())
const entryPoints = {
  'Store.fromObject options': () => Store.fromObject(new JsStore(), { keepJobs: true }),
  'SyncEngine options': () => new SyncEngine(memory(), { evnts: () => {} }),
  'SyncEngine limits': () => new SyncEngine(memory(), { limits: { max_items: 1 } }),
  'preview options': () => engine().preview('s', listing, undefined, { contxt: {} }),
  'policy': () => engine().preview('s', listing, { force_delete: true }),
  'listing': () => engine().preview('s', { ...listing, completed: true }),
  'listing item': () => engine().preview('s', item({ titel: 'x' })),
  'run context': () => engine().preview('s', listing, undefined, { context: { actorr: {} } }),
  'actor': () => engine().preview('s', listing, undefined, { context: { actor: { usr: 'x' } } }),
  'execute options': async () => { const e = engine(); await e.execute(await e.preview('s', listing), { confirm: true }) },
  'checkSyncNeeded policy': () => engine().checkSyncNeeded('s', listing, { overwrit: true }),
  'verify listing': () => engine().verify('s', { ...listing, sauce: 'x' }),
  'SessionEngine options': () => new SessionEngine(memory(), { clok: Clock.manual(0) }),
  'SessionEngine limits': () => new SessionEngine(memory(), { limits: { max_cycle: 3 } }),
  'cycles': () => new SessionEngine(memory()).create('s', [{ id: 'a', name: 'A', colour: 'red' }]),
  'Provider options': () => new Provider('p', { async list() {}, async push() {}, async refreshToken() {} }, { refresher: () => {} }),
  'History.runs query': () => History.memory().runs({ curser: 'x' }),
  'History.items query': () => History.memory().items('run-1', { aftr: 1 }),
  'History.audit query': () => History.memory().audit({ entity: 'x' }),
  'History.flush options': () => History.memory().flush({ interval: 5 }),
  'StatusService options': () => new StatusService(memory(), { target: [] }),
  'targets': () => new StatusService(memory(), { targets: [{ name: 'files', kind: 'ms_todo', attempts: 2 }] }),
  'transition rules (service)': () => new StatusService(memory(), { rules: { alowed: [] } }),
  'changeStatus options': () => new StatusService(memory()).changeStatus('t', 'pending', { who: 'ana' }),
  'Worker options': () => new Worker(memory(), { provider: [provider()] }),
  'worker config': () => new Worker(memory(), { config: { lease: 5 } }),
  'worker backoff': () => new Worker(memory(), { config: { backoff: { max_attempt: 1 } } }),
  'worker breaker': () => new Worker(memory(), { config: { breaker: { open: 1 } } }),
  'worker limiter': () => new Worker(memory(), { config: { limiter: { rate: 1 } } }),
  'Worker.run options': () => new Worker(memory()).run({ signl: AbortSignal.abort() }),
  'Jobs options': () => new Jobs(memory(), { histroy: null }),
  'Jobs.list query': () => new Jobs(memory()).list({ task: 'x' }),
  'Jobs.deadLetters options': () => new Jobs(memory()).deadLetters({ from: 'x' }),
  'Jobs.requeue options': () => new Jobs(memory()).requeue('job-1', { actr: {} }),
  'Jobs.discard options': () => new Jobs(memory()).discard('job-1', { actr: {} }),
  'requeue actor': () => new Jobs(memory()).requeue('job-1', { actor: { name: 'ana' } }),
  'transition.allowed rules': () => transition.allowed('draft', 'pending', { alowed: [] }),
  'retry.backoffDelayMs backoff': () => retry.backoffDelayMs({ max_attempt: 1 }, 1),
  'retry.classify backoff': () => retry.classify(null, 1, 0, { max_attempt: 1 }),
  'retry.classify provider error': () => retry.classify({ class: 'timeout', provider: 'p', message: 'x', status: 1 }, 1, 0),
  'Breaker config': () => new Breaker({ threshold: 1 }),
  'RateLimiter config': () => new RateLimiter(0, { rate: 1 }),
  'model.taskFromDesired desired task': () => model.taskFromDesired('s', 'files', { external_id: 'a', kind: 'task', title: 'A', titel: 'x' }),
}

for (const [name, fn] of Object.entries(entryPoints)) {
  test(`an unknown key is refused: ${name}`, async () => {
    await refused(name, fn)
  })
}

test('the messages name the key, its place and the known keys', async () => {
  const policy = await refused('policy', entryPoints.policy)
  assert.match(policy, /unknown key `force_delete` in policy; known keys: writable, protected, .*force_deletes/)
  const nested = await refused('worker backoff', entryPoints['worker backoff'])
  assert.match(nested, /unknown key `max_attempt` in backoff \(worker config\); known keys: .*max_attempts/)
  const own = await refused('SyncEngine options', entryPoints['SyncEngine options'])
  assert.match(own, /unknown key `evnts` in engine options; known keys: clock, events, history, limits/)
  const runs = await refused('runs', entryPoints['History.runs query'])
  assert.match(runs, /in run query; known keys: status, kind, scope, since, until, after, limit/)
})

test('the JS spellings of core keys still work', async () => {
  const history = History.memory()
  assert.deepEqual(await history.audit({ entityType: 'sync', entityId: 'x', limit: 5 }), { items: [], next: null })
  assert.deepEqual(await history.runs({ cursor: null, limit: 5 }), { items: [], next: null })
  const store = memory()
  const e = new SyncEngine(store, { history })
  await e.preview('s', listing, undefined, { context: { actor: { user: 'ana' }, sourceId: 'c1', targetId: 't1' } })
  const jobs = new Jobs(store)
  assert.deepEqual(await jobs.list({ taskId: 't', limit: 5 }), [])
  const service = new StatusService(store, { targets: [{ name: 'files', kind: 'ms_todo', maxAttempts: 2, sources: ['files'] }] })
  assert.ok(service)
  await history.close()
})

test('a ten-megabyte session id is refused and nothing is stored', async () => {
  const js = new JsStore()
  const sessions = new SessionEngine(Store.fromObject(js))
  const huge = 's'.repeat(10 * 1024 * 1024)
  const err = await sessions.create(huge, cycles).catch((e) => e)
  assert.ok(err instanceof InvalidInputError, String(err))
  assert.equal(err.code, 'invalid_input')
  assert.match(err.message, /session id is 10485760 bytes long, the limit is 1024 bytes/)
  assert.ok(err.message.length < 500)
  for (const op of ['start', 'get', 'state', 'delete']) {
    await assert.rejects(sessions[op](huge), InvalidInputError)
  }
  assert.equal(js.sessions.size, 0)
})

test('cycle names, cycle counts and listing sizes are limited and configurable', async () => {
  const sessions = new SessionEngine(memory())
  await assert.rejects(sessions.create('s', [{ id: 'a', name: 'n'.repeat(5000) }]), /cycle name is 5000 bytes long/)
  const many = Array.from({ length: 1001 }, (_, i) => ({ id: String(i), name: 'c' }))
  await assert.rejects(sessions.create('s', many), /raise it with `max_cycles`/)
  const raised = new SessionEngine(memory(), { limits: { max_cycles: 2000 } })
  assert.equal((await raised.create('s', many)).cycles.length, 1001)
  const store = memory()
  const small = new SyncEngine(store, { limits: { max_listing_items: 1 } })
  const two = { ...listing, items: [...listing.items, { external_id: 'b', kind: 'task', title: 'B' }] }
  await assert.rejects(small.preview('s', two), /raise it with `max_listing_items`/)
  const actor = { user_agent: 'u'.repeat(1_000_000) }
  await assert.rejects(new SyncEngine(store).preview('s', listing, undefined, { context: { actor } }), /actor user_agent is 1000000 bytes/)
  assert.deepEqual((await store.snapshot('s')).tasks, [])
})

function running() {
  const now = 2_000
  return {
    id: 's1', cycles, status: 'running', current: 1, cycle_ms: [500, 0], paused_ms: 0,
    switch_count: 1, version: 3, created_at: 1_000, started_at: 1_500, completed_at: null,
    segment_started_at: now, paused_at: null, last_seen: now,
  }
}

const corruptions = {
  'current out of range': { current: 9 },
  'too few cycle times': { cycle_ms: [500] },
  'no cycles': { cycles: [], cycle_ms: [] },
  'started after last seen': { started_at: 2 ** 50 },
  'running without a segment': { segment_started_at: null },
  'time not accounted': { cycle_ms: [0, 0] },
  'negative time': { paused_ms: -5 },
  'negative cycle time': { cycle_ms: [-500, 0] },
  'overflowing times': { cycle_ms: [2 ** 63, 2 ** 63] },
  'a time above u64': { paused_ms: 2 ** 64 },
  'a time above i64': { last_seen: 2 ** 63 },
  'version at its end': { version: 2 ** 64 - 1 },
  'version zero': { version: 0 },
  'an unknown key': { colour: 'red' },
  'an unknown key in a cycle': { cycles: [{ id: 'a', name: 'A', colour: 'red' }, { id: 'b', name: 'B' }] },
  'not an object': null,
}

test('a consistent session from a JS store is used as is', async () => {
  const js = new JsStore()
  js.sessions.set('s1', running())
  const sessions = new SessionEngine(Store.fromObject(js), { clock: Clock.manual(3_000) })
  assert.equal((await sessions.state('s1')).cycles[0].elapsed_ms, 500)
})

for (const [name, change] of Object.entries(corruptions)) {
  test(`a corrupt session from a JS store is a StoreError: ${name}`, async () => {
    const js = new JsStore()
    const corrupt = change === null ? 'not a session' : { ...running(), ...change }
    js.sessions.set('s1', corrupt)
    const sessions = new SessionEngine(Store.fromObject(js), { clock: Clock.manual(3_000) })
    for (const op of [() => sessions.switch('s1'), () => sessions.switch('s1', 'a'), () => sessions.pause('s1'),
      () => sessions.complete('s1'), () => sessions.state('s1'), () => sessions.get('s1'), () => sessions.delete('s1')]) {
      const err = await op().catch((e) => e)
      assert.ok(err instanceof StoreError, `${name}: ${err}`)
      assert.equal(err.code, 'store')
      if (name.startsWith('an unknown key')) assert.match(err.message, /unknown key `colour`/)
    }
    assert.deepEqual(js.sessions.get('s1'), corrupt)
  })
}

for (const [name, clock] of [['throws', () => { throw new Error('the clock is broken') }], ['returns a string', () => 'soon'], ['returns a fraction', () => 1.5]]) {
  test(`a JS clock that ${name} is a StoreError and nothing changes`, async () => {
    const js = new JsStore()
    const store = Store.fromObject(js)
    const sessions = new SessionEngine(store, { clock })
    const err = await sessions.create('s', cycles).catch((e) => e)
    assert.ok(err instanceof StoreError, String(err))
    assert.match(err.message, /the host clock failed/)
    assert.equal(js.sessions.size, 0)
    await assert.rejects(new SyncEngine(store, { clock }).preview('s', listing), StoreError)
    await assert.rejects(new SessionEngine(store, { clock }).serverTime(), StoreError)
  })
}
