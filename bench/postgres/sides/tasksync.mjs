// tasksync as an Express/Node application runs it: the Node binding on `Store.postgres`.
// The parent seeds the tasks (scopes of 100, status pending; not timed), then times the
// enqueue: one `StatusService.changeStatus(task, 'completed')` per task (transition check,
// the task's pending jobs read, status and job in one change set), `enqueueConcurrency` of them
// in flight, as concurrent requests would be, in the order `order` (see work.mjs). Each worker process runs a `Worker` with a JS
// provider (`Worker.run`, the core's loop, stopped by an AbortSignal); retries use a 1 ms
// backoff.
import { rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Jobs, model, Provider, StatusService, Store, Worker } from 'tasksync'
import { enqueueOrder, fails, SCOPE } from '../work.mjs'

const CHUNK = 1_000
const taskIdOf = (i) => model.hubId('todo', `t${i}`)

/**
 * Settings and their defaults: batches of 512 with 64 calls in flight (as in the SQLite queue
 * bench; the worker's defaults of 64 and 16 drained a third slower here, 256 calls in flight
 * no faster), the store's default pool of 16, 32 status changes in flight (8 and 64 were no
 * faster: the server is the limit), spread over scopes (see work.mjs).
 */
export function settingsOf(raw = {}) {
  return {
    store: 'postgres',
    batch: 512,
    concurrency: 64,
    poolSize: 16,
    enqueueConcurrency: 32,
    order: 'spread',
    ...raw,
  }
}

/** `store: 'sqlite'` (a file named after the run's database) only checks the harness. */
const sqlitePath = (url) => join(tmpdir(), `${new URL(url).pathname.slice(1)}.db`)

async function open(url, settings) {
  if (settings.store === 'sqlite') return Store.sqlite(sqlitePath(url))
  if (settings.store !== 'postgres') throw new Error(`tasksync store must be postgres or sqlite, got ${settings.store}`)
  return Store.postgres(url, { poolSize: settings.poolSize })
}

/** Parent side: opens the store (it migrates), seeds the tasks. */
export async function setup({ url, n, settings }) {
  const store = await open(url, settings)
  const ids = []
  for (let from = 0; from < n; from += CHUNK) {
    const tasks = []
    for (let i = from; i < Math.min(n, from + CHUNK); i++) {
      const desired = { external_id: `t${i}`, kind: 'task', title: `Task ${i}`, status: 'pending' }
      tasks.push({ op: 'insert', task: model.taskFromDesired(`s${Math.floor(i / SCOPE)}`, 'todo', desired, Date.now()) })
      ids.push(taskIdOf(i))
    }
    await store.apply({ guards: [], tasks })
  }
  const service = new StatusService(store, { targets: [{ name: 'todo', kind: 'ms_todo', maxAttempts: 5 }] })
  return { url, n, settings, store, ids, service, jobs: new Jobs(store) }
}

/** The timed enqueue: one status change per task. */
export async function enqueue({ n, settings, ids, service }) {
  const order = enqueueOrder(n, settings.order)
  let next = 0
  const lane = async () => {
    while (next < n) {
      const report = await service.changeStatus(ids[order[next++]], 'completed')
      if (report.jobs.length !== 1) throw new Error(`a status change enqueued ${report.jobs.length} jobs`)
    }
  }
  await Promise.all(Array.from({ length: settings.enqueueConcurrency }, lane))
}

/** Jobs not finished yet (pending or running). */
export async function remaining({ jobs }) {
  const [pending, running] = await Promise.all([jobs.list({ state: 'pending', limit: 1 }), jobs.list({ state: 'running', limit: 1 })])
  return pending.length + running.length
}

/** After the drain: nothing left, nothing dead. */
export async function verify(ctx) {
  const left = await remaining(ctx)
  if (left) return 'jobs left pending or running'
  const dead = await ctx.jobs.deadLetters({ limit: 1 })
  return dead.length ? 'a job went to the dead letters' : null
}

export async function close({ url, settings }) {
  if (settings.store === 'sqlite') for (const end of ['', '-wal', '-shm']) rmSync(sqlitePath(url) + end, { force: true })
}

/** Worker process: a `Worker` on its own store, its loop started on `start()`. */
export async function prepareWorker({ url, mode, index, settings, progress }) {
  const store = await open(url, settings)
  const provider = new Provider('todo', {
    list() { return { source: 'todo', complete: true, items: [] } },
    push(change) {
      progress.calls++
      if (fails(mode, change.attempt)) throw Object.assign(new Error('busy'), { code: 'unavailable', status: 503 })
      progress.done++
      return { remote: {} }
    },
  })
  const worker = new Worker(store, {
    providers: [provider],
    config: {
      id: `bench-${index}`,
      batch: settings.batch,
      concurrency: settings.concurrency,
      backoff: { base_ms: 1, max_ms: 1, max_attempts: 5, jitter: 0 },
      // Every job failing twice would open the breaker: this measures retries, not breaking.
      breaker: { failure_threshold: 4_294_967_295 },
    },
  })
  // One batch on the empty queue before the clock starts: the connections are open, as in a
  // long-running worker.
  await worker.runOnce()
  const stop = new AbortController()
  let loop
  return {
    start() {
      loop = worker.run({ signal: stop.signal })
    },
    async stop() {
      stop.abort()
      await loop
    },
  }
}
