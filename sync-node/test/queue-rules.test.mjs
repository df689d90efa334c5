// The queue's rules as JS sees them: the default retry schedule and budgets, durations that
// would wrap, the `discarded` sync status, and status changes no target receives.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  Store, SyncEngine, StatusService, Worker, Jobs, Provider, Clock, model, retry, InvalidInputError,
} from '../js/index.mjs'
import { JsQueueStore } from './support/js-queue-store.mjs'
import { pgStore, dropDatabases } from './support/pg.mjs'

test.after(dropDatabases)

const DAY = 86_400_000
const HUGE = [2 ** 63, 2 ** 64 - 1]
const stores = {
  sqlite: () => Store.sqlite(':memory:'),
  memory: () => Store.memory(),
  js: () => Store.fromObject(new JsQueueStore(), { keepsJobs: true }),
  postgres: () => pgStore('queue_rules'),
}

async function seeded(store, source = 'todo', ids = ['a']) {
  const tasks = ids.map((id) => ({
    op: 'insert',
    task: model.taskFromDesired('s', source, { external_id: id, kind: 'task', title: `Task ${id}`, status: 'pending' }, 100),
  }))
  await store.apply({ guards: [], tasks })
  return (await store.snapshot('s')).tasks
}

// A provider that answers every push with `error` and notes when it was called.
function failing(clock, error) {
  const calls = []
  const provider = new Provider('todo', {
    async list() { return { source: 'todo', complete: true, items: [] } },
    async push() { calls.push(clock.nowMs()); throw error },
  })
  return { provider, calls }
}

const unavailable = () => Object.assign(new Error('busy'), { code: 'unavailable', status: 503 })

// Runs the worker, jumping the clock to each wake-up, until the queue is idle.
async function drain(worker, clock) {
  for (let i = 0; i < 1000; i++) {
    if ((await worker.runOnce()).claimed > 0) continue
    const wake = await worker.nextWake()
    if (wake === null) return
    clock.set(Math.max(wake, clock.nowMs()))
  }
  throw new Error('the queue never drained')
}

for (const [kind, make] of Object.entries(stores)) {
  test(`one always-failing job retries after 1, 2, 4, 8, 16 s, then dies (${kind} store)`, async () => {
    const store = await make()
    const clock = Clock.manual(1_000_000)
    const [task] = await seeded(store)
    const service = new StatusService(store, { targets: [{ name: 'todo', kind: 'ms_todo' }], clock })
    const [job] = (await service.changeStatus(task.id, 'completed')).jobs
    assert.equal(job.max_attempts, null, 'the worker budget applies')
    const { provider, calls } = failing(clock, unavailable())
    await drain(new Worker(store, { providers: [provider], clock }), clock)
    assert.equal(calls[0], 1_000_000)
    assert.deepEqual(calls.slice(1).map((at, i) => at - calls[i]), [1_000, 2_000, 4_000, 8_000, 16_000])
    const dead = await new Jobs(store).show(job.id)
    assert.deepEqual([dead.state, dead.attempts], ['dead', 6])
  })

  test(`a mirror target receives another source's status change (${kind} store)`, async () => {
    const store = await make()
    const [task] = await seeded(store, 'files', ['spec'])
    const targets = [{ name: 'files', kind: 'ms_todo' }, { name: 'todo', kind: 'ms_todo', sources: ['files'] }]
    const report = await new StatusService(store, { targets }).changeStatus(task.id, 'completed')
    assert.deepEqual(report.jobs.map((j) => j.target).sort(), ['files', 'todo'], 'one job per target: fan-out')
    const pushed = { files: [], todo: [] }
    const providers = Object.keys(pushed).map((name) => new Provider(name, {
      async list() { return { source: name, complete: true, items: [] } },
      async push(change) { pushed[name].push(change); return { remote: { ok: name } } },
    }))
    assert.equal((await new Worker(store, { providers }).runOnce()).succeeded, 2)
    assert.deepEqual(pushed.todo.map((c) => [c.task_id, c.external_id, c.status]), [[task.id, 'spec', 'completed']],
      'the mirror gets the task under its external id')
    assert.equal(pushed.files.length, 1)
    assert.deepEqual(await new Jobs(store).syncStatus(task.id), { files: 'synced', todo: 'synced' })
    // A target that lists other sources no longer receives its own.
    const own = await seeded(store, 'todo', ['own'])
    const skipped = await new StatusService(store, { targets: targets.slice(1) }).changeStatus(own.find((t) => t.source === 'todo').id, 'completed')
    assert.equal(skipped.jobs.length, 0)
    assert.match(skipped.targets[0].skipped, /`todo`.*`files`/)
  })

  test(`a discarded job shows as discarded (${kind} store)`, async () => {
    const store = await make()
    const [task] = await seeded(store)
    const service = new StatusService(store, { targets: [{ name: 'todo', kind: 'ms_todo' }] })
    const [job] = (await service.changeStatus(task.id, 'completed')).jobs
    const refused = Object.assign(new Error('no'), { code: 'rejected', status: 403 })
    await new Worker(store, { providers: [failing(Clock.system(), refused).provider] }).runOnce()
    const jobs = new Jobs(store)
    assert.deepEqual(await jobs.syncStatus(task.id), { todo: 'failed' })
    await jobs.discard(job.id)
    assert.deepEqual(await jobs.syncStatus(task.id), { todo: 'discarded' })
  })
}

