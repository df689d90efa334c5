// `startWorker` from `tasksync/express` in a real Express app (HTTP on an ephemeral port, a
// SQLite store file): a status change made through the router reaches the provider through the
// core's wake hint, not the poll (poll_ms is a minute; each test gives up after 10 s); stop()
// lets the provider call in flight finish; the server-close, signal and AbortSignal hooks;
// bad options refused by name.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import http from 'node:http'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import express from 'express'
import { Store, StatusService, Jobs, Worker, Provider, Puller, FolderSource, SyncEngine, InvalidInputError, model } from '../js/index.mjs'
import { createRouter, startWorker } from '../express/index.mjs'
import cjs from '../express/index.cjs'

const MINUTE = 60_000
const EXAMPLES = new URL('../../examples/tasks', import.meta.url).pathname
const limit = { timeout: 10_000 }

/** A deferred: `promise` settles when `resolve` is called. */
function deferred() {
  let resolve
  const promise = new Promise((r) => { resolve = r })
  return { promise, resolve }
}

/**
 * An app on an ephemeral port over a SQLite file: the router with status changes and jobs,
 * a worker polling once a minute, and a provider recording pushes (held by `gate` if set).
 */
async function app(t, { gate } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'tasksync-express-worker-'))
  const store = Store.sqlite(join(dir, 'tasksync.db'))
  const pushed = []
  const waiters = []
  const provider = new Provider('todo', {
    async list() { return { source: 'todo', complete: true, items: [] } },
    async push(change) {
      waiters.shift()?.resolve(change.task_id)
      if (gate) await gate.promise
      pushed.push(change.task_id)
      return { remote: { status: change.to } }
    },
  })
  const targets = [{ name: 'todo', kind: 'ms_todo' }]
  const worker = new Worker(store, { providers: [provider], config: { id: 'web-worker', poll_ms: MINUTE } })
  const web = express()
  web.use('/v1', createRouter({ statusService: new StatusService(store, { targets }), jobs: new Jobs(store), worker, rateLimit: false }))
  const server = http.createServer(web)
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${server.address().port}/v1`
  const tasks = ['a', 'b'].map((x) => ({ op: 'insert', task: model.taskFromDesired('s', 'todo', { external_id: x, kind: 'task', title: x, status: 'pending' }, 100) }))
  await store.apply({ guards: [], tasks })
  t.after(async () => {
    if (server.listening) await new Promise((resolve) => server.close(resolve))
    rmSync(dir, { recursive: true, force: true })
  })
  const post = async (path, body) => {
    const res = await fetch(url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
    return { status: res.status, body: await res.json() }
  }
  const get = async (path) => (await fetch(url + path)).json()
  /** Resolves the task id of the next push the provider receives. */
  const nextPush = () => {
    const d = deferred()
    waiters.push(d)
    return d.promise
  }
  /** Waits until the router reports the task synced to `todo` (the test's timeout bounds it). */
  const synced = async (id) => {
    for (;;) {
      if ((await get(`/tasks/${id}/sync-status`)).todo === 'synced') return
      await new Promise((r) => setTimeout(r, 20))
    }
  }
  return { server, worker, pushed, post, get, nextPush, synced, ids: tasks.map((x) => x.task.id) }
}

test('a status change through the router reaches the provider at once, not at the next poll', limit, async (t) => {
  const { worker, pushed, post, nextPush, synced, ids } = await app(t)
  const handle = startWorker({ worker })
  t.after(() => handle.stop())
  // The loop is running (it delivered one change); the next one is made while it idles.
  let push = nextPush()
  assert.equal((await post(`/tasks/${ids[0]}/status`, { to: 'completed' })).status, 200)
  assert.equal(await push, ids[0])
  await synced(ids[0])
  push = nextPush()
  const changed = await post(`/tasks/${ids[1]}/status`, { to: 'in_progress' })
  assert.equal(changed.status, 200)
  assert.equal(changed.body.jobs.length, 1)
  assert.equal(await push, ids[1])
  await synced(ids[1])
  assert.equal(handle.stopping, false)
  const totals = await handle.stop()
  assert.equal(handle.stopping, true)
  assert.deepEqual(pushed, ids)
  assert.equal(totals.worker.succeeded, 2)
  assert.equal(totals.worker.dead, 0)
  assert.deepEqual(totals.pulls, [])
  // stop() and close() are the same, and idempotent.
  assert.equal(await handle.close(), totals)
})

test('stop() resolves only after the provider call in flight finished, then the job is done', limit, async (t) => {
  const gate = deferred()
  const { worker, pushed, post, get, nextPush, ids } = await app(t, { gate })
  const handle = startWorker({ worker })
  const push = nextPush()
  await post(`/tasks/${ids[0]}/status`, { to: 'completed' })
  assert.equal(await push, ids[0])
  const order = []
  const stopped = handle.stop().then((totals) => { order.push('stopped'); return totals })
  // Let every pending callback run: the call is still out, so stop() has not resolved.
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r))
  assert.deepEqual(order, [])
  assert.deepEqual(await get(`/tasks/${ids[0]}/sync-status`), { todo: 'syncing' })
  order.push('released')
  gate.resolve()
  const totals = await stopped
  assert.deepEqual(order, ['released', 'stopped'])
  assert.deepEqual(pushed, [ids[0]])
  assert.equal(totals.worker.succeeded, 1)
  assert.deepEqual(await get(`/tasks/${ids[0]}/sync-status`), { todo: 'synced' })
})

test('the worker stops when the server closes, on an AbortSignal, and on a signal the app asked for', limit, async (t) => {
  const { server, worker } = await app(t)
  const onClose = startWorker({ worker, server })
  server.close()
  assert.equal((await onClose.done).worker.claimed, 0)
  assert.equal(onClose.stopping, true)

  const controller = new AbortController()
  const onAbort = startWorker({ worker, signal: controller.signal })
  controller.abort()
  assert.deepEqual((await onAbort.done).pulls, [])
  assert.equal((await startWorker({ worker, signal: AbortSignal.abort() }).done).worker.claimed, 0)

  // Process signals only when asked: none are hooked by default.
  const before = process.listenerCount('SIGUSR2')
  const quiet = startWorker({ worker })
  assert.equal(process.listenerCount('SIGUSR2'), before)
  await quiet.stop()
  const other = await app(t)
  const onSignal = startWorker({ worker: other.worker, server: other.server, signals: ['SIGUSR2'] })
  assert.equal(process.listenerCount('SIGUSR2'), before + 1)
  process.kill(process.pid, 'SIGUSR2')
  await onSignal.done
  assert.equal(other.server.listening, false, 'the signal closed the server')
  assert.equal(process.listenerCount('SIGUSR2'), before, 'and unhooked itself')
})

test('pull loops run beside the worker as their actor; a failing pull is reported and its loop goes on', limit, async (t) => {
  const { worker } = await app(t)
  const store = Store.memory()
  const engine = new SyncEngine(store)
  const folder = new Puller(engine, new FolderSource(EXAMPLES).provider(), { scope: 'notes', interval_ms: 1_000 })
  const failing = new Puller(engine, new Provider('down', {
    async list() { throw Object.assign(new Error('listing failed'), { code: 'unavailable' }) },
    async push() { return { remote: {} } },
  }), { scope: 'down', interval_ms: 1_000 })
  const results = []
  const errors = []
  const both = deferred()
  const handle = startWorker({
    worker,
    pullers: [folder, failing],
    context: { actor: { user: 'scheduler' } },
    onPull: (err, report) => {
      results.push(err ? `error: ${err.message}` : report.outcome)
      if (results.length === 2) both.resolve()
    },
    onError: (e) => errors.push(e.message),
  })
  await both.promise
  const totals = await handle.stop()
  assert.equal(totals.worker.claimed, 0)
  assert.deepEqual(totals.pulls.map((p) => [p.pulls, p.executed, p.failed]), [[1, 1, 0], [1, 0, 1]])
  assert.equal(results.filter((r) => r === 'executed').length, 1, results.join())
  assert.ok(results.some((r) => /listing failed/.test(r)), results.join())
  assert.equal((await store.snapshot('notes')).tasks.length, 28)
  assert.deepEqual(errors, [])
})

test('bad options are refused, naming the option', async (t) => {
  const { worker, server } = await app(t)
  const refused = (options, pattern) => assert.throws(() => startWorker(options), (err) => {
    assert.ok(err instanceof InvalidInputError, String(err))
    assert.equal(err.code, 'invalid_input')
    assert.match(err.message, pattern)
    return true
  })
  refused({ worker, singals: ['SIGTERM'] }, /unknown key `singals` in start worker options; known keys: worker, pullers, onPull, context, onError, signal, server, signals/)
  refused(undefined, /`worker` or `pullers` is required/)
  refused({}, /`worker` or `pullers` is required/)
  refused('worker', /start worker options must be an object/)
  refused({ worker: {} }, /`worker` must be a Worker/)
  refused({ worker, pullers: [{}] }, /`pullers` must be an array of Puller/)
  refused({ worker, pullers: 'p' }, /`pullers` must be an array of Puller/)
  refused({ worker, onPull: 1 }, /`onPull` must be a function/)
  refused({ worker, onError: 'log' }, /`onError` must be a function/)
  refused({ worker, signal: {} }, /`signal` must be an AbortSignal/)
  refused({ worker, server: {} }, /`server` must be an http.Server/)
  refused({ worker, signals: 'SIGTERM' }, /`signals` must be an array/)
  refused({ worker, signals: ['SIGTERN'] }, /`signals`: unknown signal `SIGTERN`/)
  // Nothing was started or hooked by a refused call.
  assert.equal(server.listening, true)
  assert.equal(process.listenerCount('SIGTERN'), 0)
  // The CommonJS entry is the same function.
  assert.equal(cjs.startWorker, startWorker)
})
