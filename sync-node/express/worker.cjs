'use strict'
// `startWorker`: runs the queue worker (the core's loop, `Worker.run`) and scheduled pulls
// (`Puller.run`) inside the Express app's process, and stops them gracefully: `stop()` lets
// the batch and the pull in flight finish, then resolves their totals. Hooking the stop to the
// HTTP server's close, to process signals or to an AbortSignal is the caller's choice (options).
// The loops themselves are the core's: this file only starts, stops and reports them.

const net = require('node:net')
const { constants } = require('node:os')
const { Worker, Puller, InvalidInputError } = require('../js/index.cjs')
const { options: checked } = require('../js/input.cjs')

const KNOWN = ['worker', 'pullers', 'onPull', 'context', 'onError', 'signal', 'server', 'signals']

const isSignal = (s) => s !== null && typeof s === 'object' && typeof s.aborted === 'boolean' && typeof s.addEventListener === 'function'
const bad = (message) => new InvalidInputError(`invalid input: start worker options: ${message}`)

function validate(opts) {
  if (opts === undefined || opts === null) throw bad('`worker` or `pullers` is required')
  const o = checked('start worker options', opts, KNOWN)
  const { worker, pullers = [], onPull, context, onError, signal, server, signals = [] } = o
  if (worker !== undefined && !(worker instanceof Worker)) throw bad('`worker` must be a Worker')
  if (!Array.isArray(pullers) || pullers.some((p) => !(p instanceof Puller))) {
    throw bad('`pullers` must be an array of Puller')
  }
  if (worker === undefined && pullers.length === 0) throw bad('`worker` or `pullers` is required')
  if (onPull !== undefined && typeof onPull !== 'function') throw bad('`onPull` must be a function')
  if (onError !== undefined && typeof onError !== 'function') throw bad('`onError` must be a function')
  if (signal !== undefined && !isSignal(signal)) throw bad('`signal` must be an AbortSignal')
  if (server !== undefined && !(server instanceof net.Server)) throw bad('`server` must be an http.Server (or any net.Server)')
  if (!Array.isArray(signals)) throw bad('`signals` must be an array of signal names, such as ["SIGTERM", "SIGINT"]')
  for (const name of signals) {
    if (typeof name !== 'string' || !(name in constants.signals)) {
      throw bad(`\`signals\`: unknown signal \`${String(name).slice(0, 40)}\``)
    }
  }
  return { worker, pullers, onPull, context, onError: onError ?? defaultOnError, signal, server, signals }
}

function defaultOnError(err) {
  console.error(`tasksync worker: ${err && err.message ? err.message : String(err)}`)
}

/**
 * Starts the worker loop and the pull loops; returns the handle (see index.d.ts). Options:
 * `worker` (Worker), `pullers` (Puller[]), `onPull` (`(err, report)` of each pull), `context`
 * (the scheduled pulls' run context: their actor), `onError` (a loop
 * that ended with an error; default: logged), `signal` (AbortSignal: stops on abort), `server`
 * (http.Server: stops when it closes), `signals` (e.g. ['SIGTERM']: on the first, closes
 * `server` if given and stops; a second one gets Node's default behaviour).
 */
function startWorker(opts) {
  const { worker, pullers, onPull, context, onError, signal, server, signals } = validate(opts)
  const controller = new AbortController()
  const guarded = (promise) => promise.catch((err) => {
    onError(err)
    return null
  })
  const workerDone = worker ? guarded(worker.run({ signal: controller.signal })) : Promise.resolve(null)
  const pullsDone = pullers.map((p) => guarded(Promise.resolve().then(() => p.run({ signal: controller.signal, context, onPull }))))
  const done = Promise.all([workerDone, Promise.all(pullsDone)]).then(([w, pulls]) => ({ worker: w, pulls }))

  const onAbort = () => { handle.stop() }
  const onServerClose = () => { handle.stop() }
  const onSignal = () => {
    unhook()
    if (server && server.listening) {
      server.close()
      if (typeof server.closeIdleConnections === 'function') server.closeIdleConnections()
    }
    handle.stop()
  }
  function unhook() {
    for (const name of signals) process.removeListener(name, onSignal)
  }
  if (signal?.aborted) queueMicrotask(onAbort)
  else signal?.addEventListener('abort', onAbort, { once: true })
  server?.once('close', onServerClose)
  for (const name of signals) process.on(name, onSignal)

  let stopping
  const handle = {
    /** Resolves `{worker, pulls}` (the loops' totals) once the loops ended. */
    done,
    /** Whether stop() was called (or a hooked event stopped it). */
    get stopping() { return stopping !== undefined },
    /** Stops the loops: the batch and pulls in flight finish first; resolves their totals. */
    stop() {
      stopping ??= (async () => {
        controller.abort()
        unhook()
        signal?.removeEventListener('abort', onAbort)
        server?.removeListener('close', onServerClose)
        return done
      })()
      return stopping
    },
    /** The same as stop(), for code that closes resources by `close()`. */
    close() { return handle.stop() },
  }
  return handle
}

module.exports = { startWorker }
