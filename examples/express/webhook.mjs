// A provider that delivers each status change as a JSON POST to a URL (a webhook), with the
// job's idempotency key and the delivering instance in headers. The answer's HTTP status
// becomes the core's provider error class: 429 is `rate_limited` (its Retry-After pauses the
// provider for every instance on the store), 401 `token_expired`, other 4xx `rejected`,
// 5xx and network failures `unavailable`, a timeout `timeout`.
import { Provider } from 'tasksync'

const fail = (message, props) => Object.assign(new Error(message), props)

function retryAfterMs(header) {
  if (!header) return 1000
  const seconds = Number(header)
  if (Number.isFinite(seconds)) return Math.max(0, Math.round(seconds * 1000))
  const at = Date.parse(header)
  return Number.isNaN(at) ? 1000 : Math.max(0, at - Date.now())
}

/** The `name` provider posting to `url`; `instanceId` goes out as `x-tasksync-instance`. */
export function webhookProvider(name, { url, instanceId, timeoutMs = 10_000 }) {
  return new Provider(name, {
    async list() {
      // A webhook only receives changes; it has no tasks to list.
      return { source: name, complete: true, items: [] }
    },
    async push(change) {
      let res
      try {
        res = await fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'idempotency-key': change.idempotency_key,
            'x-tasksync-instance': instanceId,
          },
          body: JSON.stringify(change),
          signal: AbortSignal.timeout(timeoutMs),
        })
      } catch (err) {
        if (err.name === 'TimeoutError') throw fail(`webhook timed out after ${timeoutMs} ms`, { code: 'timeout' })
        throw fail(`webhook unreachable: ${err.message}`, { code: 'unavailable' })
      }
      if (res.status === 429) throw fail('webhook rate limited', { code: 'rate_limited', status: 429, retryAfterMs: retryAfterMs(res.headers.get('retry-after')) })
      if (res.status === 401) throw fail('webhook refused the credentials', { code: 'token_expired', status: 401 })
      if (res.status >= 500) throw fail(`webhook answered ${res.status}`, { code: 'unavailable', status: res.status })
      if (res.status >= 400) throw fail(`webhook answered ${res.status}`, { code: 'rejected', status: res.status })
      const text = await res.text()
      let remote = {}
      try {
        remote = text ? JSON.parse(text) : {}
      } catch {
        remote = { body: text.slice(0, 1000) }
      }
      return { remote }
    },
  })
}
