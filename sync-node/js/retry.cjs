'use strict'
// The outbound queue (the core's `retry`): StatusService (status change + jobs in one change
// set), Worker with the core's loop (`run`, woken by the store's hints) stopped by an AbortSignal, Jobs (list, show,
// dead letters, requeue, discard, sync status), and the pure policies: Breaker, RateLimiter,
// `retry.classify` and `retry.backoffDelayMs`. Conversion only; the queue's logic is the core's.

const native = require('../index.js')
const errors = require('./error.cjs')
const { options: checked, renamed } = require('./input.cjs')

const { call, InvalidInputError } = errors

module.exports = function retryModule({ json, optionalJson, str, nativeClock, sink, EventStream, Store, Provider, History }) {
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
     * Runs the core's worker loop until `signal` aborts: batches while there is work (leases
     * extended every `heartbeat_ms` while provider calls are out); when idle, waits for the
     * next due job, the store's wake hint (a status change in this process or, on PostgreSQL,
     * in any instance) or `poll_ms`. A store failure does not end it (the core retries after a
     * pause). On abort the batch in flight finishes, then it resolves the totals
     * `{claimed, succeeded, retried, deferred, dead, lease_lost}`.
     */
    async run(opts) {
      const { signal } = checked('worker run options', opts, ['signal'])
      if (signal !== undefined && signal !== null && (typeof signal.aborted !== 'boolean' || typeof signal.addEventListener !== 'function')) {
        throw new InvalidInputError('invalid input: signal must be an AbortSignal')
      }
      const stop = new native.WorkerStop()
      const onAbort = () => stop.stop()
      if (signal?.aborted) stop.stop()
      else signal?.addEventListener('abort', onAbort, { once: true })
      try {
        return await call(async () => JSON.parse(await this._native.run(stop)))
      } finally {
        signal?.removeEventListener('abort', onAbort)
      }
    }
    /** Extends the leases of the jobs in flight; resolves how many this worker still holds. */
    heartbeat() { return call(() => this._native.heartbeat()) }
    /**
     * For a host running its own loop around `runOnce`: waits until there may be work (the
     * next due job or lease expiry, the store's wake hint) or `maxMs` passed.
     */
    waitForWork(maxMs) { return call(() => this._native.waitForWork(maxMs)) }
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

  /**
   * A per-provider circuit breaker (the core's): opens after `failure_threshold` failures of
   * distinct jobs in a row, for `open_ms`, then lets one trial call through.
   */
  class Breaker {
    constructor(config) {
      this._native = sync(() => new native.Breaker(optionalJson('breaker config', config)))
    }
    /** null if a call may go at `now`, else the earliest time to try again. */
    tryAcquire(now) { return sync(() => this._native.tryAcquire(now)) }
    /** Records a successful call. */
    onSuccess() { this._native.onSuccess() }
    /** Records a failed call at `now` for `job` (counted once per job until a success). */
    onFailure(now, job) {
      sync(() => this._native.onFailure(now, job === undefined || job === null ? undefined : str('job', job)))
    }
    /** `{state: 'closed', failures}`, `{state: 'open', until}` or `{state: 'half_open'}`. */
    get state() { return JSON.parse(this._native.stateJson()) }
  }

  /** A per-provider token-bucket rate limiter (the core's), full at `now`. */
  class RateLimiter {
    constructor(now, config) {
      this._native = sync(() => new native.RateLimiter(now, optionalJson('rate limiter config', config)))
    }
    /** null if a call may go at `now` (a token is taken), else the earliest time to try again. */
    tryAcquire(now) { return sync(() => this._native.tryAcquire(now)) }
    /** Pauses the provider for `retryAfterMs` from `now` (an HTTP 429; at most a day). */
    pause(now, retryAfterMs) { sync(() => this._native.pause(now, retryAfterMs)) }
  }

  const retry = {
    backoffDelayMs: (backoff, attempt, seed = 0) => sync(() => native.backoffDelayMs(json('backoff', backoff), attempt, seed)),
    /**
     * What to do after attempt `attempt` of a provider call at `now`: `error` is null for a
     * success, else the core's provider error (`{class, provider, message, ...}`).
     */
    classify: (error, attempt, now, backoff, seed = 0) => sync(() => JSON.parse(native.classify(optionalJson('provider error', error), attempt, now, optionalJson('backoff', backoff), seed))),
    /** The sync status a task shows when its newest job is in `state`. */
    syncStatusOf: (state) => sync(() => native.syncStatusOf(str('state', state))),
    /** A task's sync status per target on `store` (the core's rule over the store's jobs). */
    syncStatus: (s, taskId) => call(async () => JSON.parse(await native.syncStatus(store(s), str('taskId', taskId)))),
    /**
     * `job` as a claim by `owner` at `now` writes it (running, leased until `now + leaseMs`,
     * next attempt, lease number and version): what a JS job store's `claim` stores and returns.
     */
    claimedJob: (job, owner, now, leaseMs) => sync(() => JSON.parse(native.claimedJob(json('job', job), str('owner', owner), now, leaseMs))),
    /** The longest delay the queue waits (one day): longer durations are refused or clamped. */
    MAX_DELAY_MS: native.maxDelayMs(),
  }

  return { StatusService, Worker, Jobs, Breaker, RateLimiter, retry }
}
