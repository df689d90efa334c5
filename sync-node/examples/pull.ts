// Type-checked usage of the built-in providers, the folder source and pull (tsc --noEmit).
import { FolderSource, Provider, Puller, Store, SyncEngine, Worker, type PullReport } from 'tasksync'

export async function main(token: string, renew: () => Promise<string>): Promise<void> {
  const store = Store.sqlite('hub.db')
  const engine = new SyncEngine(store)
  const todo = Provider.builtin({ kind: 'mstodo', base_url: 'https://graph.microsoft.com/v1.0', token }, { refresher: renew })
  const worker = new Worker(store, { providers: [todo] })
  const stop = new AbortController()
  const working = worker.run({ signal: stop.signal })

  const notes = new FolderSource('tasks/', { source: 'notes' })
  const { listing, problems } = await notes.readReport()
  console.log(listing.items.length, problems.map((p) => `${p.path}: ${p.message}`))

  const puller = new Puller(engine, todo, { scope: 'todo', provider_scope: 'list-1', rule: { max_deletes: 5 }, interval_ms: 60_000 })
  const report: PullReport = await puller.pull({ context: { actor: { user: 'kim' } } })
  if (report.outcome === 'held') {
    console.log(report.reasons.map((r) => r.reason))
    const plan = puller.held()
    if (plan) await engine.execute(plan, { confirmed: true })
  }
  const totals = await puller.run({ signal: stop.signal, onPull: (err, r) => console.log(err?.message ?? r?.outcome) })
  stop.abort()
  console.log(totals.pulls, await working)
}
