// WebSocket delivery latency: from sending a switch request to instance A until a WebSocket
// client of A (same instance) and of B (cross instance, through Redis pub/sub) receives the
// event. Includes the HTTP request and the switch itself. Needs Redis (REDIS_URL).
// Usage: node bench/ws.mjs [iterations]
import http from 'node:http'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomUUID } from 'node:crypto'
import WebSocket from 'ws'
import { startApp } from '../app.mjs'

const N = Number(process.argv[2] ?? 2_000)
const dir = mkdtempSync(join(tmpdir(), 'tasksync-wsbench-'))
const prefix = `tasksync-bench-${randomUUID()}`
const a = await startApp({ dbPath: join(dir, 'hub.db'), prefix, rateLimit: false })
const b = await startApp({ dbPath: join(dir, 'hub.db'), prefix, rateLimit: false })
const open = (url) => new Promise((resolve) => { const ws = new WebSocket(url); ws.once('message', () => resolve(ws)) })
const [onA, onB] = await Promise.all([open(a.wsUrl), open(b.wsUrl)])
const agent = new http.Agent({ keepAlive: true })
const post = (path) => new Promise((resolve, reject) => {
  const req = http.request(a.url + path, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': 2 } }, (res) => { res.resume(); res.on('end', resolve) })
  req.on('error', reject)
  req.end('{}')
})
const next = (ws) => new Promise((resolve) => ws.once('message', () => resolve(performance.now())))
await new Promise((resolve, reject) => {
  const body = JSON.stringify({ id: 'w', cycles: ['a', 'b'] })
  const req = http.request(a.url + '/v1/sessions', { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => { res.resume(); res.on('end', resolve) })
  req.on('error', reject)
  req.end(body)
})
await post('/v1/sessions/w/start')
await new Promise((r) => setTimeout(r, 100))
const same = []
const cross = []
for (let i = 0; i < N; i++) {
  const gotA = next(onA)
  const gotB = next(onB)
  const t0 = performance.now()
  await post('/v1/sessions/w/switch')
  const [ta, tb] = await Promise.all([gotA, gotB])
  same.push(ta - t0)
  cross.push(tb - t0)
}
const pct = (xs, p) => [...xs].sort((x, y) => x - y)[Math.floor((p / 100) * (xs.length - 1))]
const ms = (x) => +x.toFixed(3)
console.table([
  { delivery: 'same instance', iterations: N, p50_ms: ms(pct(same, 50)), p99_ms: ms(pct(same, 99)) },
  { delivery: 'cross instance (Redis)', iterations: N, p50_ms: ms(pct(cross, 50)), p99_ms: ms(pct(cross, 99)) },
])
onA.close()
onB.close()
agent.destroy()
await Promise.all([a.close(), b.close()])
rmSync(dir, { recursive: true, force: true })
