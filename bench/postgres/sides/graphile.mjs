// The baseline: graphile-worker on the same PostgreSQL, written the way its documentation
// suggests for throughput.
//
// Enqueue, two variants:
// - "bulk": `addJobs` of 1,000 jobs per call (one statement, one transaction per batch), what
//   a developer who only needs a job queue writes;
// - "outbox": what a status change with an atomic outbox is in plain SQL: per task, one
//   transaction that locks the task row, updates its status and calls
//   `graphile_worker.add_job`, run with the same concurrency as tasksync's status changes.
// Either way each job carries `jobKey` = task + target, so a newer status change replaces a
// pending push as tasksync's one-pending-job-per-task-and-target rule does (`jobKey: false`
// in the settings turns that off).
//
// Retries: graphile-worker's own retry after a throw waits exp(attempts) seconds (2.7 s,
// 7.4 s, ...; hard-coded in its SQL), which would measure sleeping. The equivalent with an
// immediate retry is the handler rescheduling itself: on a retryable failure it adds the next
// attempt as a new job (due at once, the same job key) and returns, so graphile completes
// (deletes) the failed one. Each retry therefore goes through the database, as tasksync's does.
import pg from 'pg'
import { Logger, makeWorkerUtils, run, runMigrations } from 'graphile-worker'
import { fails } from '../provider.mjs'

const IDENTIFIER = 'push_status'
const BULK = 1_000
const SCOPE = 100
// graphile's errors are printed; its info and debug lines are not.
const quiet = new Logger(() => (level, message) => { if (level === 'error') console.error(`graphile-worker: ${message}`) })

const taskId = (i) => `todo:t${i}`
const payloadOf = (i, attempt) => ({
  task_id: taskId(i), target: 'todo', status: 'completed',
  payload: { status: 'completed' }, attempt,
})
const jobKey = (settings, i) => (settings.jobKey === false ? undefined : `${taskId(i)}/todo`)

/** A pool whose idle clients' errors are printed instead of crashing the process. */
function watched(pool) {
  const report = (err) => console.error(`graphile side (pid ${process.pid}): idle client: ${err.message}`)
  pool.on('error', report)
  pool.on('connect', (client) => client.on('error', report))
  return pool
}

/** Opens `size` connections before the clock starts, as a long-running process has them. */
async function warm(pool, size) {
  const clients = await Promise.all(Array.from({ length: size }, () => pool.connect()))
  clients.forEach((c) => c.release())
}

/** Settings and their defaults (see the report for why these). */
export function settingsOf(raw = {}) {
  return {
    concurrency: 16,
    localQueue: 200,
    completeJobBatchDelay: 0,
    enqueue: 'bulk',
    enqueueConcurrency: 32,
    jobKey: true,
    ...raw,
  }
}

/** Parent side: migrates, seeds the task table (outbox variant; not timed). */
export async function setup({ url, n, settings }) {
  await runMigrations({ connectionString: url, logger: quiet })
  const pool = watched(new pg.Pool({ connectionString: url, max: 16 }))
  if (settings.enqueue === 'outbox') {
    await pool.query(`CREATE TABLE bench_tasks (id text PRIMARY KEY, scope text NOT NULL,
      status text NOT NULL, version integer NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())`)
    await pool.query(`CREATE INDEX bench_tasks_scope ON bench_tasks (scope)`)
    for (let from = 0; from < n; from += BULK) {
      const ids = []
      const scopes = []
      for (let i = from; i < Math.min(n, from + BULK); i++) {
        ids.push(taskId(i))
        scopes.push(`s${Math.floor(i / SCOPE)}`)
      }
      await pool.query(`INSERT INTO bench_tasks (id, scope, status, version)
        SELECT id, scope, 'pending', 1 FROM unnest($1::text[], $2::text[]) AS t(id, scope)`, [ids, scopes])
    }
  }
  await warm(pool, 16)
  const utils = await makeWorkerUtils({ pgPool: pool, logger: quiet })
  return { url, n, settings, pool, utils }
}

async function changeStatus(pool, settings, i) {
  const client = await pool.connect()
  try {
    await client.query('BEGIN')
    const { rows } = await client.query({ name: 'lock_task', text: 'SELECT status FROM bench_tasks WHERE id = $1 FOR UPDATE', values: [taskId(i)] })
    if (rows.length !== 1 || rows[0].status !== 'pending') throw new Error(`task ${taskId(i)} is not pending`)
    await client.query({ name: 'set_status', text: 'UPDATE bench_tasks SET status = $2, version = version + 1, updated_at = now() WHERE id = $1', values: [taskId(i), 'completed'] })
    await client.query({
      name: 'add_job',
      text: 'SELECT graphile_worker.add_job($1, $2::json, max_attempts => 5, job_key => $3)',
      values: [IDENTIFIER, JSON.stringify(payloadOf(i, 1)), jobKey(settings, i) ?? null],
    })
    await client.query('COMMIT')
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {})
    throw err
  } finally {
    client.release()
  }
}

/** The timed enqueue. */
export async function enqueue({ n, settings, pool, utils }) {
  if (settings.enqueue === 'outbox') {
    let next = 0
    const lane = async () => {
      while (next < n) await changeStatus(pool, settings, next++)
    }
    await Promise.all(Array.from({ length: settings.enqueueConcurrency }, lane))
    return
  }
  for (let from = 0; from < n; from += BULK) {
    const specs = []
    for (let i = from; i < Math.min(n, from + BULK); i++) {
      specs.push({ identifier: IDENTIFIER, payload: payloadOf(i, 1), maxAttempts: 5, jobKey: jobKey(settings, i) })
    }
    await utils.addJobs(specs)
  }
}

/** Jobs not finished yet (graphile deletes a job when it completes). */
export async function remaining({ pool }) {
  const { rows } = await pool.query('SELECT count(*)::int AS n FROM graphile_worker._private_jobs')
  return rows[0].n
}

/** After the drain: what the database holds (nothing may be left, nothing may have failed). */
export async function verify(ctx) {
  const left = await remaining(ctx)
  return left === 0 ? null : `${left} graphile jobs left in the database`
}

export async function close({ utils, pool }) {
  await utils.release()
  if (!pool.ended) await pool.end()
}

/** Worker process: a graphile `run` started on `start()`, stopped on `stop()`. */
export async function prepareWorker({ url, mode, settings, progress }) {
  const pool = watched(new pg.Pool({ connectionString: url, max: settings.concurrency + 2 }))
  await warm(pool, settings.concurrency + 2)
  const taskList = {
    [IDENTIFIER]: async (payload, helpers) => {
      progress.calls++
      if (fails(mode, payload.attempt)) {
        const i = Number(payload.task_id.slice('todo:t'.length))
        await helpers.addJob(IDENTIFIER, { ...payload, attempt: payload.attempt + 1 }, {
          maxAttempts: 5, jobKey: jobKey(settings, i),
        })
        return
      }
      progress.done++
    },
  }
  let runner
  return {
    async start() {
      runner = await run({
        pgPool: pool,
        concurrency: settings.concurrency,
        noHandleSignals: true,
        pollInterval: 1000,
        logger: quiet,
        taskList,
        preset: {
          worker: {
            ...(settings.localQueue > 1 ? { localQueue: { size: settings.localQueue } } : {}),
            completeJobBatchDelay: settings.completeJobBatchDelay,
            failJobBatchDelay: settings.completeJobBatchDelay,
          },
        },
      })
    },
    async stop() {
      await runner?.stop()
      if (!pool.ended) await pool.end()
    },
  }
}
