// Type-checked by `tsc --noEmit` (make test-node): the quick start of the README.
import express from 'express'
import { SyncEngine, SessionEngine, Store, EventStream, StalePlanError, type Listing } from 'tasksync'
import { createRouter } from 'tasksync/express'

async function main(): Promise<void> {
  const store = Store.sqlite('hub.db')
  const events = new EventStream()
  const engine = new SyncEngine(store, { events })
  const sessions = new SessionEngine(store, { events })

  const listing: Listing = { source: 'files', complete: true, items: [{ external_id: 'spec', kind: 'task', title: 'Write the spec' }] }
  const plan = await engine.preview('project-1', listing)
  console.log(plan.counts.creates)
  try {
    const report = await engine.execute(plan, { confirmed: true })
    console.log(report.scope_version)
  } catch (err) {
    if (err instanceof StalePlanError) console.log(err.code)
  }
  for await (const event of events.iterate({ signal: AbortSignal.timeout(10) })) {
    if (event.type === 'session_changed') console.log(event.session.current_cycle)
  }

  const app = express()
  app.use('/v1', createRouter({ engine, sessions, events, rateLimit: { max: 600 } }))
  app.listen(3000)
}

void main()
