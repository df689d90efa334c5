// The baseline: graphile-worker on the same PostgreSQL, written the way its documentation
// suggests for throughput.
//
// Enqueue, two variants:
// - "bulk": `addJobs` of 1,000 jobs per call (one statement, one transaction per batch), what
//   a developer who only needs a job queue writes;
// - "outbox": what a status change with an atomic outbox is in plain SQL: per task, one
//   transaction that locks the task row, updates its status and calls
//   `graphile_worker.add_job`, with the same concurrency and order as tasksync's status
//   changes.
// Either way each job carries `jobKey` = task + target, so a newer status change replaces a
// pending push as tasksync's one-pending-job-per-task-and-target rule does (`jobKey: false`
// in the settings turns that off).
//
// Retries: graphile-worker's own retry after a throw waits exp(attempts) seconds (2.7 s,
// 7.4 s, ...; hard-coded in its SQL), which would measure sleeping. Two ways to retry at once:
// - "native" (default): the handler throws, so graphile's own failure path runs (the batched
//   `failJobs` update: attempts, last_error, run_at, unlock), and a trigger on its job table,
//   created for this mode only, moves the run_at that update computes to now(): the same
//   statements as graphile's retry, without the wait. The trigger is declared WHEN an unlock
//   moves run_at later (only that update does), so the fetch's lock updates do not call it.
// - "reschedule": the handler adds the next attempt as a new job (due at once, same job key)
//   and returns, so graphile completes (deletes) the failed one: what an application does
//   without touching graphile's schema; one more transaction per retry.
import pg from 'pg'
import { Logger, makeWorkerUtils, run, runMigrations } from 'graphile-worker'
import { enqueueOrder, fails, SCOPE } from '../work.mjs'

const IDENTIFIER = 'push_status'
const BULK = 1_000
// graphile's errors are printed; its info and debug lines are not.
// The failures the fail-twice mode causes on purpose are not printed either.
const quiet = new Logger(() => (level, message, meta) => {
  if (level === 'error' && !meta?.failure) console.error(`graphile-worker: ${message}`)
})

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

/**
 * Settings and their defaults, tuned for graphile on this kind of machine (2 cores, jobs that
 * take no time): 16 jobs at a time per process (50 was slower: more connections and lock
 * traffic for no extra work), a local queue of 500 (graphile's batch fetch, as tasksync claims
 * 512 at a time; without it graphile drained about 4 times slower), completions and failures
 * batched at once (`completeJobBatchDelay: 0`), a pool of 18 (concurrency + 2, as its
 * documentation advises), its own failure path for retries (10 times faster than the handler
 * rescheduling), and a 1 s poll (100 ms made no difference).
 */
export function settingsOf(raw = {}) {
  return {
    concurrency: 16,
    poolSize: 18,
    localQueue: 500,
    completeJobBatchDelay: 0,
    enqueue: 'bulk',
    enqueueConcurrency: 32,
    order: 'spread',
    jobKey: true,
    pollInterval: 1000,
    retry: 'native',
    ...raw,
  }
}

/** Parent side: migrates, seeds the task table (outbox variant; not timed). */
export async function setup({ url, n, mode, settings }) {
  await runMigrations({ connectionString: url, logger: quiet })
  const pool = watched(new pg.Pool({ connectionString: url, max: 16 }))
  if (mode === 'fail2' && settings.retry === 'native') {
    await pool.query(`CREATE FUNCTION public.bench_retry_now() RETURNS trigger LANGUAGE plpgsql AS
      $$ BEGIN NEW.run_at := now(); RETURN NEW; END $$`)
    await pool.query(`CREATE TRIGGER bench_retry_now BEFORE UPDATE ON graphile_worker._private_jobs
      FOR EACH ROW WHEN (NEW.run_at > OLD.run_at AND NEW.locked_by IS NULL) EXECUTE FUNCTION public.bench_retry_now()`)
  } else if (settings.retry !== 'native' && settings.retry !== 'reschedule') {
    throw new Error(`graphile retry must be native or reschedule, got ${settings.retry}`)
  }
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
    const order = enqueueOrder(n, settings.order)
    let next = 0
    const lane = async () => {
      while (next < n) await changeStatus(pool, settings, order[next++])
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
  const pool = watched(new pg.Pool({ connectionString: url, max: settings.poolSize }))
  await warm(pool, settings.poolSize)
  const taskList = {
    [IDENTIFIER]: async (payload, helpers) => {
      progress.calls++
      if (settings.retry === 'native') {
        if (fails(mode, helpers.job.attempts)) throw Object.assign(new Error('busy'), { status: 503 })
        progress.done++
        return
      }
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
        pollInterval: settings.pollInterval,
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
