// `startWorker` with the built-in Microsoft To Do adapter (`Provider.builtin`) against the
// loopback To Do fake (sync-providers' `fakes` example): a task completed through the Express
// router is completed in To Do without waiting for the worker's poll (a minute); stop() waits
// for the To Do call in flight; a scheduled pull (Puller) brings a new To Do task into the hub.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import http from 'node:http'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import express from 'express'
import { Store, SyncEngine, StatusService, Jobs, Worker, Provider, Puller, model } from '../js/index.mjs'
import { createRouter, startWorker } from '../express/index.mjs'
import { startFakes } from './support/fakes.mjs'

const limit = { timeout: 20_000 }
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

/** Waits until `probe` returns something truthy (the test's timeout bounds the wait). */
async function until(probe) {
  for (;;) {
    const value = await probe()
    if (value) return value
    await sleep(25)
  }
}

/** The fakes process and the To Do fake's controls. */
async function fakes(t) {
  const all = await startFakes()
  t.after(() => all.close())
  return {
    info: all.info,
    seen: () => all.seen('mstodo'),
    data: () => all.data('mstodo'),
    fault: (status, extra) => all.fault('mstodo', status, extra),
    setData: (data) => all.setData('mstodo', data),
  }
}

/** A hub on a SQLite file pulled from the To Do fake, served by the router on an ephemeral port. */
async function hub(t, pull = {}) {
  const fake = await fakes(t)
  const dir = mkdtempSync(join(tmpdir(), 'tasksync-express-todo-'))
  const store = Store.sqlite(join(dir, 'hub.db'))
  const todo = Provider.builtin(fake.info.configs.mstodo)
  const puller = new Puller(new SyncEngine(store), todo, { scope: 'home', provider_scope: 'list-1', ...pull })
  await puller.pull()
  const worker = new Worker(store, { providers: [todo], config: { poll_ms: 60_000 } })
  const app = express()
  app.use('/v1', createRouter({ statusService: new StatusService(store, { targets: [{ name: 'mstodo', kind: 'ms_todo' }] }), jobs: new Jobs(store), worker, rateLimit: false }))
  const server = http.createServer(app)
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(async () => {
    await new Promise((resolve) => server.close(resolve))
    rmSync(dir, { recursive: true, force: true })
  })
  const url = `http://127.0.0.1:${server.address().port}/v1`
  const complete = async (externalId) => {
    const id = model.hubId('mstodo', externalId)
    const res = await fetch(`${url}/tasks/${id}/status`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ to: 'completed' }) })
    assert.equal(res.status, 200, await res.clone().text())
    return res.json()
  }
  const syncStatus = async (externalId) => (await (await fetch(`${url}/tasks/${model.hubId('mstodo', externalId)}/sync-status`)).json()).mstodo
  const todoStatus = async (taskId) => (await fake.data())['list-1'].find((x) => x.id === taskId)?.status
  return { fake, store, worker, puller, complete, syncStatus, todoStatus }
}

test('a task completed through the router is completed in Microsoft To Do at once, not at the poll', limit, async (t) => {
  const { fake, worker, complete, syncStatus, todoStatus } = await hub(t)
  const handle = startWorker({ worker })
  t.after(() => handle.stop())
  assert.equal(await todoStatus('t1'), 'notStarted')
  const changed = await complete('list-1/t1')
  assert.equal(changed.jobs[0].target, 'mstodo')
  await until(async () => (await todoStatus('t1')) === 'completed')
  const patch = (await fake.seen()).find((r) => r.method === 'PATCH')
  assert.match(patch.path, /\/me\/todo\/lists\/list-1\/tasks\/t1$/)
  assert.equal(patch.headers.authorization, `Bearer ${fake.info.token}`)
  assert.equal(JSON.parse(patch.body).status, 'completed')
  await until(async () => (await syncStatus('list-1/t1')) === 'synced')
  const totals = await handle.stop()
  assert.equal(totals.worker.succeeded, 1)
  assert.equal(totals.worker.dead, 0)
})

test('stop() resolves after the To Do call in flight was answered', limit, async (t) => {
  const { fake, worker, complete, syncStatus, todoStatus } = await hub(t)
  // The fake holds its next answer (a 200 fault only delays the real answer).
  await fake.fault(200, { delay_ms: 500 })
  const handle = startWorker({ worker })
  await complete('list-1/t2')
  await until(async () => (await fake.seen()).some((r) => r.method === 'PATCH'))
  const totals = await handle.stop()
  // The call was out when stop() was asked; stop() resolved only once it was answered and the job recorded.
  assert.equal(totals.worker.succeeded, 1)
  assert.equal(await syncStatus('list-1/t2'), 'synced')
  assert.equal(await todoStatus('t2'), 'completed')
})

test('scheduled pulls run beside the worker: a task added in To Do reaches the hub', limit, async (t) => {
  const { fake, store, worker, puller } = await hub(t, { interval_ms: 1_000 })
  const data = await fake.data()
  data['list-1'].push({ '@odata.etag': 'W/"x"', id: 't6', title: 'Book flights', status: 'notStarted', importance: 'normal', completedDateTime: null })
  await fake.setData(data)
  const pulls = []
  const handle = startWorker({ worker, pullers: [puller], onPull: (result) => pulls.push(result) })
  const titles = async () => (await store.snapshot('home')).tasks.map((x) => x.title)
  await until(async () => (await titles()).includes('Book flights'))
  const totals = await handle.stop()
  assert.ok(totals.pulls[0].executed >= 1, JSON.stringify(totals))
  assert.equal(totals.pulls[0].failed, 0)
  assert.ok(pulls.length >= 1)
  assert.equal((await titles()).length, 6)
})
