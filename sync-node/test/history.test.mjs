// History through the binding: runs recorded by the engine (the pump runs on the addon's tokio
// runtime), paginated queries with filters, run context, cancellation by AbortSignal, progress
// events, on the memory, SQLite, PostgreSQL and a pure-JS history store.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SyncEngine, Store, History, EventStream, CancelledError, InvalidInputError, conformance } from '../js/index.mjs'
import { JsStore } from './support/js-store.mjs'
import { JsHistoryStore } from './support/js-history-store.mjs'
import { pgHistory, dropDatabases } from './support/pg.mjs'

const listing = (n, prefix = 'e') => ({
  source: 'todo', complete: true,
  items: Array.from({ length: n }, (_, i) => ({ external_id: `${prefix}${i}`, kind: 'task', title: `T${i}` })),
})

const dir = mkdtempSync(join(tmpdir(), 'tasksync-node-history-'))
test.after(() => rmSync(dir, { recursive: true, force: true }))
test.after(dropDatabases)

const histories = {
  memory: () => History.memory(),
  sqlite: () => History.sqlite(join(dir, `h-${Math.random().toString(36).slice(2)}.db`)),
  js: () => History.fromObject(new JsHistoryStore()),
  postgres: () => pgHistory('history'),
}

for (const [kind, make] of Object.entries(histories)) {
  test(`runs, items and audit are recorded and paged on the ${kind} history`, async () => {
    const history = await make()
    const engine = new SyncEngine(Store.memory(), { history })
    const context = { actor: { user: 'ana', ip: '10.0.0.1' }, sourceId: 'conn-1' }
    for (const scope of ['a', 'b', 'c']) {
      const plan = await engine.preview(scope, listing(3, scope), undefined, { context })
      await engine.execute(plan, { confirmed: true, context })
    }
    await history.flush()
    const all = await history.runs({ limit: 100 })
    assert.equal(all.items.length, 6)
    const executes = await history.runs({ kind: 'execute', limit: 2 })
    assert.equal(executes.items.length, 2)
    assert.ok(executes.next, 'a second page')
    const rest = await history.runs({ kind: 'execute', limit: 2, cursor: executes.next })
    assert.equal(rest.items.length, 1)
    assert.equal(rest.next, null)
    const ids = [...executes.items, ...rest.items].map((r) => r.id)
    assert.equal(new Set(ids).size, 3)
    assert.deepEqual((await history.runs({ scope: 'b', kind: 'execute' })).items.map((r) => r.scope), ['b'])

    const run = await history.run(ids[0])
    assert.equal(run.status, 'completed')
    assert.equal(run.context.actor.user, 'ana')
    assert.equal(run.context.source_id, 'conn-1')
    const items = await history.items(run.id, { limit: 2 })
    assert.equal(items.items.length, 2)
    const more = await history.items(run.id, { after: items.next, limit: 10 })
    assert.equal(more.items.length, 1)
    assert.ok([...items.items, ...more.items].every((i) => i.outcome === 'created'))
    assert.equal(await history.run('run-missing'), null)

    const audit = await history.audit({ entityId: run.id })
    assert.ok(audit.items.length >= 1)
    await history.close()
  })
}

test('bad queries are InvalidInputError', async () => {
  const history = History.memory()
  await assert.rejects(history.runs({ limit: 0 }), InvalidInputError)
  await assert.rejects(history.runs({ status: 'sleepy' }), InvalidInputError)
  await assert.rejects(history.runs({ cursor: 'not a cursor' }), InvalidInputError)
  await assert.rejects(history.runs({ since: 10, until: 5 }), InvalidInputError)
  await assert.rejects(history.items(42), InvalidInputError)
  assert.throws(() => new SyncEngine(Store.memory(), { history: {} }), InvalidInputError)
})

