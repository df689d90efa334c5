// The outbound queue through the binding: status changes enqueue jobs atomically (the outbox),
// a worker pushes them to JS providers, dead letters can be listed, requeued and discarded,
// and the core's job store conformance suite passes on a pure-JS queue store.
import { test } from 'node:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import assert from 'node:assert/strict'
import {
  Store, StatusService, Worker, Jobs, Provider, History, EventStream, Clock, conformance, model,
  InvalidTransitionError, InvalidInputError, InvalidStateError, NotFoundError, StoreError,
} from '../js/index.mjs'
import { JsStore } from './support/js-store.mjs'
import { JsQueueStore } from './support/js-queue-store.mjs'
import { pgStore, dropDatabases } from './support/pg.mjs'

test.after(dropDatabases)

const jobStores = {
  'a JS queue store': () => Store.fromObject(new JsQueueStore(), { keepsJobs: true }),
  'the memory store': () => Store.memory(),
  'the SQLite store': () => Store.sqlite(':memory:'),
}

test('the job store suite has the fencing and store-contract cases', () => {
  const cases = conformance.jobStoreCases()
  for (const name of ['a_claim_writes_the_next_lease', 'a_late_result_of_a_lost_lease_changes_nothing', 'job_writes_are_checked']) {
    assert.ok(cases.includes(name), `${name} in ${cases.join(', ')}`)
  }
})

for (const [where, make] of Object.entries(jobStores)) {
  for (const name of conformance.jobStoreCases()) {
    test(`job store conformance on ${where}: ${name}`, async () => {
      assert.equal(await conformance.runJobStoreCase(name, make()), null)
    })
  }
}

test('job store conformance refuses a store that keeps no jobs', async () => {
  await assert.rejects(conformance.runJobStoreCase('enqueue_then_claim', Store.fromObject(new JsStore())), InvalidInputError)
})

async function seeded(store, statuses = { a: 'pending' }) {
  const tasks = Object.entries(statuses).map(([id, status]) => {
    const task = model.taskFromDesired('s', 'todo', { external_id: id, kind: 'task', title: `Task ${id}`, status }, 100)
    return { op: 'insert', task }
  })
  await store.apply({ guards: [], tasks })
  return (await store.snapshot('s')).tasks
}

const stores = {
  sqlite: () => Store.sqlite(':memory:'),
  memory: () => Store.memory(),
  js: () => Store.fromObject(new JsQueueStore(), { keepsJobs: true }),
  postgres: () => pgStore('queue'),
}

for (const [kind, make] of Object.entries(stores)) {
  test(`status change, job, worker push and sync status on the ${kind} store`, async () => {
    const store = await make()
    const [task] = await seeded(store)
    const events = new EventStream()
    const seen = []
    events.on('event', (e) => seen.push(e.type))
    const service = new StatusService(store, { targets: [{ name: 'todo', kind: 'ms_todo' }], events })
    const report = await service.changeStatus(task.id, 'completed', { actor: 'ana' })
    assert.equal(report.changes[0].to, 'completed')
    assert.equal(report.jobs.length, 1)
    assert.equal(report.jobs[0].payload.status, 'completed')
    const jobs = new Jobs(store)
    assert.deepEqual(await jobs.syncStatus(task.id), { todo: 'pending' })

    const pushed = []
    const provider = new Provider('todo', {
      async list() { return { source: 'todo', complete: true, items: [] } },
      async push(change) { pushed.push(change); return { remote: { status: 'completed' } } },
    })
    const worker = new Worker(store, { providers: [provider] })
    const tick = await worker.runOnce()
    assert.equal(tick.claimed, 1)
    assert.equal(tick.succeeded, 1)
    assert.equal(pushed.length, 1)
    assert.equal(pushed[0].idempotency_key, report.jobs[0].id)
    assert.equal(pushed[0].status, 'completed')
    assert.deepEqual(await jobs.syncStatus(task.id), { todo: 'synced' })
    assert.equal((await jobs.show(report.jobs[0].id)).state, 'succeeded')
    assert.equal(await worker.nextWake(), null)
    assert.match(worker.metricsText(), /todo/)
    assert.ok(seen.includes('status_changed'))
    assert.ok(seen.includes('job_changed'))
  })
}

