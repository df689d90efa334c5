// The outbound queue on PostgreSQL, side by side in one run on one server: jobs per second end
// to end (enqueue, then drain by two worker processes), tasksync through the Node binding
// against graphile-worker. Each side and run gets its own database, dropped at the end.
//
// Per side and run: the parent seeds (not timed), forks the worker processes and waits until
// they are connected; then times the enqueue; then tells the workers to go and times until
// every job is finished in the database (the workers' reports say when to start looking).
//
// Usage: node queue.mjs [--n 20000] [--runs 3] [--modes noop,fail2] [--workers 2]
//          [--sides tasksync,graphile,graphile-outbox] [--set family.key=value ...] [--smoke]
//   --smoke: 200 jobs, one run, every side and mode (checks the harness; no figures).
//   --set: a side setting, e.g. --set graphile.concurrency=50 or --set tasksync.batch=256
//          (family `graphile` for both graphile sides, `tasksync` for the tasksync sides).
import { fork } from 'node:child_process'
import { cpus, loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { createDatabase } from './db.mjs'
import { callsPerJob, MODES } from './work.mjs'
import { sides } from './sides/index.mjs'

function parseArgs(argv) {
  const opts = { n: 20_000, runs: 3, modes: MODES, workers: 2, sides: Object.keys(sides), set: {}, timeoutS: 600 }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${arg} needs a value`)
      return argv[++i]
    }
    if (arg === '--smoke') Object.assign(opts, { n: 200, runs: 1 })
    else if (arg === '--n') opts.n = Number(value())
    else if (arg === '--runs') opts.runs = Number(value())
    else if (arg === '--workers') opts.workers = Number(value())
    else if (arg === '--timeout-s') opts.timeoutS = Number(value())
    else if (arg === '--modes') opts.modes = value().split(',')
    else if (arg === '--sides') opts.sides = value().split(',')
    else if (arg === '--set') {
      const [, family, key, raw] = /^([a-z]+)\.([A-Za-z]+)=(.*)$/.exec(value()) ?? []
      if (!family) throw new Error('--set takes family.key=value')
      const parsed = raw === 'true' ? true : raw === 'false' ? false : Number.isNaN(Number(raw)) ? raw : Number(raw)
      ;(opts.set[family] ??= {})[key] = parsed
    } else throw new Error(`unknown argument ${arg}`)
  }
  for (const key of ['n', 'runs', 'workers']) {
    if (!Number.isInteger(opts[key]) || opts[key] < 1) throw new Error(`--${key} must be a positive integer`)
  }
  for (const mode of opts.modes) if (!MODES.includes(mode)) throw new Error(`unknown mode ${mode} (${MODES.join(', ')})`)
  for (const side of opts.sides) if (!sides[side]) throw new Error(`unknown side ${side} (${Object.keys(sides).join(', ')})`)
  return opts
}

const workerFile = fileURLToPath(new URL('./worker.mjs', import.meta.url))
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** Forks one worker process; resolves when it is ready. */
function startWorker(config) {
  const child = fork(workerFile, [JSON.stringify(config)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const state = { child, done: 0, calls: 0, stats: null, error: null, exited: false }
  child.on('message', (m) => {
    if (m.type === 'progress') Object.assign(state, { done: m.done, calls: m.calls })
    else if (m.type === 'stats') state.stats = m
    else if (m.type === 'error') state.error = m.message
  })
  state.exit = new Promise((resolve) => child.on('exit', (code) => { state.exited = true; resolve(code) }))
  state.ready = new Promise((resolve, reject) => {
    child.on('message', (m) => {
      if (m.type === 'ready') resolve()
      if (m.type === 'error') reject(new Error(`worker ${config.index}: ${m.message}`))
    })
    state.exit.then((code) => reject(new Error(`worker ${config.index} exited (${code}) before it was ready`)))
  })
  return state
}

function check(workers) {
  for (const w of workers) {
    if (w.error) throw new Error(`worker failed: ${w.error}`)
    if (w.exited && !w.stats) throw new Error('a worker exited during the run')
  }
}

async function measure(opts, sideName, mode) {
  const side = sides[sideName]
  const settings = side.settings(opts.set[side.family] ?? {})
  const db = await createDatabase(`tsbench_${sideName.replace(/-/g, '_')}`)
  let ctx
  const workers = []
  try {
    ctx = await side.module.setup({ url: db.url, n: opts.n, mode, settings })
    for (let index = 0; index < opts.workers; index++) {
      workers.push(startWorker({ side: sideName, url: db.url, mode, index, workers: opts.workers, settings: opts.set[side.family] ?? {} }))
    }
    await Promise.all(workers.map((w) => w.ready))

    const t0 = performance.now()
    await side.module.enqueue(ctx)
    const t1 = performance.now()
    for (const w of workers) w.child.send({ type: 'go' })
    const deadline = t1 + opts.timeoutS * 1000
    while (workers.reduce((sum, w) => sum + w.done, 0) < opts.n) {
      check(workers)
      if (performance.now() > deadline) throw new Error(`${sideName}/${mode}: not drained after ${opts.timeoutS} s`)
      await sleep(5)
    }
    while ((await side.module.remaining(ctx)) > 0) {
      if (performance.now() > deadline) throw new Error(`${sideName}/${mode}: jobs left after ${opts.timeoutS} s`)
      await sleep(2)
    }
    const t2 = performance.now()

    for (const w of workers) w.child.send({ type: 'stop' })
    await Promise.all(workers.map((w) => w.exit))
    check(workers)
    const done = workers.reduce((sum, w) => sum + w.stats.done, 0)
    const calls = workers.reduce((sum, w) => sum + w.stats.calls, 0)
    const expected = opts.n * callsPerJob(mode)
    if (done !== opts.n || calls !== expected) {
      throw new Error(`${sideName}/${mode}: ${done} jobs done with ${calls} provider calls, expected ${opts.n} with ${expected}`)
    }
    const problem = await side.module.verify(ctx)
    if (problem) throw new Error(`${sideName}/${mode}: ${problem}`)
    const enqueueMs = t1 - t0
    const drainMs = t2 - t1
    return {
      side: sideName, mode, n: opts.n,
      enqueue_ms: Math.round(enqueueMs), drain_ms: Math.round(drainMs), total_ms: Math.round(enqueueMs + drainMs),
      jobs_per_s: Math.round(opts.n / ((enqueueMs + drainMs) / 1000)),
      drain_jobs_per_s: Math.round(opts.n / (drainMs / 1000)),
    }
  } finally {
    for (const w of workers) if (!w.exited) w.child.kill('SIGKILL')
    await Promise.all(workers.map((w) => w.exit))
    if (ctx) await side.module.close(ctx).catch((err) => console.error(`closing ${sideName}: ${err.message}`))
    await db.drop()
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

async function main() {
  const opts = parseArgs(process.argv.slice(2))
  const settingsShown = Object.fromEntries(opts.sides.map((s) => [s, sides[s].settings(opts.set[sides[s].family] ?? {})]))
  console.log(`queue bench: N=${opts.n}, ${opts.runs} run(s), modes ${opts.modes.join(', ')}, ${opts.workers} worker processes per side`)
  console.log(`machine: ${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}, node ${process.version}`)
  for (const [s, v] of Object.entries(settingsShown)) console.log(`  ${s} (${sides[s].label}): ${JSON.stringify(v)}`)
  const all = []
  for (let run = 1; run <= opts.runs; run++) {
    for (const mode of opts.modes) {
      // Alternate which side goes first, so neither always runs on a warmer (or busier) server.
      const order = run % 2 === 1 ? opts.sides : [...opts.sides].reverse()
      const rows = []
      for (const side of order) rows.push({ run, ...(await measure(opts, side, mode)) })
      rows.sort((a, b) => opts.sides.indexOf(a.side) - opts.sides.indexOf(b.side))
      const base = rows.find((r) => r.side === 'tasksync')
      for (const r of rows) r.tasksync_ratio = base ? +(base.jobs_per_s / r.jobs_per_s).toFixed(2) : null
      console.log(`\nrun ${run}, mode ${mode} (load average ${loadavg()[0].toFixed(2)})`)
      console.table(rows.map(({ run: _r, ...r }) => r))
      all.push(...rows)
    }
  }
  if (opts.runs > 1) {
    console.log('\nmedians over the runs (jobs/s end to end; ratio: tasksync / side)')
    const summary = []
    for (const mode of opts.modes) {
      for (const side of opts.sides) {
        const rows = all.filter((r) => r.mode === mode && r.side === side)
        summary.push({
          mode, side,
          jobs_per_s: median(rows.map((r) => r.jobs_per_s)),
          runs: rows.map((r) => r.jobs_per_s).join(' / '),
          tasksync_ratio: rows[0].tasksync_ratio === null ? null : median(rows.map((r) => r.tasksync_ratio)),
        })
      }
    }
    console.table(summary)
  }
}

main().catch((err) => {
  console.error(err?.stack ?? err)
  process.exit(1)
})
