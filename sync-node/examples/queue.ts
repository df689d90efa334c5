// Type-checked (tsc --noEmit) example: a status change through the outbox, a worker loop
// stopped by an AbortSignal, dead letters and history, as a TypeScript host would write them.
import { Store, StatusService, Worker, Jobs, Provider, History, SyncEngine, Breaker, RateLimiter, retry } from 'tasksync'
import type { TickReport, Job, Run, Page, Outcome, BreakerState } from 'tasksync'

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
  const loop = worker.run({ signal: controller.signal })
  controller.abort()
  const totals: TickReport = await loop
  console.log(totals.succeeded)
  const queue = new Jobs(store, { history })
  const dead: Job[] = await queue.deadLetters({ limit: 10 })
  for (const job of dead) await queue.requeue(job.id, { actor: { user: 'ops' } })
  console.log(jobs.length, await queue.syncStatus(taskId), await retry.syncStatus(store, taskId), worker.metricsText())

  // The worker's policies as values, for a host that calls a provider itself.
  const breaker = new Breaker({ failure_threshold: 3 })
  const limiter = new RateLimiter(Date.now(), { per_second: 5, burst: 5 })
  if (breaker.tryAcquire(Date.now()) === null && limiter.tryAcquire(Date.now()) === null) {
    const outcome: Outcome = retry.classify({ class: 'timeout', provider: 'todo', message: 'slow' }, 1, Date.now())
    if (outcome.outcome === 'retry_at') breaker.onFailure(Date.now(), jobs[0]?.id)
  }
  const state: BreakerState = breaker.state
  console.log(state.state)

  const engine = new SyncEngine(store, { history })
  const plan = await engine.preview('p', { source: 'files', complete: true, items: [] }, undefined, { context: { actor: { user: 'ana' } }, signal: controller.signal })
  console.log(plan.isEmpty)
  const page: Page<Run, string> = await history.runs({ kind: 'execute', limit: 20 })
  if (page.next) await history.runs({ cursor: page.next })
  await history.close()
}