test('a refused transition is InvalidTransitionError and writes nothing', async () => {
  const store = Store.sqlite(':memory:')
  const [task] = await seeded(store, { a: 'completed' })
  const service = new StatusService(store, { targets: [{ name: 'todo', kind: 'ms_todo' }] })
  await assert.rejects(service.changeStatus(task.id, 'draft'), InvalidTransitionError)
  await assert.rejects(service.changeStatus(task.id, 'nonsense'), InvalidInputError)
  await assert.rejects(service.changeStatus('no-such-task', 'completed'), NotFoundError)
  assert.deepEqual(await new Jobs(store).list(), [])
  assert.equal((await store.snapshot('s')).tasks[0].version, task.version)
})

test('a store that keeps no jobs refuses a change set carrying jobs, and writes nothing', async () => {
  const js = new JsStore()
  const store = Store.fromObject(js)
  const [task] = await seeded(store)
  const service = new StatusService(store, { targets: [{ name: 'todo', kind: 'ms_todo' }] })
  await assert.rejects(service.changeStatus(task.id, 'completed'), (err) => err instanceof StoreError && /keeps no sync jobs/.test(err.message))
  assert.equal(js.tasks.get(task.id).status, 'pending')
  // Without a target there is no job, so the same store takes the change.
  await new StatusService(store).changeStatus(task.id, 'completed')
  assert.equal(js.tasks.get(task.id).status, 'completed')
  assert.throws(() => new Worker(store), InvalidInputError)
  assert.throws(() => new Jobs(store), InvalidInputError)
})

test('bad configuration is InvalidInputError', () => {
  const store = Store.memory()
  assert.throws(() => new StatusService(store, { targets: [{ name: 'x', kind: 'carrier_pigeon' }] }), InvalidInputError)
  assert.throws(() => new Worker(store, { config: { batch: 0 } }), InvalidInputError)
  assert.throws(() => new Worker(store, { config: { lease_ms: 'soon' } }), InvalidInputError)
  assert.throws(() => new Worker(store, { providers: [{}] }), InvalidInputError)
})

test('a refusal goes to the dead letters; requeue, discard and their audit', async () => {
  const store = Store.sqlite(':memory:')
  const clock = Clock.manual(1_000)
  const history = History.memory()
  const [task] = await seeded(store)
  const service = new StatusService(store, { targets: [{ name: 'todo', kind: 'ms_todo' }], clock, history })
  const { jobs: [job] } = await service.changeStatus(task.id, 'completed', { actor: 'ana' })
  let refuse = true
  const provider = new Provider('todo', {
    async list() { return { source: 'todo', complete: true, items: [] } },
    async push() {
      if (refuse) throw Object.assign(new Error('field invalid'), { code: 'rejected', status: 422 })
      return { remote: {} }
    },
  })
  const events = new EventStream()
  const seen = []
  events.on('event', (e) => seen.push(e))
  const worker = new Worker(store, { providers: [provider], clock, events, config: { dead_policy: 'revert_status' } })
  assert.equal((await worker.runOnce()).dead, 1)
  // The revert reaches the UI as a status change, after the job's own `dead`.
  await new Promise((resolve) => setImmediate(resolve))
  const dead = seen.findIndex((e) => e.type === 'job_changed' && e.state === 'dead')
  const reverted = seen.findIndex((e) => e.type === 'status_changed' && e.change.cause === 'dead_job_reverted')
  assert.ok(dead >= 0 && reverted > dead, JSON.stringify(seen))
  assert.deepEqual([seen[reverted].change.from, seen[reverted].change.to], ['completed', 'pending'])
  const jobs = new Jobs(store, { clock, history })
  const letters = await jobs.deadLetters()
  assert.deepEqual(letters.map((j) => j.id), [job.id])
  assert.match(letters[0].last_error, /422/)
  assert.equal((await store.snapshot('s')).tasks[0].status, 'pending', 'revert_status put the status back')
  assert.deepEqual(await jobs.syncStatus(task.id), { todo: 'failed' })

  const requeued = await jobs.requeue(job.id, { actor: { user: 'ops' } })
  assert.equal(requeued.state, 'pending')
  assert.equal(requeued.attempts, 0)
  await assert.rejects(jobs.requeue(job.id), InvalidStateError)
  await assert.rejects(jobs.discard('job-missing'), NotFoundError)
  assert.equal((await worker.runOnce()).dead, 1)
  assert.equal((await jobs.discard(job.id)).state, 'discarded')
  assert.deepEqual(await jobs.deadLetters(), [])
  refuse = false

  await history.flush()
  const audit = await history.audit({ entityId: job.id })
  assert.deepEqual(audit.items.map((e) => e.action).sort(), ['job_discarded', 'job_retried'])
  const changed = await history.audit({ entityId: task.id })
  assert.ok(changed.items.some((e) => e.action === 'status_changed' && e.actor.user === 'ana'))
})

