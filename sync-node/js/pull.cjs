'use strict'
// Pull (the core's `pull`): `new Puller(engine, provider, config)` lists a provider, previews
// into a scope and executes on its own only when the config's rule allows it; otherwise it
// holds the plan for a person (`held()`) and emits a `pull_held` event. Every pull is a
// history run. Conversion only: the rule and the loop are the core's.

const native = require('../index.js')
const errors = require('./error.cjs')
const { context: runContext } = require('./history.cjs')
const { options: checked } = require('./input.cjs')

const { call, InvalidInputError } = errors

module.exports = function pullModule({ json, sink, EventStream, Provider, Plan, SyncEngine }) {
  const sync = (fn) => { try { return fn() } catch (e) { throw errors.fromNative(e) } }

  /** Pulls one provider into one scope, once (`pull`) or every `interval_ms` (`run`). */
  class Puller {
    /**
     * `config`: `{scope, provider_scope?, policy?, rule?: {auto_execute, allow_conflicts,
     * max_deletes}, interval_ms?}` (unknown keys refused); `events`: an EventStream or a
     * function receiving `pull_held` (and the engine's) events.
     */
    constructor(engine, provider, config, opts) {
      const { events } = checked('puller options', opts, ['events'])
      if (!(engine instanceof SyncEngine)) throw new InvalidInputError('invalid input: engine must be a SyncEngine')
      if (!(provider instanceof Provider)) throw new InvalidInputError('invalid input: provider must be a Provider')
      this.events = events instanceof EventStream ? events : undefined
      this._native = sync(() => new native.Puller(engine._native, provider._native, json('pull config', config), sink(events)))
    }
    /** The configuration, defaults filled in. */
    get config() { return JSON.parse(this._native.configJson()) }
    /**
     * Lists, previews, executes when the rule allows; resolves the report `{scope, source,
     * complete, counts, outcome: 'unchanged' | 'executed' | 'held', report?, reasons?, plan?}`.
     * `context` (`{actor, sourceId, targetId}`) is recorded with the runs.
     */
    pull(opts) {
      return call(async () => {
        const { context } = checked('pull options', opts, ['context'])
        return JSON.parse(await this._native.pull(runContext(context)))
      })
    }
    /** The plan the last pull held for a person (execute it with `engine.execute`), or null. */
    held() {
      const plan = this._native.held()
      return plan ? new Plan(plan) : null
    }
    /**
     * Pulls every `interval_ms` until `signal` aborts (the pull in flight finishes first);
     * resolves the totals `{pulls, executed, unchanged, held, failed}`. A failed pull does not
     * end the loop. `onPull(err, report)` sees each pull as it comes.
     */
    async run(opts) {
      const { signal, context, onPull } = checked('pull run options', opts, ['signal', 'context', 'onPull'])
      if (signal !== undefined && signal !== null && (typeof signal.aborted !== 'boolean' || typeof signal.addEventListener !== 'function')) {
        throw new InvalidInputError('invalid input: signal must be an AbortSignal')
      }
      if (onPull !== undefined && onPull !== null && typeof onPull !== 'function') {
        throw new InvalidInputError('invalid input: onPull must be a function')
      }
      const ctx = runContext(context)
      const stop = new native.WorkerStop()
      const onAbort = () => stop.stop()
      if (signal?.aborted) stop.stop()
      else signal?.addEventListener('abort', onAbort, { once: true })
      const each = onPull
        ? (text) => {
            const r = JSON.parse(text)
            try {
              if (r.error !== undefined) onPull(errors.fromNative(new Error(r.error)), null)
              else onPull(null, r.ok)
            } catch (err) {
              console.error(`tasksync: onPull threw: ${err?.message ?? err}`)
            }
          }
        : undefined
      try {
        return await call(async () => JSON.parse(await this._native.run(stop, ctx, each)))
      } finally {
        signal?.removeEventListener('abort', onAbort)
      }
    }
  }

  return { Puller }
}
