'use strict'
// The outbound queue: StatusService (status change + jobs in one change set), Worker with a
// timer-driven loop (`run`) stopped by an AbortSignal, and Jobs (list, show, dead letters,
// requeue, discard, sync status). Conversion only; the queue's logic is the core's.

const native = require('../index.js')
const errors = require('./errors.cjs')
const { options: checked, renamed } = require('./options.cjs')

const { call, InvalidInputError } = errors

module.exports = function queue({ json, str, nativeClock, sink, EventStream, Store, Provider, History }) {
  const history = (h) => {
    if (h === undefined || h === null) return undefined
    if (!(h instanceof History)) throw new InvalidInputError('invalid input: history must be a History')
    return h._native
  }
  const store = (s) => {
    if (!(s instanceof Store)) throw new InvalidInputError('invalid input: store must be a Store')
    return s._native
  }
  const sync = (fn) => { try { return fn() } catch (e) { throw errors.fromNative(e) } }

  /** Changes task statuses in the hub and enqueues their sync jobs atomically. */
  class StatusService {
    /**
     * targets: `[{name, kind, maxAttempts?, sources?}]` (kind: ms_todo, connect_wise_ticket, ...);
     * a target receives the tasks of the source of its own name unless `sources` lists others.
     */
    constructor(s, opts) {
      const { targets = [], rules, clock, events, history: h } = checked('status service options', opts, ['targets', 'rules', 'clock', 'events', 'history'])
      this.events = events instanceof EventStream ? events : undefined
      const options = json('status service options', { targets, ...(rules ? { rules } : {}) })
      this._native = sync(() => new native.StatusService(store(s), options, nativeClock(clock), sink(events), history(h)))
    }
    /**
     * Moves task `taskId` to `to`; resolves `{changes, jobs, targets}` (`targets`: each target
     * considered, with its `job_id` or why it was `skipped`). Refusals are InvalidTransitionError.
     */
    changeStatus(taskId, to, opts) {
      return call(async () => {
        const { actor } = checked('status change options', opts, ['actor'])
        return JSON.parse(await this._native.changeStatus(str('taskId', taskId), str('to', to),
          actor === undefined || actor === null ? undefined : str('actor', actor)))
      })
    }
  }

  /** A queue worker calling JS providers. */
  class Worker {
    constructor(s, opts) {
      const { providers = [], config = {}, clock, events } = checked('worker options', opts, ['providers', 'config', 'clock', 'events'])
      if (!Array.isArray(providers) || providers.some((p) => !(p instanceof Provider))) {
        throw new InvalidInputError('invalid input: providers must be an array of Provider')
      }
      this.events = events instanceof EventStream ? events : undefined
      this._native = sync(() => new native.Worker(store(s), providers.map((p) => p._native), json('worker config', config), nativeClock(clock), sink(events)))
    }
    /** Claims one batch and runs it; resolves `{claimed, succeeded, retried, deferred, dead, lease_lost}`. */
    runOnce() { return call(async () => JSON.parse(await this._native.runOnce())) }
    /** When there may be work next (ms since the epoch), or null when idle. */
    nextWake() { return call(() => this._native.nextWake()) }
    /** The queue metrics in the Prometheus text format. */
    metricsText() { return this._native.metricsText() }
    /**
     * Runs the worker until `signal` aborts: a batch, then another at once while batches come
     * back full, else sleeps until `nextWake()` (at most `idleMs`; a new job does not wake the
     * loop early). `onTick(report)` sees each non-empty batch; `onError(err)` each failed one
     * (the loop goes on after `idleMs`). Resolves when stopped.
     */
    async run(opts) {
      const { signal, idleMs = 1000, onTick, onError } = checked('worker run options', opts, ['signal', 'idleMs', 'onTick', 'onError'])
      const stopped = () => signal !== undefined && signal !== null && signal.aborted
      const sleep = (ms) => new Promise((resolve) => {
        if (stopped()) return resolve()
        const done = () => { clearTimeout(timer); signal?.removeEventListener('abort', done); resolve() }
        const timer = setTimeout(done, Math.max(0, ms))
        signal?.addEventListener('abort', done, { once: true })
      })
      while (!stopped()) {
        let wait = idleMs
        try {
          const report = await this.runOnce()
          if (report.claimed > 0) {
            onTick?.(report)
            continue
          }
          const wake = await this.nextWake()
          if (wake !== null) wait = Math.min(idleMs, Math.max(0, wake - Date.now()))
        } catch (err) {
          if (onError) onError(err)
          else throw err
        }
        await sleep(wait)
      }
    }
  }

  /** The jobs of a store: list, show, dead letters, requeue, discard, sync status. */
  class Jobs {
    constructor(s, opts) {
      const { clock, events, history: h } = checked('jobs options', opts, ['clock', 'events', 'history'])
      this._native = sync(() => new native.Jobs(store(s), nativeClock(clock), sink(events), history(h)))
    }
    /** Jobs by `{state, target, taskId, after, limit}`, oldest first. */
    list(query) {
      return call(async () => JSON.parse(await this._native.list(json('job query', { limit: 100, ...renamed('job query', query, { taskId: 'task_id' }) }))))
    }
    /** One job (NotFoundError when there is none). */
    show(id) { return call(async () => JSON.parse(await this._native.show(str('id', id)))) }
    /** Dead jobs, oldest first; `after`: the previous page's last id. */
    deadLetters(opts) {
      const { after, limit = 100 } = checked('dead letter options', opts, ['after', 'limit'])
      if (!Number.isInteger(limit) || limit < 0) throw new InvalidInputError('invalid input: limit must be a non-negative integer')
      return call(async () => JSON.parse(await this._native.deadLetters(after === undefined || after === null ? undefined : str('after', after), limit)))
    }
    /** Requeues a dead job (InvalidStateError when it is not dead). `actor`: `{user, ip, user_agent}`. */
    requeue(id, opts) {
      return call(async () => {
        const { actor } = checked('requeue options', opts, ['actor'])
        return JSON.parse(await this._native.requeue(str('id', id), actor ? json('actor', actor) : undefined))
      })
    }
    /** Discards a dead job. */
    discard(id, opts) {
      return call(async () => {
        const { actor } = checked('discard options', opts, ['actor'])
        return JSON.parse(await this._native.discard(str('id', id), actor ? json('actor', actor) : undefined))
      })
    }
    /** `{target: 'pending' | 'syncing' | 'synced' | 'failed' | 'discarded'}` for a task. */
    syncStatus(taskId) { return call(async () => JSON.parse(await this._native.syncStatus(str('taskId', taskId)))) }
  }

  return { StatusService, Worker, Jobs }
}
