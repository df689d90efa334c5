// Two app instances on one SQLite file and one real Redis: a session switched through one
// instance's HTTP API reaches a WebSocket client of the other (and of the same one, once).
// (SQLite even when DATABASE_URL is set: `databaseUrl: null`; test/postgres.test.mjs runs the
// instances on PostgreSQL.)
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomUUID } from 'node:crypto'
import { connect } from './support/ws.mjs'
import { startApp } from '../app.mjs'

const dir = mkdtempSync(join(tmpdir(), 'tasksync-express-'))
const prefix = `tasksync-test-${randomUUID()}`

test('a switch on instance A reaches WebSocket clients of A and B, once each', async () => {
  const a = await startApp({ databaseUrl: null, dbPath: join(dir, 'hub.db'), prefix })
  const b = await startApp({ databaseUrl: null, dbPath: join(dir, 'hub.db'), prefix })
  try {
    const onA = await connect(a.wsUrl)
    const onB = await connect(b.wsUrl)
    const post = (base, path, body) => fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body ?? {}) })
    assert.equal((await post(a.url, '/v1/sessions', { id: 'x', cycles: ['plan', 'build'] })).status, 201)
    assert.equal((await post(a.url, '/v1/sessions/x/start')).status, 200)
    // Both instances see the same session (one SQLite file): B can read what A created.
    assert.equal((await (await fetch(`${b.url}/v1/sessions/x`)).json()).status, 'running')
    assert.equal((await post(a.url, '/v1/sessions/x/switch')).status, 200)
    const isSwitch = (m) => m.type === 'session_changed' && m.operation === 'switch' && m.session.id === 'x'
    const [fromB, fromA] = await Promise.all([onB.next(isSwitch), onA.next(isSwitch)])
    assert.equal(fromB.session.current_cycle, 'build')
    assert.equal(fromA.session.current_cycle, 'build')
    // And the other way round: a change made on B reaches A's client.
    assert.equal((await post(b.url, '/v1/sessions/x/pause')).status, 200)
    const paused = await onA.next((m) => m.type === 'session_changed' && m.operation === 'pause')
    assert.equal(paused.session.status, 'paused')
    // Once each: give in-flight messages a turn, then count.
    await (await fetch(`${a.url}/healthz`)).json()
    assert.equal(onA.messages.filter(isSwitch).length, 1)
    assert.equal(onB.messages.filter(isSwitch).length, 1)
    onA.ws.close()
    onB.ws.close()
  } finally {
    await Promise.all([a.close(), b.close()])
    rmSync(dir, { recursive: true, force: true })
  }
})

test('graceful shutdown closes WebSocket clients with 1001 and stops listening', async () => {
  const d = mkdtempSync(join(tmpdir(), 'tasksync-express-'))
  const app = await startApp({ databaseUrl: null, dbPath: join(d, 'hub.db'), prefix })
  const client = await connect(app.wsUrl)
  const closed = new Promise((resolve) => client.ws.once('close', (code) => resolve(code)))
  await app.close()
  assert.equal(await closed, 1001)
  await assert.rejects(fetch(`${app.url}/healthz`))
  rmSync(d, { recursive: true, force: true })
})

test('heartbeats drop a client that stops answering pings', async () => {
  const d = mkdtempSync(join(tmpdir(), 'tasksync-express-'))
  const app = await startApp({ databaseUrl: null, dbPath: join(d, 'hub.db'), prefix, heartbeatMs: 50 })
  try {
    const client = await connect(app.wsUrl)
    // A silent client: stop the library from answering pings automatically.
    client.ws.pong = () => {}
    const code = await new Promise((resolve) => client.ws.once('close', (c) => resolve(c)))
    assert.equal(code, 1006) // terminated, not closed cleanly
  } finally {
    await app.close()
    rmSync(d, { recursive: true, force: true })
  }
})
