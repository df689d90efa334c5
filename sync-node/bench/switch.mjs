// Switch-cycle latency: through the binding (SessionEngine on the memory and the SQLite store)
// and through the HTTP endpoint (Express router, keep-alive fetch). Reports p50/p99.
// Usage: node bench/switch.mjs [iterations]
import http from 'node:http'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import express from 'express'
import { SessionEngine, Store } from '../js/index.mjs'
import { createRouter } from '../express/index.mjs'

const N = Number(process.argv[2] ?? 20_000)
const dir = mkdtempSync(join(tmpdir(), 'tasksync-bench-'))
const pct = (xs, p) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]
const us = (ms) => +(ms * 1000).toFixed(1)

async function measure(fn, n) {
  for (let i = 0; i < Math.min(1000, n); i++) await fn() // warm up
  const xs = new Array(n)
  for (let i = 0; i < n; i++) {
    const t0 = performance.now()
    await fn()
    xs[i] = performance.now() - t0
  }
  xs.sort((a, b) => a - b)
  return { p50_us: us(pct(xs, 50)), p99_us: us(pct(xs, 99)) }
}

const rows = []
for (const [label, store] of [['binding, memory store', Store.memory()], ['binding, SQLite store', Store.sqlite(join(dir, 's.db'))]]) {
  const sessions = new SessionEngine(store)
  await sessions.create('b', ['a', 'b', 'c'])
  await sessions.start('b')
  rows.push({ path: label, iterations: N, ...(await measure(() => sessions.switch('b'), N)) })
}

const sessions = new SessionEngine(Store.memory())
await sessions.create('h', ['a', 'b', 'c'])
await sessions.start('h')
const app = express()
app.use('/v1', createRouter({ sessions, rateLimit: false, metrics: false }))
const server = http.createServer(app).listen(0)
await new Promise((r) => server.once('listening', r))
const url = `http://127.0.0.1:${server.address().port}/v1/sessions/h/switch`
const agent = new http.Agent({ keepAlive: true })
const post = () => new Promise((resolve, reject) => {
  const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': 2 } }, (res) => {
    res.resume()
    res.on('end', resolve)
  })
  req.on('error', reject)
  req.end('{}')
})
const httpN = Math.min(N, 5_000)
rows.push({ path: 'HTTP POST /v1/sessions/:id/switch (memory store)', iterations: httpN, ...(await measure(post, httpN)) })
console.table(rows)
agent.destroy()
server.close()
rmSync(dir, { recursive: true, force: true })
