// Preview + execute of 100,000 new tasks from Node into SQLite: tasksync (one boundary
// crossing each way, the plan stays native) against a plain JavaScript + better-sqlite3
// implementation of the same job (load the scope, diff with a Map, insert in one transaction),
// in the same run. Then a second run with 10% of the titles changed (updates).
// Usage: node bench/sync.mjs [count]
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { SyncEngine, Store } from '../js/index.mjs'

const N = Number(process.argv[2] ?? 100_000)
const dir = mkdtempSync(join(tmpdir(), 'tasksync-bench-'))
const items = (gen) => Array.from({ length: N }, (_, i) => ({
  external_id: `ext-${i}`, kind: 'task', title: gen > 0 && i % 10 === 0 ? `Task ${i} v${gen}` : `Task ${i}`,
  fields: { priority: i % 5, url: `https://example.invalid/t/${i}` },
}))
const listing = (gen) => ({ source: 'bench', complete: true, items: items(gen) })

async function tasksync(gen, engine) {
  const l = listing(gen)
  const t0 = performance.now()
  const plan = await engine.preview('scope', l, { writable: null })
  await engine.execute(plan, { confirmed: true })
  return performance.now() - t0
}

function plainSetup(path) {
  const db = new Database(path)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  db.exec(`CREATE TABLE tasks (id TEXT PRIMARY KEY, source TEXT NOT NULL, external_id TEXT NOT NULL,
    scope TEXT NOT NULL, kind TEXT NOT NULL, title TEXT NOT NULL, status TEXT NOT NULL,
    fields TEXT NOT NULL, version INTEGER NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
    UNIQUE (source, external_id))`)
  db.exec('CREATE INDEX tasks_scope ON tasks(scope)')
  return db
}

function plain(gen, db) {
  const l = listing(gen)
  const t0 = performance.now()
  const rows = db.prepare('SELECT id, external_id, kind, title, fields, version FROM tasks WHERE scope = ? AND source = ?').all('scope', l.source)
  const byExt = new Map(rows.map((r) => [r.external_id, r]))
  const creates = []
  const updates = []
  for (const it of l.items) {
    const cur = byExt.get(it.external_id)
    const fields = JSON.stringify(it.fields)
    if (!cur) creates.push([`${l.source}:${it.external_id}`, l.source, it.external_id, 'scope', it.kind, it.title, 'draft', fields])
    else if (cur.title !== it.title || cur.kind !== it.kind || cur.fields !== fields) updates.push([it.kind, it.title, fields, cur.id, cur.version])
  }
  const now = Date.now()
  const insert = db.prepare('INSERT INTO tasks VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)')
  const update = db.prepare('UPDATE tasks SET kind = ?, title = ?, fields = ?, version = version + 1, updated_at = ? WHERE id = ? AND version = ?')
  db.transaction(() => {
    for (const c of creates) insert.run(...c, now, now)
    for (const [kind, title, fields, id, version] of updates) {
      if (update.run(kind, title, fields, now, id, version).changes !== 1) throw new Error('conflict')
    }
  })()
  return performance.now() - t0
}

const engine = new SyncEngine(Store.sqlite(join(dir, 'tasksync.db')))
const db = plainSetup(join(dir, 'plain.db'))
const results = []
for (const [label, gen] of [['initial (all creates)', 0], ['10% changed (updates)', 1]]) {
  const a = await tasksync(gen, engine)
  const b = plain(gen, db)
  results.push({ run: label, tasks: N, tasksync_ms: Math.round(a), plain_js_ms: Math.round(b), speedup: +(b / a).toFixed(2) })
}
console.table(results)
db.close()
rmSync(dir, { recursive: true, force: true })