test('the cursor is the core\'s token and a query without a limit gets the core\'s page size', async () => {
  const history = History.memory()
  const engine = new SyncEngine(Store.memory(), { history })
  for (let i = 0; i < 52; i++) await engine.preview(`s${i}`, listing(0))
  await history.flush()
  const first = await history.runs()
  assert.equal(first.items.length, 50, 'the default page')
  const last = first.items[first.items.length - 1]
  assert.equal(first.next, `${last.started_at}:${last.id}`, 'printed by the core as at:id')
  const rest = await history.runs({ cursor: first.next })
  assert.equal(rest.items.length, 2)
  assert.equal(rest.next, null)
  const audit = await history.audit()
  assert.ok(audit.items.length <= 50)
  if (audit.next !== null) assert.equal((await history.audit({ cursor: audit.next })).items.every((e) => e.id !== audit.items[0].id), true)
  await assert.rejects(history.runs({ cursor: { at: 1, id: 'x' } }), InvalidInputError)
  const err = await history.audit({ cursor: '12' }).catch((e) => e)
  assert.ok(err instanceof InvalidInputError)
  assert.match(err.message, /`12` is not a history cursor/)
  await history.close()
})

test('an aborted signal cancels the run: CancelledError, nothing written, run recorded cancelled', async () => {
  const history = History.memory()
  const store = Store.memory()
  const engine = new SyncEngine(store, { history })
  const controller = new AbortController()
  controller.abort()
  await assert.rejects(engine.preview('s', listing(2), undefined, { signal: controller.signal }), CancelledError)
  const plan = await engine.preview('s', listing(2))
  await assert.rejects(engine.execute(plan, { confirmed: true, signal: controller.signal }), CancelledError)
  assert.equal((await store.snapshot('s')).tasks.length, 0)
  await history.flush()
  const cancelled = await history.runs({ status: 'cancelled' })
  assert.equal(cancelled.items.length, 2)
  await assert.rejects(engine.preview('s', listing(1), undefined, { signal: 'stop' }), InvalidInputError)
})

test('aborting while the store is reading cancels the preview', async () => {
  const js = new JsStore({ delayMs: 20 })
  const history = History.memory()
  const engine = new SyncEngine(Store.fromObject(js), { history })
  const controller = new AbortController()
  const reading = new Promise((resolve) => {
    const snapshot = js.snapshot.bind(js)
    js.snapshot = (scope) => { resolve(); return snapshot(scope) }
  })
  const pending = engine.preview('s', listing(2), undefined, { signal: controller.signal })
  await reading
  controller.abort()
  await assert.rejects(pending, CancelledError)
  await history.flush()
  assert.equal((await history.runs({ status: 'cancelled' })).items.length, 1)
})

test('progress events: run_started, run_item per task, run_finished, as events and async iterator', async () => {
  const events = new EventStream()
  const engine = new SyncEngine(Store.memory(), { events, history: History.memory() })
  const controller = new AbortController()
  const seen = []
  const reading = (async () => {
    for await (const e of events.iterate({ signal: controller.signal })) {
      seen.push(e)
      if (e.type === 'run_finished' && e.status === 'completed' && seen.some((x) => x.type === 'sync_executed')) controller.abort()
    }
  })()
  const plan = await engine.preview('s', listing(3))
  await engine.execute(plan, { confirmed: true })
  await reading
  const execRun = seen.find((e) => e.type === 'run_started' && e.kind === 'execute')
  assert.ok(execRun)
  assert.equal(execRun.total_items, 3)
  const items = seen.filter((e) => e.type === 'run_item' && e.run_id === execRun.run_id)
  assert.deepEqual(items.map((e) => e.seq), [1, 2, 3].map((n) => items[0].seq + n - 1))
  const finished = seen.find((e) => e.type === 'run_finished' && e.run_id === execRun.run_id)
  assert.equal(finished.totals.created, 3)
})

for (const name of conformance.historyStoreCases()) {
  test(`history store conformance on a JS history store: ${name}`, async () => {
    assert.equal(await conformance.runHistoryStoreCase(name, History.fromObject(new JsHistoryStore())), null)
  })
}
