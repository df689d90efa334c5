'use strict'
// History: runs, items and the audit log (memory, SQLite, PostgreSQL or a JS history store), and the link
// from an AbortSignal to the addon's CancelToken. Cursors travel as opaque strings (the core
// prints and parses them) so an HTTP client can page with a query parameter; a query without a
// limit gets the core's page size.

const native = require('../index.js')
const errors = require('./error.cjs')
const { dispatcher } = require('./host.cjs')
const { options, renamed } = require('./input.cjs')

const { call, InvalidInputError } = errors

/** An optional number option (undefined stays undefined; the addon checks the range). */
function number(what, value) {
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'number') throw new InvalidInputError(`invalid input: ${what} must be a number, got ${typeof value}`)
  return value
}

/** A cursor token as the core takes it (undefined for the first page); the core parses it. */
function cursor(value) {
  if (value === undefined || value === null || value === '') return undefined
  if (typeof value !== 'string') throw new InvalidInputError('invalid input: cursor must be the `next` string of a previous page')
  return value
}

/** Sync history and audit log; pass it to engines, the status service and `Jobs`. */
class History {
  constructor(nativeHistory) {
    this._native = nativeHistory
  }
  static memory() { return new History(native.History.memory()) }
  static sqlite(path) {
    if (typeof path !== 'string') throw new InvalidInputError('invalid input: path must be a string')
    try { return new History(native.History.sqlite(path)) } catch (e) { throw errors.fromNative(e) }
  }
  /**
   * The PostgreSQL history at `url` (the database of a `Store.postgres` is fine: own pool and
   * tables). Resolves once connected and migrated (StoreError when it cannot connect; the
   * password never appears in the error). Options: `poolSize`, `connectTimeoutMs`.
   */
  static postgres(url, opts) {
    return call(async () => {
      const { poolSize, connectTimeoutMs } = options('postgres options', opts, ['poolSize', 'connectTimeoutMs'])
      if (typeof url !== 'string') throw new InvalidInputError('invalid input: url must be a string')
      return new History(await native.History.postgres(url, number('poolSize', poolSize), number('connectTimeoutMs', connectTimeoutMs)))
    })
  }
  /** A history store implemented by a JS object: write(batch), run(id), runs(q), items(q), audit(q). */
  static fromObject(object) {
    if (!object || typeof object !== 'object') throw new InvalidInputError('invalid input: history store must be an object')
    return new History(native.History.host(dispatcher(object, 'history store')))
  }
  /**
   * Runs, newest first: `{status, kind, scope, since, until, cursor, limit}` → `{items, next}`.
   * The query is the core's `RunQuery` (`cursor`: the previous page's `next`): other keys are
   * refused.
   */
  runs(query) {
    return call(async () => {
      const { cursor: token, ...q } = renamed('run query', query, {})
      return JSON.parse(await this._native.runs(JSON.stringify(q), cursor(token)))
    })
  }
  /** One run, or null. */
  run(id) {
    return call(async () => {
      if (typeof id !== 'string') throw new InvalidInputError('invalid input: run id must be a string')
      return JSON.parse(await this._native.run(id))
    })
  }
  /** A run's items in order: `{after, limit}` → `{items, next}` (next: a position). */
  items(runId, opts) {
    return call(async () => {
      if (typeof runId !== 'string') throw new InvalidInputError('invalid input: run id must be a string')
      const query = { ...renamed('item query', opts, {}), run_id: runId }
      query.after = query.after === undefined || query.after === null ? undefined : Number(query.after)
      if (query.after !== undefined && !Number.isInteger(query.after)) throw new InvalidInputError('invalid input: after must be an item position')
      return JSON.parse(await this._native.items(JSON.stringify(query)))
    })
  }
  /** Audit entries, newest first: `{entityType, entityId, cursor, limit}` → `{items, next}`. */
  audit(opts) {
    return call(async () => {
      const { cursor: token, ...query } = renamed('audit query', opts, { entityType: 'entity_type', entityId: 'entity_id' })
      return JSON.parse(await this._native.audit(JSON.stringify(query), cursor(token)))
    })
  }
  /** The recorder's counters `{queued, dropped, written, lost}`. */
  stats() { return JSON.parse(this._native.stats()) }
  /** Waits until everything recorded so far is written (or lost): polls the recorder's queue. */
  async flush(opts) {
    const { intervalMs = 5 } = options('flush options', opts, ['intervalMs'])
    for (;;) {
      const before = this.stats()
      if (before.queued === 0) {
        // An empty queue can still have a batch in flight: wait until the counters settle.
        await new Promise((r) => setTimeout(r, intervalMs))
        const after = this.stats()
        if (after.queued === 0 && after.written === before.written && after.lost === before.lost) return
      } else {
        await new Promise((r) => setTimeout(r, intervalMs))
      }
    }
  }
  /** Stops recording and resolves once everything queued is written. */
  close() { return call(() => this._native.close()) }
}

/** A native CancelToken cancelled when `signal` aborts (undefined without a signal). */
function tokenFor(signal) {
  if (signal === undefined || signal === null) return { token: undefined, release() {} }
  if (typeof signal.aborted !== 'boolean' || typeof signal.addEventListener !== 'function') {
    throw new InvalidInputError('invalid input: signal must be an AbortSignal')
  }
  const token = new native.CancelToken()
  if (signal.aborted) {
    token.cancel()
    return { token, release() {} }
  }
  const onAbort = () => token.cancel()
  signal.addEventListener('abort', onAbort, { once: true })
  return { token, release: () => signal.removeEventListener('abort', onAbort) }
}

/** A run context as the core's `RunContext` JSON (`sourceId`, `targetId` spelled the JS way). */
function context(value) {
  if (value === undefined || value === null) return undefined
  const ctx = renamed('run context', value, { sourceId: 'source_id', targetId: 'target_id' })
  if (ctx.actor === null) delete ctx.actor
  return JSON.stringify(ctx)
}

module.exports = { History, tokenFor, context, number }
