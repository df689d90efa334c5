'use strict'
// Host objects: wraps a user's JS object (store, provider, token refresher) in the one
// dispatch function the addon calls: (method, argsJson) => Promise<replyJson>. The reply is
// {"ok": value} or {"err": {code, message, status, retryAfterMs}}; it never rejects, so every
// failure reaches Rust typed.

function failure(err) {
  const e = err && typeof err === 'object' ? err : { message: String(err) }
  return {
    code: typeof e.code === 'string' ? e.code : '',
    message: typeof e.message === 'string' ? e.message : String(err),
    status: Number.isInteger(e.status) ? e.status : undefined,
    retryAfterMs: Number.isInteger(e.retryAfterMs) ? e.retryAfterMs : undefined,
  }
}

/** The dispatch function for `target` (methods are looked up on each call). */
function dispatcher(target, what) {
  return function dispatch(method, argsJson) {
    return (async () => {
      try {
        const fn = target[method]
        if (typeof fn !== 'function') {
          throw new TypeError(`the ${what} has no method \`${method}\``)
        }
        const args = JSON.parse(argsJson)
        const result = await fn.apply(target, Array.isArray(args) ? args : [])
        return JSON.stringify({ ok: result === undefined ? null : result })
      } catch (err) {
        return JSON.stringify({ err: failure(err) })
      }
    })()
  }
}

module.exports = { dispatcher }
