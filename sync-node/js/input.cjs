'use strict'
// Options objects: an unknown key is refused, never ignored (a typo such as `evnts` must not
// silently drop the event stream). The rule and its message are the core's
// (`sync_core::input::check_keys`); an options object that is a core type (a policy, a worker
// config, a history query...) goes to the core whole, where the type's own keys are the list.

const native = require('../index.js')
const errors = require('./error.cjs')

const { InvalidInputError } = errors

function object(what, value) {
  if (value === undefined || value === null) return {}
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidInputError(`invalid input: ${what} must be an object`)
  }
  return value
}

/** `value` (or `{}`), after refusing any key outside `known`: the wrapper's own options. */
function options(what, value, known) {
  const obj = object(what, value)
  try {
    native.checkOptionKeys(what, Object.keys(obj), known)
  } catch (e) {
    throw errors.fromNative(e)
  }
  return obj
}

/**
 * A copy of `value` for the core, with the JS spellings in `names` ({ taskId: 'task_id' })
 * renamed: every other key goes through unchanged, so the core refuses the unknown ones.
 */
function renamed(what, value, names) {
  const out = {}
  for (const [key, v] of Object.entries(object(what, value))) {
    if (v !== undefined) out[names[key] ?? key] = v
  }
  return out
}

module.exports = { options, renamed }
