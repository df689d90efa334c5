// The example app: tasksync's Express router, plus a WebSocket server (`ws`) that pushes every
// core event to connected clients, across instances through Redis pub/sub, with heartbeats and
// graceful shutdown.
//
// Fan-out: an instance sends its own events to its own clients at once, and publishes them on
// `<prefix>:events` tagged with its instance id; every instance relays what others published.
// So each client gets each event exactly once, whichever instance made the change.

import http from 'node:http'
import { randomUUID } from 'node:crypto'
import express from 'express'
import { WebSocketServer } from 'ws'
import { createClient } from 'redis'
import { SyncEngine, SessionEngine, Store, EventStream } from 'tasksync'
import { createRouter } from 'tasksync/express'

/**
 * Starts one instance. Options: port (0 = any), dbPath (SQLite file shared by the instances),
 * redisUrl, prefix (Redis key/channel prefix), heartbeatMs, rateLimit.
 */
export async function startApp({
  port = 0,
  dbPath = 'tasksync.db',
  redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  prefix = 'tasksync-example',
  heartbeatMs = 30_000,
  rateLimit = { windowMs: 60_000, max: 1_000 },
  instanceId = randomUUID(),
} = {}) {
  const store = Store.sqlite(dbPath)
  const events = new EventStream()
  const engine = new SyncEngine(store, { events })
  const sessions = new SessionEngine(store, { events })
  const router = createRouter({ engine, sessions, events, rateLimit })

  const app = express()
  app.get('/healthz', (req, res) => res.json({ ok: true, instance: instanceId }))
  app.use('/v1', router)
  const server = http.createServer(app)

  const channel = `${prefix}:events`
  const publisher = createClient({ url: redisUrl })
  const subscriber = publisher.duplicate()
  for (const c of [publisher, subscriber]) c.on('error', (err) => console.error(`redis: ${err.message}`))
  await Promise.all([publisher.connect(), subscriber.connect()])

  const wss = new WebSocketServer({ server, path: '/ws' })
  const broadcast = (event) => {
    const frame = JSON.stringify(event)
    for (const client of wss.clients) if (client.readyState === 1) client.send(frame)
  }
  events.on('event', (event) => {
    broadcast(event)
    publisher.publish(channel, JSON.stringify({ origin: instanceId, event })).catch(() => {})
  })
  await subscriber.subscribe(channel, (message) => {
    let parsed
    try {
      parsed = JSON.parse(message)
    } catch {
      return
    }
    if (parsed.origin !== instanceId) broadcast(parsed.event)
  })

  // Heartbeats: a client that did not answer the previous ping is dropped.
  wss.on('connection', (ws) => {
    ws.isAlive = true
    ws.on('pong', () => { ws.isAlive = true })
    ws.send(JSON.stringify({ type: 'hello', instance: instanceId }))
  })
  const heartbeat = setInterval(() => {
    for (const ws of wss.clients) {
      if (!ws.isAlive) { ws.terminate(); continue }
      ws.isAlive = false
      ws.ping()
    }
  }, heartbeatMs)
  heartbeat.unref()

  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve))
  const address = server.address()
  const url = `http://127.0.0.1:${address.port}`

  let closing
  /** Graceful shutdown: stop accepting, say goodbye to WebSocket and SSE clients, drain, disconnect. */
  function close() {
    closing ??= (async () => {
      clearInterval(heartbeat)
      for (const ws of wss.clients) ws.close(1001, 'server shutting down')
      router.closeEventStreams?.()
      await new Promise((resolve) => wss.close(() => resolve()))
      await new Promise((resolve) => {
        server.close(() => resolve())
        server.closeIdleConnections?.()
      })
      await subscriber.unsubscribe(channel).catch(() => {})
      await Promise.allSettled([subscriber.quit(), publisher.quit()])
    })()
    return closing
  }

  return { app, server, url, wsUrl: url.replace('http', 'ws') + '/ws', instanceId, close, sessions, engine }
}
