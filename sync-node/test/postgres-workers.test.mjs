// Workers of several instances on one PostgreSQL database (each instance its own process and
// connection pool): a status change made by one instance wakes an idle worker of another
// through LISTEN/NOTIFY, which delivers it; a 429 seen by one instance pauses the provider for
// the others (the shared provider gates); a stopped worker finishes its batch and resolves its
// totals; heartbeats keep a long provider call's lease.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { Store, StatusService, Worker, Jobs, Provider, model } from '../js/index.mjs'
import { database, dropDatabases, psql } from './support/pg.mjs'

test.after(dropDatabases)

const child = fileURLToPath(new URL('./support/pg-worker.mjs', import.meta.url))
// Long enough that only a wake hint (not a poll) can explain a delivery within the test.
const HOUR = 3_600_000

/** Resolves once a connection to the database at `url` is LISTENing for job hints. */
async function listening(url) {
  const name = new URL(url).pathname.slice(1)
  const sql = `SELECT count(*) FROM pg_stat_activity WHERE datname = '${name}' AND query LIKE 'LISTEN %'`
  while (Number(psql(sql)) === 0) await new Promise((r) => setTimeout(r, 50))
}

/** Another instance in its own process; `next(match)` resolves the first stdout line matching. */
function instance(args) {
  const proc = spawn(process.execPath, [child, JSON.stringify(args)], { stdio: ['pipe', 'pipe', 'inherit'] })
  const lines = []
  const waiters = []
  createInterface({ input: proc.stdout }).on('line', (line) => {
    const msg = JSON.parse(line)
    lines.push(msg)
    for (const w of [...waiters]) if (w.match(msg)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(msg) }
  })
  const exited = new Promise((resolve) => proc.once('exit', (code) => resolve(code)))
  return {
    lines,
    exited,
    next: (match) => new Promise((resolve, reject) => {
      const found = lines.find(match)
      if (found) return resolve(found)
      waiters.push({ match, resolve })
      exited.then((code) => reject(new Error(`the instance exited (${code}) before the line arrived`)))
    }),
    stop: () => proc.stdin.write('stop\n'),
    kill: () => proc.kill(),
  }
}

async function seeded(store, ids) {
  const tasks = ids.map((id) => ({ op: 'insert', task: model.taskFromDesired('s', 'todo', { external_id: id, kind: 'task', title: id, status: 'pending' }, 100) }))
  await store.apply({ guards: [], tasks })
  return tasks.map((t) => t.task.id)
}

const targets = [{ name: 'todo', kind: 'ms_todo' }]
const provider = (push) => new Provider('todo', { async list() { return { source: 'todo', complete: true, items: [] } }, push })

test('a status change in one process wakes the worker of another through NOTIFY; stopping it resolves its totals', { timeout: 60_000 }, async () => {
  const url = database('notify')
  const other = instance({ url, mode: 'run', config: { poll_ms: HOUR } })
  try {
    await other.next((m) => m.ready)
    // The other instance listens; this one does not (so the LISTEN seen is the other's), and
    // it changes a status only once the other is listening.
    await listening(url)
    const store = await Store.postgres(url, { poolSize: 2, listen: false })
    const [taskId] = await seeded(store, ['a'])
    const report = await new StatusService(store, { targets }).changeStatus(taskId, 'completed')
    const { pushed } = await other.next((m) => m.pushed)
    assert.equal(pushed.task_id, taskId)
    assert.equal(pushed.idempotency_key, report.jobs[0].id)
    const jobs = new Jobs(store)
    for (let i = 0; (await jobs.syncStatus(taskId)).todo !== 'synced'; i++) {
      assert.ok(i < 500, 'the delivery is recorded')
      await new Promise((r) => setTimeout(r, 20))
    }
    other.stop()
    const { stopped } = await other.next((m) => m.stopped)
    assert.equal(stopped.succeeded, 1)
    assert.equal(await other.exited, 0)
  } finally {
    other.kill()
  }
})

test('a 429 seen by one instance pauses the provider for another', { timeout: 60_000 }, async () => {
  const url = database('gates')
  const store = await Store.postgres(url, { poolSize: 2, listen: false })
  const [first, second] = await seeded(store, ['a', 'b'])
  const service = new StatusService(store, { targets })
  await service.changeStatus(first, 'completed')
  // This instance's worker takes the first job and is told to wait an hour.
  const calls = []
  const limited = provider(async (change) => {
    calls.push(change.task_id)
    throw Object.assign(new Error('slow down'), { code: 'rate_limited', status: 429, retryAfterMs: HOUR })
  })
  const tick = await new Worker(store, { providers: [limited], config: { id: 'here', batch: 1 } }).runOnce()
  assert.deepEqual([tick.claimed, tick.retried], [1, 1])
  assert.deepEqual(calls, [first])
  // Another instance (its own process and pool) gets the second job: the provider is paused
  // there too, so it is not called and the job waits.
  await service.changeStatus(second, 'completed')
  const other = instance({ url, mode: 'once' })
  const { tick: there } = await other.next((m) => m.tick)
  assert.equal(await other.exited, 0)
  assert.equal(other.lines.filter((m) => m.pushed).length, 0, 'the paused provider was not called')
  assert.deepEqual([there.claimed, there.succeeded, there.deferred], [1, 0, 1])
  const jobs = new Jobs(store)
  const [job] = await jobs.list({ taskId: second })
  assert.deepEqual([job.state, job.attempts], ['pending', 0], 'deferred, no attempt burnt')
  assert.deepEqual(await jobs.syncStatus(second), { todo: 'pending' })
})

test('a worker stopped while idle resolves at once; heartbeats keep a long call its lease', { timeout: 60_000 }, async () => {
  const url = database('heartbeat')
  const store = await Store.postgres(url, { poolSize: 4 })
  const [taskId] = await seeded(store, ['a'])
  await new StatusService(store, { targets }).changeStatus(taskId, 'completed')
  const calls = []
  let release
  const slow = provider(async (change) => {
    calls.push(change.attempt)
    await new Promise((r) => { release = r })
    return { remote: {} }
  })
  // A lease of 2 s (a heartbeat every third of it), and a provider call held until released.
  const worker = new Worker(store, { providers: [slow], config: { id: 'slow', lease_ms: 2_000, poll_ms: HOUR } })
  const stop = new AbortController()
  const running = worker.run({ signal: stop.signal })
  while (calls.length === 0) await new Promise((r) => setTimeout(r, 10))
  // While the call is out, another worker finds nothing to claim, lease after lease.
  const rival = new Worker(store, { providers: [provider(async () => ({ remote: {} }))], config: { id: 'rival' } })
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setTimeout(r, 1_500))
    assert.equal((await rival.runOnce()).claimed, 0, 'the lease is still held')
  }
  stop.abort() // the batch in flight finishes first
  release()
  const totals = await running
  assert.equal(totals.succeeded, 1)
  assert.deepEqual(calls, [1])
  assert.deepEqual(await new Jobs(store).syncStatus(taskId), { todo: 'synced' })
  // Stopped while idle: resolves without a batch.
  const idle = new AbortController()
  const again = worker.run({ signal: idle.signal })
  idle.abort()
  assert.equal((await again).claimed, 0)
})