test('the worker budget applies when the target sets none; a target budget wins', async () => {
  const store = Store.memory()
  const clock = Clock.manual(1_000_000)
  const [a, b] = await seeded(store, 'todo', ['a', 'b'])
  await new StatusService(store, { targets: [{ name: 'todo', kind: 'ms_todo' }], clock }).changeStatus(a.id, 'completed')
  await new StatusService(store, { targets: [{ name: 'todo', kind: 'ms_todo', maxAttempts: 2 }], clock }).changeStatus(b.id, 'completed')
  const { provider } = failing(clock, unavailable())
  await drain(new Worker(store, { providers: [provider], clock, config: { backoff: { max_attempts: 3 } } }), clock)
  const byTask = Object.fromEntries((await new Jobs(store).list()).map((j) => [j.task_id, [j.state, j.attempts]]))
  assert.deepEqual(byTask, { [a.id]: ['dead', 3], [b.id]: ['dead', 2] })
  assert.throws(() => new StatusService(store, { targets: [{ name: 'todo', kind: 'ms_todo', maxAttempts: 0 }] }), InvalidInputError)
})

test('durations of 2^63 ms and more are refused in the config and clamped from a provider', async () => {
  const store = Store.memory()
  assert.equal(retry.MAX_DELAY_MS, DAY)
  for (const value of HUGE) {
    for (const [field, config] of [['lease_ms', { lease_ms: value }], ['breaker.open_ms', { breaker: { open_ms: value } }],
      ['backoff.max_ms', { backoff: { max_ms: value } }]]) {
      // 2^63 parses as a u64 and is refused by name; 2^64 - 1 is above u64 once a JS number.
      const named = value === 2 ** 63 ? `\`${field}\`` : ''
      assert.throws(() => new Worker(store, { config }), (e) => e instanceof InvalidInputError && e.message.includes(named), field)
    }
  }
  // 2^63 as a JSON number fits a u64; 2^64 - 1 rounds above it in JS and saturates: both wait a day.
  for (const retryAfterMs of HUGE) {
    const hub = Store.memory()
    const clock = Clock.manual(1_000_000)
    const [task] = await seeded(hub)
    const service = new StatusService(hub, { targets: [{ name: 'todo', kind: 'ms_todo' }], clock })
    const [job] = (await service.changeStatus(task.id, 'completed')).jobs
    const limited = Object.assign(new Error('slow down'), { code: 'rate_limited', retryAfterMs })
    const worker = new Worker(hub, { providers: [failing(clock, limited).provider], clock })
    assert.equal((await worker.runOnce()).retried, 1)
    assert.equal((await new Jobs(hub).show(job.id)).run_at, 1_000_000 + DAY, String(retryAfterMs))
  }
})

test('a change no target receives says why; mirroring the source sends it', async () => {
  const store = Store.memory()
  const [task] = await seeded(store, 'files')
  const skipped = await new StatusService(store, { targets: [{ name: 'todo', kind: 'ms_todo' }] }).changeStatus(task.id, 'in_progress')
  assert.equal(skipped.jobs.length, 0)
  assert.equal(skipped.targets.length, 1)
  assert.equal(skipped.targets[0].job_id, null)
  assert.match(skipped.targets[0].skipped, /`todo`.*`files`.*sources/)
  const sent = await new StatusService(store, { targets: [{ name: 'todo', kind: 'ms_todo', sources: ['files'] }] }).changeStatus(task.id, 'completed')
  assert.equal(sent.jobs.length, 1)
  assert.deepEqual(sent.targets.map((t) => [t.target, t.job_id, t.skipped]), [['todo', sent.jobs[0].id, null]])
  assert.equal(retry.syncStatusOf('discarded'), 'discarded')
  assert.throws(() => retry.syncStatusOf('exploded'), InvalidInputError)
})

test('the README example enqueues its job', async () => {
  // The README's Node quick start: tasks come from source `files`; the To Do target lists it.
  const store = Store.memory()
  const engine = new SyncEngine(store)
  const plan = await engine.preview('project-1', { source: 'files', complete: true,
    items: [{ external_id: 'spec', kind: 'task', title: 'Write the spec', status: 'pending' }] })
  await engine.execute(plan, { confirmed: true })
  const taskId = model.hubId('files', 'spec')
  const service = new StatusService(store, { targets: [{ name: 'todo', kind: 'ms_todo', sources: ['files'] }] })
  const report = await service.changeStatus(taskId, 'completed', { actor: 'ana' })
  assert.deepEqual(report.jobs.map((j) => j.target), ['todo'])
})
