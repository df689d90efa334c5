// A pure-JS history store (sync_core::history::HistoryStore): keeps the newest record of each
// run, items by position, audit entries by id (all upserted); pages newest first by (started_at | at, id) cursors.

const clone = (v) => structuredClone(v)
const newestFirst = (atOf) => (a, b) => atOf(b) - atOf(a) || (b.id < a.id ? -1 : b.id > a.id ? 1 : 0)
const before = (cursor, at, id) => !cursor || at < cursor.at || (at === cursor.at && id < cursor.id)

function page(list, atOf, query, keep) {
  const items = list.filter((x) => keep(x) && before(query.after, atOf(x), x.id)).sort(newestFirst(atOf))
  const taken = items.slice(0, query.limit)
  const last = taken[taken.length - 1]
  return { items: taken.map(clone), next: items.length > taken.length ? { at: atOf(last), id: last.id } : null }
}

export class JsHistoryStore {
  constructor() {
    this.runsById = new Map()
    this.itemsByRun = new Map()
    this.entries = new Map() // audit entries, upserted by id
    this.writes = 0
  }

  async write(batch) {
    this.writes += 1
    for (const run of batch.runs ?? []) this.runsById.set(run.id, clone(run))
    for (const group of batch.items ?? []) {
      const bySeq = new Map((this.itemsByRun.get(group.run_id) ?? []).map((i) => [i.seq, i]))
      for (const item of group.items) bySeq.set(item.seq, clone(item))
      this.itemsByRun.set(group.run_id, [...bySeq.values()])
    }
    for (const entry of batch.audit ?? []) this.entries.set(entry.id, clone(entry))
  }

  async run(id) { return this.runsById.has(id) ? clone(this.runsById.get(id)) : null }

  async runs(q) {
    return page([...this.runsById.values()], (r) => r.started_at, q, (r) =>
      (q.status == null || r.status === q.status) && (q.kind == null || r.kind === q.kind) &&
      (q.scope == null || r.scope === q.scope) && (q.since == null || r.started_at >= q.since) &&
      (q.until == null || r.started_at < q.until))
  }

  async items(q) {
    const all = (this.itemsByRun.get(q.run_id) ?? []).slice().sort((a, b) => a.seq - b.seq)
    const rest = all.filter((i) => q.after == null || i.seq > q.after)
    const taken = rest.slice(0, q.limit)
    return { items: taken.map(clone), next: rest.length > taken.length ? taken[taken.length - 1].seq : null }
  }

  async audit(q) {
    return page([...this.entries.values()], (e) => e.at, q, (e) =>
      (q.entity_type == null || e.entity_type === q.entity_type) && (q.entity_id == null || e.entity_id === q.entity_id))
  }
}
