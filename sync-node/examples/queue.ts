// Type-checked (tsc --noEmit) example: a status change through the outbox, a worker loop
// stopped by an AbortSignal, dead letters and history, as a TypeScript host would write them.
import { Store, StatusService, Worker, Jobs, Provider, History, SyncEngine } from 'tasksync'
import type { TickReport, Job, Run, Page } from 'tasksync'

export async function queueExample(taskId: string): Promise<void> {
  const store = Store.sqlite('hub.db')
  const history = History.sqlite('hub.db')
  const service = new StatusService(store, { targets: [{ name: 'todo', kind: 'ms_todo', maxAttempts: 5 }], history })
  const { jobs } = await service.changeStatus(taskId, 'completed', { actor: 'ana' })
  const provider = new Provider('todo', {
    async list() { return { source: 'todo', complete: true, items: [] } },
    async push(change) { return { remote: { status: change.status } } },
  })
  const worker = new Worker(store, { providers: [provider], config: { batch: 32, dead_policy: 'revert_status' } })
  const controller = new AbortController()
  const loop = worker.run({ signal: controller.signal, onTick: (r: TickReport) => console.log(r.succeeded) })
  controller.abort()
  await loop
  const queue = new Jobs(store, { history })
  const dead: Job[] = await queue.deadLetters({ limit: 10 })
  for (const job of dead) await queue.requeue(job.id, { actor: { user: 'ops' } })
  console.log(jobs.length, await queue.syncStatus(taskId), worker.metricsText())

  const engine = new SyncEngine(store, { history })
  const plan = await engine.preview('p', { source: 'files', complete: true, items: [] }, undefined, { context: { actor: { user: 'ana' } }, signal: controller.signal })
  console.log(plan.isEmpty)
  const page: Page<Run, string> = await history.runs({ kind: 'execute', limit: 20 })
  if (page.next) await history.runs({ cursor: page.next })
  await history.close()
}
