// Sessions through the binding: exact time accounting on a manual clock, typed errors for
// refused operations, events as EventEmitter and async iterator, on SQLite, PostgreSQL and a JS store.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  SessionEngine, Store, Clock, EventStream, InvalidStateError, NotFoundError, InvalidInputError,
  TasksyncError, ConflictError,
} from '../js/index.mjs'
import { JsStore } from './support/js-store.mjs'
import { pgStore, dropDatabases } from './support/pg.mjs'

const dir = mkdtempSync(join(tmpdir(), 'tasksync-node-'))
test.after(() => rmSync(dir, { recursive: true, force: true }))
test.after(dropDatabases)

const stores = {
  sqlite: () => Store.sqlite(join(dir, `s-${Math.random().toString(36).slice(2)}.db`)),
  js: () => Store.fromObject(new JsStore()),
  memory: () => Store.memory(),
  postgres: () => pgStore('sessions'),
}

for (const [kind, make] of Object.entries(stores)) {
  test(`a session's life on the ${kind} store`, async () => {
    const clock = Clock.manual(1_000)
    const events = new EventStream()
    const seen = []
    events.on('session_changed', (e) => seen.push(e.operation))
    const sessions = new SessionEngine(await make(), { clock, events })
    const created = await sessions.create('s1', ['plan', { id: 'build', name: 'Build' }, 'review'])
    assert.equal(created.status, 'created')
    await sessions.start('s1')
    clock.advance(300)
    await sessions.switch('s1')
    clock.advance(200)
    await sessions.pause('s1')
    clock.advance(10_000) // paused time is not accounted to any cycle
    await assert.rejects(sessions.switch('s1'), InvalidStateError)
    await sessions.resume('s1')
    clock.advance(50)
    await sessions.switch('s1', 'plan')
    const state = await sessions.state('s1')
    assert.deepEqual(state.cycles.map((c) => c.elapsed_ms), [300, 250, 0])
    assert.equal(state.running_ms, 550)
    assert.equal(state.paused_ms, 10_000)
    assert.equal(state.current_cycle, 'plan')
    await sessions.complete('s1')
    const last = await sessions.delete('s1')
    assert.equal(last.status, 'completed')
    await assert.rejects(sessions.state('s1'), NotFoundError)
    assert.deepEqual((await sessions.serverTime()).now_ms, 1_550 + 10_000)
    // Events arrive on the JS thread after the operations resolved.
    await new Promise((r) => setImmediate(r))
    assert.deepEqual(seen, ['create', 'start', 'switch', 'pause', 'resume', 'switch', 'complete', 'delete'])
  })
}

test('errors are typed, carry stable codes, and change nothing', async () => {
  const sessions = new SessionEngine(Store.memory(), { clock: Clock.manual(0) })
  await sessions.create('s', ['a', 'b'])
  const err = await sessions.switch('s').catch((e) => e)
  assert.ok(err instanceof InvalidStateError)
  assert.ok(err instanceof TasksyncError)
  assert.ok(err instanceof Error)
  assert.equal(err.code, 'invalid_state')
  assert.equal((await sessions.get('s')).version, 1)
  await assert.rejects(sessions.create('s', ['a']), ConflictError)
  await assert.rejects(sessions.create('t', []), InvalidInputError)
  await assert.rejects(sessions.get('missing'), (e) => e instanceof NotFoundError && e.code === 'not_found')
})

test('events as an async iterator stop on an AbortSignal', async () => {
  // The event callback never keeps the process alive by itself (by design): an event emitted
  // while nothing else holds the event loop open is not delivered. Hold it open here, as a
  // server's listening socket does.
  const alive = setInterval(() => {}, 60_000)
  const events = new EventStream()
  const sessions = new SessionEngine(Store.memory(), { events })
  const controller = new AbortController()
  const got = []
  const reader = (async () => {
    for await (const e of events.iterate({ signal: controller.signal })) {
      got.push(`${e.type}:${e.operation}`)
      if (got.length === 2) controller.abort()
    }
  })()
  await sessions.create('x', ['a'])
  await sessions.start('x')
  await reader.finally(() => clearInterval(alive))
  assert.deepEqual(got, ['session_changed:create', 'session_changed:start'])
})

test('a host clock is awaited from off the JS thread', async () => {
  let now = 5_000
  const sessions = new SessionEngine(Store.memory(), { clock: () => now })
  await sessions.create('h', ['a', 'b'])
  await sessions.start('h')
  now += 40
  const s = await sessions.switch('h')
  assert.deepEqual(s.cycle_ms, [40, 0])
})

test('concurrent switches on a JS store are never lost', async () => {
  const sessions = new SessionEngine(Store.fromObject(new JsStore({ delayMs: 1 })), { clock: Clock.manual(0) })
  await sessions.create('c', ['a', 'b', 'c'])
  await sessions.start('c')
  await Promise.all(Array.from({ length: 10 }, () => sessions.switch('c')))
  assert.equal((await sessions.get('c')).switch_count, 10)
})