test('an expired token is refreshed through the JS refresher and the push retried', async () => {
  const store = Store.memory()
  const [task] = await seeded(store)
  await new StatusService(store, { targets: [{ name: 'todo', kind: 'ms_todo' }] }).changeStatus(task.id, 'in_progress')
  let token = 'old'
  const provider = new Provider('todo', {
    async list() { return { source: 'todo', complete: true, items: [] } },
    async push() {
      if (token === 'old') throw Object.assign(new Error('expired'), { code: 'token_expired' })
      return { remote: {} }
    },
    async refreshToken() { token = 'new' },
  })
  const worker = new Worker(store, { providers: [provider] })
  const first = await worker.runOnce()
  assert.equal(token, 'new')
  assert.equal(first.dead, 0)
  let total = first.succeeded
  for (let i = 0; i < 5 && total === 0; i++) total += (await worker.runOnce()).succeeded
  assert.equal(total, 1)
})

test('Worker.run wakes on status changes and resolves its totals when its AbortSignal aborts', async () => {
  const store = Store.memory()
  const tasks = await seeded(store, { a: 'pending', b: 'pending' })
  const service = new StatusService(store, { targets: [{ name: 'todo', kind: 'ms_todo' }] })
  const controller = new AbortController()
  const pushed = []
  let done
  const allPushed = new Promise((r) => { done = r })
  const provider = new Provider('todo', {
    async list() { return { source: 'todo', complete: true, items: [] } },
    async push(change) {
      pushed.push(change.task_id)
      if (pushed.length === 2) done()
      return { remote: {} }
    },
  })
  // Polls once an hour: only the store's wake hint explains the deliveries.
  const worker = new Worker(store, { providers: [provider], config: { poll_ms: 3_600_000 } })
  const loop = worker.run({ signal: controller.signal })
  await service.changeStatus(tasks[0].id, 'completed')
  await service.changeStatus(tasks[1].id, 'completed')
  await allPushed
  controller.abort()
  const totals = await loop
  assert.deepEqual(pushed.sort(), tasks.map((t) => t.id).sort())
  assert.equal(totals.succeeded, 2)
  // An aborted signal stops the loop before a batch; a signal that is not one is refused.
  assert.equal((await worker.run({ signal: AbortSignal.abort() })).claimed, 0)
  await assert.rejects(worker.run({ signal: {} }), InvalidInputError)
})

test('a 429 seen by one worker pauses the provider for a worker on another connection to the same SQLite file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tasksync-node-gates-'))
  try {
    const here = Store.sqlite(join(dir, 'hub.db'))
    const there = Store.sqlite(join(dir, 'hub.db'))
    const [a, b] = await seeded(here, { a: 'pending', b: 'pending' })
    const service = new StatusService(here, { targets: [{ name: 'todo', kind: 'ms_todo' }] })
    await service.changeStatus(a.id, 'completed')
    const calls = []
    const provider = (answer) => new Provider('todo', {
      async list() { return { source: 'todo', complete: true, items: [] } },
      async push(change) { calls.push(change.task_id); return answer() },
    })
    const limited = provider(() => { throw Object.assign(new Error('slow down'), { code: 'rate_limited', status: 429, retryAfterMs: 3_600_000 }) })
    const tick = await new Worker(here, { providers: [limited], config: { id: 'here', batch: 1 } }).runOnce()
    assert.deepEqual([tick.claimed, tick.retried], [1, 1])
    await service.changeStatus(b.id, 'completed')
    const other = await new Worker(there, { providers: [provider(() => ({ remote: {} }))], config: { id: 'there', batch: 1 } }).runOnce()
    assert.equal(other.succeeded, 0)
    assert.deepEqual(calls, [a.id], 'the paused provider was not called by the other worker')
    const job = (await new Jobs(there).list({ taskId: b.id }))[0]
    assert.deepEqual([job.state, job.attempts], ['pending', 0])
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('heartbeat and waitForWork: nothing in flight, and the wait ends at a status change', async () => {
  const store = Store.memory()
  const [task] = await seeded(store)
  const worker = new Worker(store, { providers: [] })
  assert.equal(await worker.heartbeat(), 0)
  const waiting = worker.waitForWork(3_600_000)
  await new StatusService(store, { targets: [{ name: 'todo', kind: 'ms_todo' }] }).changeStatus(task.id, 'completed')
  await waiting
  await worker.waitForWork(0)
  await assert.rejects(worker.waitForWork(-1), InvalidInputError)
})
