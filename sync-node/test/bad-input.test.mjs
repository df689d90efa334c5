// Bad input from JS (wrong types, unknown statuses, invalid JSON, huge strings) gives a typed
// InvalidInputError and changes nothing; a Rust panic surfaces as an InternalError.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import tasksync, {
  SyncEngine, SessionEngine, Store, Plan, InvalidInputError, NotConfirmedError, InternalError,
  StalePlanError, StoreError, transition, retry,
} from '../js/index.mjs'

const listing = (items) => ({ source: 'files', complete: true, items })
const ok = [{ external_id: 'a', kind: 'task', title: 'A' }]

async function unchanged(store, fn) {
  const before = await store.snapshot('s')
  await assert.rejects(fn, InvalidInputError)
  assert.deepEqual(await store.snapshot('s'), before)
}

test('wrong types are refused before anything is touched', async () => {
  const store = Store.sqlite(':memory:')
  const engine = new SyncEngine(store)
  await engine.execute(await engine.preview('s', listing(ok)), { confirmed: true })
  await unchanged(store, () => engine.preview(42, listing(ok)))
  await unchanged(store, () => engine.preview('s', { source: 'files', items: 'nope', complete: true }))
  await unchanged(store, () => engine.preview('s', listing([{ external_id: 7, kind: 'task', title: 'x' }])))
  await unchanged(store, () => engine.preview('s', listing(ok), { max_delete_ratio: 'half' }))
  await unchanged(store, () => engine.preview('s', listing(ok), { max_delete_ratio: 3 }))
  await unchanged(store, () => engine.checkSyncNeeded('s', undefined))
  const circular = {}
  circular.self = circular
  await unchanged(store, () => engine.preview('s', circular))
  await unchanged(store, () => engine.preview('s', listing([{ external_id: 'b', kind: 'task', title: 'b', fields: { n: 10n } }])))
})

test('unknown statuses are refused with the known ones named', async () => {
  const store = Store.memory()
  const engine = new SyncEngine(store)
  const err = await engine.preview('s', listing([{ external_id: 'a', kind: 'task', title: 'A', status: 'done' }])).catch((e) => e)
  assert.ok(err instanceof InvalidInputError)
  assert.match(err.message, /done/)
  await unchanged(store, () => engine.preview('s', listing(ok), { writable: ['bogus'] }))
  assert.throws(() => transition.allowed('draft', 'finished'), (e) => e instanceof InvalidInputError && /in_progress/.test(e.message))
  assert.equal(transition.allowed('draft', 'pending'), true)
  assert.equal(transition.allowed('draft', 'completed'), false)
})

test('invalid JSON is refused', async () => {
  assert.throws(() => Plan.from('{not json'), InvalidInputError)
  const engine = new SyncEngine(Store.memory())
  await assert.rejects(engine.execute('{"scope": 1}', { confirmed: true }), InvalidInputError)
  assert.throws(() => retry.backoffDelayMs({ base_ms: 'x' }, 1), InvalidInputError)
})

test('huge strings are refused with a clipped message', async () => {
  const store = Store.sqlite(':memory:')
  const engine = new SyncEngine(store)
  const huge = 'x'.repeat(5_000_000)
  const err = await engine.preview('s', listing([{ external_id: 'a', kind: 'task', title: huge }])).catch((e) => e)
  assert.ok(err instanceof InvalidInputError)
  assert.ok(err.message.length < 1_000, 'the message does not echo the input')
  const e2 = await engine.preview(huge, listing(ok)).catch((e) => e)
  assert.ok(e2 instanceof InvalidInputError)
  assert.ok(e2.message.length < 1_000)
  const sessions = new SessionEngine(store)
  const e3 = await sessions.get(huge).catch((e) => e)
  assert.equal(e3.code, 'invalid_input', 'an over-long session id never reaches the store')
  assert.ok(e3.message.length < 1_000)
  assert.deepEqual((await store.snapshot('s')).tasks, [])
})

test('execute needs confirmation, refuses an edited plan and a stale one', async () => {
  const store = Store.memory()
  const engine = new SyncEngine(store)
  const plan = await engine.preview('s', listing(ok))
  await assert.rejects(engine.execute(plan, { confirmed: false }), NotConfirmedError)
  const edited = plan.toJSON()
  edited.creates[0].task.title = 'Changed'
  await assert.rejects(engine.execute(edited, { confirmed: true }), InvalidInputError)
  assert.equal((await store.snapshot('s')).tasks.length, 0)
  const roundTripped = Plan.from(JSON.stringify(plan.toJSON()))
  await engine.execute(roundTripped, { confirmed: true })
  await assert.rejects(engine.execute(plan, { confirmed: true }), (e) => e instanceof StalePlanError && e.code === 'stale_plan')
})

test('a store failure in a JS store becomes a StoreError', async () => {
  const store = Store.fromObject({
    async snapshot() { throw new Error('disk on fire') },
  })
  const err = await new SyncEngine(store).preview('s', listing(ok)).catch((e) => e)
  assert.ok(err instanceof StoreError)
  assert.match(err.message, /disk on fire/)
  const missing = await new SyncEngine(Store.fromObject({})).preview('s', listing(ok)).catch((e) => e)
  assert.ok(missing instanceof StoreError)
  assert.match(missing.message, /no method `snapshot`/)
})

test('a Rust panic surfaces as an InternalError, synchronously and in a Promise', async () => {
  assert.throws(() => tasksync.__panicForTests(false), (e) => e instanceof InternalError && e.code === 'internal')
  await assert.rejects(tasksync.__panicForTests(true), InternalError)
  // The addon keeps working afterwards.
  const plan = await new SyncEngine(Store.memory()).preview('s', listing(ok))
  assert.equal(plan.counts.creates, 1)
})
