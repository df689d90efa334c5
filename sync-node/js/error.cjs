'use strict'
// Error classes: one per core ErrorKind, each with the core's stable `code`.
// The native addon reports errors as "[tasksync:<code>] <message>"; `fromNative` turns that into
// the matching class (a provider failure's and an identity conflict's JSON tail into properties,
// as the core's mapping gave them). napi's own argument errors (wrong JS types) become
// InvalidInputError. A Rust panic is the core's `internal` error, an InternalError.

class TasksyncError extends Error {
  constructor(message, code = 'internal', options) {
    super(message, options)
    this.name = new.target.name
    this.code = code
  }
}

const byCode = new Map()
function define(name, code) {
  const cls = {
    [name]: class extends TasksyncError {
      constructor(message, options) {
        super(message, code, options)
      }
    },
  }[name]
  Object.defineProperty(cls, 'code', { value: code })
  byCode.set(code, cls)
  return cls
}

const InvalidInputError = define('InvalidInputError', 'invalid_input')
const NotConfirmedError = define('NotConfirmedError', 'not_confirmed')
const StalePlanError = define('StalePlanError', 'stale_plan')
const ConflictError = define('ConflictError', 'conflict')
const InvalidStateError = define('InvalidStateError', 'invalid_state')
const InvalidTransitionError = define('InvalidTransitionError', 'invalid_transition')
const NotFoundError = define('NotFoundError', 'not_found')
const StoreError = define('StoreError', 'store')
const CancelledError = define('CancelledError', 'cancelled')
const InternalError = define('InternalError', 'internal')
/** @deprecated The same class as InternalError (code `internal`). */
const PanicError = InternalError

/**
 * A provider failure, with the core's structured parts: `providerClass` (timeout, rate_limited,
 * unavailable, token_expired or rejected), `provider` (its name), `httpStatus` (null when there
 * was no HTTP answer) and `retryAfterMs` (rate_limited only, else null).
 */
class ProviderError extends TasksyncError {
  constructor(message, providerClass = 'unavailable', extra = {}, options) {
    super(message, 'provider', options)
    this.providerClass = providerClass
    this.provider = extra.provider ?? ''
    this.httpStatus = extra.httpStatus ?? null
    this.retryAfterMs = extra.retryAfterMs ?? null
  }
}
Object.defineProperty(ProviderError, 'code', { value: 'provider' })
byCode.set('provider', ProviderError)

/**
 * The store refuses a create for good (another record holds its key); previewing again does not
 * help. `source` and `externalId` name the refused identity (clipped).
 */
class IdentityConflictError extends TasksyncError {
  constructor(message, identity = {}, options) {
    super(message, 'identity_conflict', options)
    this.source = identity.source ?? ''
    this.externalId = identity.externalId ?? ''
  }
}
Object.defineProperty(IdentityConflictError, 'code', { value: 'identity_conflict' })
byCode.set('identity_conflict', IdentityConflictError)

// napi status codes for arguments of the wrong JS type.
const NAPI_ARG_CODES = new Set([
  'InvalidArg', 'ObjectExpected', 'StringExpected', 'NameExpected', 'FunctionExpected',
  'NumberExpected', 'BooleanExpected', 'ArrayExpected', 'BigintExpected',
])

const PREFIX = /^\[tasksync:([a-z_]+)\] ([\s\S]*)$/

/** An identity conflict from its message and its JSON tail (`{"external_id":…,"source":…}`). */
function identityConflict(text, cause) {
  // Inside the tail every quote of a value is escaped, so its start is the last match.
  const at = text.lastIndexOf(' {"external_id":')
  if (at >= 0) {
    try {
      const { source, external_id: externalId } = JSON.parse(text.slice(at + 1))
      return new IdentityConflictError(text.slice(0, at), { source, externalId }, { cause })
    } catch {
      // Not our tail: keep the whole message.
    }
  }
  return new IdentityConflictError(text, {}, { cause })
}

/** A provider failure from its message and the core's details tail (`{"provider":…,"class":…}`). */
function providerFailure(text, cause) {
  // Inside the tail every quote of a value is escaped, so its start is the last match.
  const at = text.lastIndexOf(' {"provider":')
  if (at >= 0) {
    try {
      const d = JSON.parse(text.slice(at + 1))
      return new ProviderError(text.slice(0, at), d.class, {
        provider: d.provider, httpStatus: d.http_status, retryAfterMs: d.retry_after_ms,
      }, { cause })
    } catch {
      // Not our tail: keep the whole message.
    }
  }
  return new ProviderError(text, 'unavailable', {}, { cause })
}

/** Turns whatever the addon threw into a TasksyncError subclass (others pass through). */
function fromNative(err) {
  if (err instanceof TasksyncError) return err
  const message = err && typeof err.message === 'string' ? err.message : String(err)
  const m = PREFIX.exec(message)
  if (m) {
    const [, code, text] = m
    if (code === 'provider') return providerFailure(text, err)
    if (code === 'identity_conflict') return identityConflict(text, err)
    const cls = byCode.get(code)
    return cls ? new cls(text, { cause: err }) : new TasksyncError(text, code, { cause: err })
  }
  if (err && NAPI_ARG_CODES.has(err.code)) {
    return new InvalidInputError(`invalid input: ${message}`, { cause: err })
  }
  if (err instanceof TypeError || err instanceof RangeError || err instanceof SyntaxError) {
    // From our own argument conversion (JSON.stringify of a cycle, a BigInt, ...).
    return new InvalidInputError(`invalid input: ${message}`, { cause: err })
  }
  return err
}

/** Awaits `fn()`, rethrowing its failure as a typed error. */
async function call(fn) {
  try {
    return await fn()
  } catch (err) {
    throw fromNative(err)
  }
}

module.exports = {
  TasksyncError, InvalidInputError, NotConfirmedError, StalePlanError, ConflictError,
  IdentityConflictError, InvalidStateError, InvalidTransitionError, NotFoundError, StoreError,
  ProviderError, InternalError, PanicError, CancelledError, fromNative, call,
  errorClassFor: (code) => byCode.get(code),
}
