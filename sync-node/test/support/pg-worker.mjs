// Another instance, in its own process: a worker on `Store.postgres(url)` calling provider
// `todo`. Argument: JSON `{url, mode, answer, config}`.
// - mode `run`: `worker.run({ signal })` until the parent writes `stop` on stdin (the signal
//   aborts; the batch in flight finishes), then prints `{"stopped": totals}` and exits.
// - mode `once`: one `runOnce()`, prints `{"tick": report}` and exits.
// The provider answers `ok` (succeeds) or `429` (rate limited for an hour); every call prints
// `{"pushed": change}`. Lines on stdout are JSON; `{"ready": true}` once the worker is built.
// Without an argument (`node --test test/` loads every file under test/) it does nothing.
import { Store, Worker, Provider } from '../../js/index.mjs'

if (process.argv[2] === undefined) process.exit(0)
const { url, mode, answer = 'ok', config = {} } = JSON.parse(process.argv[2])
const say = (value) => process.stdout.write(`${JSON.stringify(value)}\n`)

const store = await Store.postgres(url, { poolSize: 2 })
const provider = new Provider('todo', {
  async list() { return { source: 'todo', complete: true, items: [] } },
  async push(change) {
    say({ pushed: change })
    if (answer === '429') throw Object.assign(new Error('slow down'), { code: 'rate_limited', status: 429, retryAfterMs: 3_600_000 })
    return { remote: { status: change.status } }
  },
})
const worker = new Worker(store, { providers: [provider], config: { id: `child-${process.pid}`, ...config } })

if (mode === 'once') {
  say({ ready: true })
  say({ tick: await worker.runOnce() })
} else {
  const stop = new AbortController()
  process.stdin.setEncoding('utf8')
  process.stdin.on('data', (text) => { if (text.includes('stop')) stop.abort() })
  const running = worker.run({ signal: stop.signal })
  say({ ready: true })
  const totals = await running
  say({ stopped: totals })
  process.stdin.destroy()
}
