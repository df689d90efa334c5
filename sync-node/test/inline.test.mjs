// Session operations on the in-memory store complete inline (no tokio round trip); the JS API
// stays Promise-based, errors stay typed, and a JS clock (which must not be read on the JS
// thread) takes the Promise path without deadlocking.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { SessionEngine, Store, Clock, InvalidStateError, NotFoundError } from '../js/index.mjs'

test('memory store: results and typed errors through the inline path', async () => {
  const clock = Clock.manual(1_000)
  const sessions = new SessionEngine(Store.memory(), { clock })
  const pending = sessions.create('s', ['a', 'b'])
  assert.ok(pending instanceof Promise, 'the public API stays Promise-based')
  await pending
  await sessions.start('s')
  clock.advance(50)
  const state = await sessions.switch('s')
  assert.equal(state.current, 1)
  assert.deepEqual(state.cycle_ms, [50, 0])
  await sessions.pause('s')
  await assert.rejects(sessions.switch('s'), InvalidStateError)
  await assert.rejects(sessions.get('missing'), NotFoundError)
})

test('memory store with a JS clock takes the Promise path (the clock is read off the JS thread)', async () => {
  let now = 10_000
  const sessions = new SessionEngine(Store.memory(), { clock: () => now })
  await sessions.create('c', ['a', 'b'])
  await sessions.start('c')
  now += 250
  const state = await sessions.switch('c')
  assert.deepEqual(state.cycle_ms, [250, 0])
  assert.equal((await sessions.serverTime()).now_ms, 10_250)
})
