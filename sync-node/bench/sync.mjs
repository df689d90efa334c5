// Preview + execute from Node into SQLite: tasksync (Store.sqlite file + SyncEngine, through
// the binding) against the same job in plain JavaScript + better-sqlite3, in the same run.
// The job: N stored tasks (default 100,000) in one scope, 30% of them not draft (no sync may
// touch them), each with four fields (priority, estimate, assignee, a two-element labels
// list). The desired set changes 10% of the tasks (a third each: title, fields, status), drops
// the last 5% and adds 5% new ones. Both sides' plan counts (creates, updates, deletes,
// skipped) are asserted equal, and a second preview must plan no write. Each run seeds fresh
// files (not timed), then times preview and execute.
// Usage: node bench/sync.mjs [N] [RUNS]   (or BENCH_TASKS / BENCH_RUNS)
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { SyncEngine, Store } from '../js/index.mjs'

const N = Number(process.argv[2] ?? process.env.BENCH_TASKS ?? 100_000)
const RUNS = Number(process.argv[3] ?? process.env.BENCH_RUNS ?? 3)
const SCOPE = 'workorder-1'
const SOURCE = 'process'

const fieldsOf = (i, changed = false) => ({
  priority: (i % 5) + (changed ? 10 : 0),
  estimate: i % 13,
  assignee: `user-${i % 50}`,
  labels: [`l${i % 7}`, changed ? 'moved' : `m${i % 11}`],
})
const storedItem = (i) => ({
  external_id: `step-${i}`, kind: 'step', title: `Step ${i}`,
  status: i % 100 < 30 ? 'in_progress' : 'draft', fields: fieldsOf(i),
})
function desiredItems(n) {
  const items = []
  for (let i = 0; i < n - Math.floor(n / 20); i++) {
    const item = storedItem(i)
    if (i % 10 === 0) {
      const what = Math.floor(i / 10) % 3
      if (what === 0) item.title = `Step ${i} (revised)`
      else if (what === 1) item.fields = fieldsOf(i, true)
      else item.status = 'pending'
    }
    items.push(item)
  }
  for (let i = n; i < n + Math.floor(n / 20); i++) items.push({ ...storedItem(i), status: 'draft' })
  return items
}
const listing = (items) => ({ source: SOURCE, complete: true, items })

async function tasksync(path, seed, desired) {
  const engine = new SyncEngine(Store.sqlite(path))
  await engine.execute(await engine.preview(SCOPE, listing(seed), { writable: null }), { confirmed: true })
  const wanted = listing(desired)
  const t0 = performance.now()
  const plan = await engine.preview(SCOPE, wanted)
  const t1 = performance.now()
  await engine.execute(plan, { confirmed: true })
  const t2 = performance.now()
  const again = (await engine.preview(SCOPE, wanted)).counts
  assert.deepEqual([again.creates, again.updates, again.deletes], [0, 0, 0])
  const c = plan.counts
  return { preview: t1 - t0, execute: t2 - t1, counts: [c.creates, c.updates, c.deletes, c.skipped] }
}

// The plain way: the schema a JS developer writes, load the scope, diff with a Map, one transaction.
function plainSetup(path, seed) {
  const db = new Database(path)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  db.exec(`CREATE TABLE tasks (id INTEGER PRIMARY KEY, scope TEXT NOT NULL, external_id TEXT NOT NULL,
    kind TEXT NOT NULL, title TEXT NOT NULL, status TEXT NOT NULL, fields TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1, updated_at INTEGER NOT NULL, UNIQUE (scope, external_id))`)
  const insert = db.prepare('INSERT INTO tasks (scope, external_id, kind, title, status, fields, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
  db.transaction(() => {
    for (const s of seed) insert.run(SCOPE, s.external_id, s.kind, s.title, s.status, JSON.stringify(s.fields), 0)
  })()
  return db
}

function plainDiff(db, desired) {
  const rows = db.prepare('SELECT id, external_id, title, status, fields, version FROM tasks WHERE scope = ?').all(SCOPE)
  const stored = new Map(rows.map((r) => [r.external_id, r]))
  const plan = { creates: [], updates: [], deletes: [], skipped: 0 }
  const seen = new Set()
  for (const d of desired) {
    seen.add(d.external_id)
    const t = stored.get(d.external_id)
    const fields = JSON.stringify(d.fields)
    if (!t) plan.creates.push([SCOPE, d.external_id, d.kind, d.title, d.status, fields])
    else if (t.title === d.title && t.status === d.status && t.fields === fields) continue
    else if (t.status !== 'draft') plan.skipped++
    else plan.updates.push([d.title, d.status, fields, t.id, t.version])
  }
  for (const t of rows) {
    if (seen.has(t.external_id)) continue
    if (t.status === 'draft') plan.deletes.push([t.id, t.version])
    else plan.skipped++
  }
  return plan
}
const plainCounts = (p) => [p.creates.length, p.updates.length, p.deletes.length, p.skipped]

function plainExecute(db, plan) {
  const now = Date.now()
  const insert = db.prepare('INSERT INTO tasks (scope, external_id, kind, title, status, fields, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
  const update = db.prepare('UPDATE tasks SET title = ?, status = ?, fields = ?, version = version + 1, updated_at = ? WHERE id = ? AND version = ?')
  const remove = db.prepare('DELETE FROM tasks WHERE id = ? AND version = ?')
  db.transaction(() => {
    for (const [id, version] of plan.deletes) if (remove.run(id, version).changes !== 1) throw new Error('conflict')
    for (const [title, status, fields, id, version] of plan.updates) {
      if (update.run(title, status, fields, now, id, version).changes !== 1) throw new Error('conflict')
    }
    for (const c of plan.creates) insert.run(...c, now)
  })()
}

function plain(path, seed, desired) {
  const db = plainSetup(path, seed)
  const t0 = performance.now()
  const plan = plainDiff(db, desired)
  const t1 = performance.now()
  plainExecute(db, plan)
  const t2 = performance.now()
  const again = plainCounts(plainDiff(db, desired))
  assert.deepEqual(again.slice(0, 3), [0, 0, 0])
  db.close()
  return { preview: t1 - t0, execute: t2 - t1, counts: plainCounts(plan) }
}

const seed = Array.from({ length: N }, (_, i) => storedItem(i))
const desired = desiredItems(N)
const dir = mkdtempSync(join(tmpdir(), 'tasksync-bench-'))
const ms = (x) => Math.round(x)
const rows = []
try {
  for (let run = 1; run <= RUNS; run++) {
    const a = await tasksync(join(dir, `tasksync-${run}.db`), seed, desired)
    const b = plain(join(dir, `plain-${run}.db`), seed, desired)
    assert.deepEqual(a.counts, b.counts)
    const ta = a.preview + a.execute
    const tb = b.preview + b.execute
    rows.push({
      run, tasksync_ms: `${ms(a.preview)} + ${ms(a.execute)} = ${ms(ta)}`,
      plain_js_ms: `${ms(b.preview)} + ${ms(b.execute)} = ${ms(tb)}`,
      ratio: +(tb / ta).toFixed(2), 'creates/updates/deletes/skipped': a.counts.join(' / '),
    })
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}
console.log(`preview + execute, ${N.toLocaleString('en')} stored tasks, ${desired.length.toLocaleString('en')} desired (ms)`)
console.table(rows)
const sorted = rows.map((r) => r.ratio).sort((x, y) => x - y)
console.log(`median ratio (plain JS / tasksync): ${sorted[Math.floor(sorted.length / 2)]}x`)
