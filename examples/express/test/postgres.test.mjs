// Two app instances on one fresh PostgreSQL database and one real Redis (own channel prefix),
// as two machines would run them: a session switched through A is seen by B's API and B's
// WebSocket clients; a task status changed through A's API is delivered to the webhook by the
// worker running in B (A runs none), woken by PostgreSQL NOTIFY; history written through A is
// listed by B.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import http from 'node:http'
import { randomUUID } from 'node:crypto'
import { model } from 'tasksync'
import { connect } from './support/ws.mjs'
import { freshDatabase } from './support/pg.mjs'
import { startApp } from '../app.mjs'

/** A webhook receiver recording each delivery with its headers. */
async function receiver() {
  const deliveries = []
  const waiters = []
  const server = http.createServer((req, res) => {
    let body = ''
    req.on('data', (c) => { body += c })
    req.on('end', () => {
      const delivery = { headers: req.headers, change: JSON.parse(body) }
      deliveries.push(delivery)
      for (const w of waiters.splice(0)) w(delivery)
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}')
    })
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${server.address().port}/hook`,
    deliveries,
    next: () => (deliveries.length ? Promise.resolve(deliveries[0]) : new Promise((resolve) => waiters.push(resolve))),
    close: () => new Promise((resolve) => server.close(resolve)),
  }
}

/** Polls `probe` until it returns a truthy value (a generous bound, no timing assertion). */
async function eventually(probe, what) {
  for (let i = 0; i < 1_000; i++) {
    const value = await probe()
    if (value) return value
    await new Promise((r) => setTimeout(r, 20))
  }
  throw new Error(`never: ${what}`)
}

const json = (res) => res.json()
const post = (base, path, body) => fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body ?? {}) })

test('two instances on PostgreSQL share sessions, jobs and history', { timeout: 120_000 }, async () => {
  const db = freshDatabase()
  const hook = await receiver()
  const prefix = `tasksync-test-${randomUUID()}`
  const common = { databaseUrl: db.url, poolSize: 4, prefix, webhook: { url: hook.url, sources: ['files'] } }
  // B's worker polls once an hour: only the NOTIFY of A's change explains a delivery in time.
  const apps = []
  try {
    const a = await startApp({ ...common, worker: false })
    apps.push(a)
    const b = await startApp({ ...common, workerConfig: { poll_ms: 3_600_000 } })
    apps.push(b)
    assert.equal(a.worker, undefined)
    assert.ok(b.worker)
    const onB = await connect(b.wsUrl)

    // Sessions: switched through A, seen by B's API and B's WebSocket client.
    assert.equal((await post(a.url, '/v1/sessions', { id: 'x', cycles: ['plan', 'build'] })).status, 201)
    assert.equal((await post(a.url, '/v1/sessions/x/start')).status, 200)
    assert.equal((await post(a.url, '/v1/sessions/x/switch')).status, 200)
    const isSwitch = (m) => m.type === 'session_changed' && m.operation === 'switch' && m.session.id === 'x'
    assert.equal((await onB.next(isSwitch)).session.current_cycle, 'build')
    assert.equal((await json(await fetch(`${b.url}/v1/sessions/x`))).current_cycle, 'build')

    // Tasks: synced in through A's API (its run goes to the shared history).
    const listing = { source: 'files', complete: true, items: [{ external_id: 'spec', kind: 'task', title: 'Write the spec', status: 'pending' }] }
    const { plan } = await json(await post(a.url, '/v1/sync/preview', { scope: 'p', listing }))
    assert.equal((await json(await post(a.url, '/v1/sync/execute', { plan, confirmed: true }))).created, 1)

    // A status change through A's API: B's worker delivers it to the webhook.
    const taskId = model.hubId('files', 'spec')
    const changed = await json(await post(a.url, `/v1/tasks/${taskId}/status`, { to: 'completed', actor: 'ana' }))
    assert.equal(changed.jobs.length, 1)
    const delivery = await hook.next()
    assert.equal(delivery.headers['x-tasksync-instance'], b.instanceId)
    assert.equal(delivery.headers['idempotency-key'], changed.jobs[0].id)
    assert.equal(delivery.change.task_id, taskId)
    assert.equal(delivery.change.status, 'completed')
    await eventually(async () => (await json(await fetch(`${a.url}/v1/tasks/${taskId}/sync-status`))).webhook === 'synced', 'A sees the job synced')
    await onB.next((m) => m.type === 'job_changed')
    assert.equal(hook.deliveries.length, 1)

    // History: the execute run made through A is listed by B.
    const runs = await eventually(async () => {
      const page = await json(await fetch(`${b.url}/v1/history/runs?kind=execute`))
      return page.items.length ? page.items : null
    }, 'B lists the run written through A')
    assert.deepEqual(runs.map((r) => [r.scope, r.status]), [['p', 'completed']])
    const audit = await eventually(async () => {
      const page = await json(await fetch(`${b.url}/v1/history/audit?entity_id=${taskId}`))
      return page.items.length ? page.items : null
    }, 'B lists the audit entry of the status change made through A')
    assert.equal(audit[0].entity_id, taskId)
    onB.ws.close()
  } finally {
    await Promise.allSettled(apps.map((app) => app.close()))
    await hook.close()
    db.drop()
  }
})
