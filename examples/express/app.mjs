// The example app: tasksync's Express router (sync, sessions, task status changes, jobs,
// history), an in-process queue worker delivering status changes to a webhook, plus a
// WebSocket server (`ws`) that pushes every core event to connected clients, across instances
// through Redis pub/sub, with heartbeats and graceful shutdown.
//
// Storage: PostgreSQL when `databaseUrl` (DATABASE_URL) is set, so any number of instances on
// any number of machines share tasks, sessions, jobs, provider gates and history; otherwise one
// SQLite file (`dbPath`) shared by the instances of one machine. The worker is event-driven: a
// status change made through any instance wakes the workers at once (in process, and through
// PostgreSQL LISTEN/NOTIFY from other instances), and a 429 seen by one instance pauses the
// provider for all of them.
//
// Fan-out: an instance sends its own events to its own clients at once, and publishes them on
// `<prefix>:events` tagged with its instance id; every instance relays what others published.
// So each client gets each event exactly once, whichever instance made the change.

import http from 'node:http'
import { randomUUID } from 'node:crypto'
import express from 'express'
import { WebSocketServer } from 'ws'
import { createClient } from 'redis'
import {
  SyncEngine, SessionEngine, Store, History, EventStream, StatusService, Jobs, Worker,
} from 'tasksync'
import { createRouter, startWorker } from 'tasksync/express'
import { webhookProvider } from './webhook.mjs'

/**
 * Starts one instance. Options: port (0 = any), databaseUrl (PostgreSQL; default
 * DATABASE_URL), poolSize, dbPath (the SQLite file shared by the instances when there is no
 * databaseUrl), redisUrl, prefix (Redis key/channel prefix), heartbeatMs, rateLimit,
 * webhook ({url, sources}: deliver status changes of tasks from `sources` to `url`), worker
 * (run the queue worker in this instance, default true), workerConfig (the core's WorkerConfig).
 */
export async function startApp({
  port = 0,
  databaseUrl = process.env.DATABASE_URL || undefined,
  poolSize,
  dbPath = 'tasksync.db',
  redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  prefix = 'tasksync-example',
  heartbeatMs = 30_000,
  rateLimit = { windowMs: 60_000, max: 1_000 },
  instanceId = randomUUID(),
  webhook = process.env.WEBHOOK_URL ? { url: process.env.WEBHOOK_URL, sources: (process.env.WEBHOOK_SOURCES ?? 'files').split(',') } : undefined,
  worker: runWorker = true,
  workerConfig = {},
} = {}) {
  const pg = poolSize === undefined ? {} : { poolSize }
  const store = databaseUrl ? await Store.postgres(databaseUrl, pg) : Store.sqlite(dbPath)
  const history = databaseUrl ? await History.postgres(databaseUrl, pg) : History.sqlite(dbPath)
  const events = new EventStream()
  const engine = new SyncEngine(store, { events, history })
  const sessions = new SessionEngine(store, { events })
  const targets = webhook ? [{ name: 'webhook', kind: 'ms_todo', sources: webhook.sources ?? ['files'] }] : []
  const statusService = new StatusService(store, { targets, events, history })
  const jobs = new Jobs(store, { events, history })
  const providers = webhook ? [webhookProvider('webhook', { url: webhook.url, instanceId })] : []
  const worker = runWorker && providers.length
    ? new Worker(store, { providers, events, config: { id: `worker-${instanceId}`, ...workerConfig } })
    : undefined
  const router = createRouter({ engine, sessions, statusService, jobs, history, worker, events, rateLimit })

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

  // The queue worker: batches while there is work, otherwise waits for a status change (this
  // instance's or, on PostgreSQL, any instance's) or the next due retry. A store failure does
  // not end it: the core logs it and tries again after a pause.
  const working = worker ? startWorker({ worker, onError: (err) => console.error(`worker: ${err.message}`) }) : undefined

  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve))
  const address = server.address()
  const url = `http://127.0.0.1:${address.port}`

  let closing
  /**
   * Graceful shutdown: stop accepting, say goodbye to WebSocket and SSE clients, let the worker
   * finish the batch in flight, write the history queued, drain, disconnect.
   */
  function close() {
    closing ??= (async () => {
      clearInterval(heartbeat)
      const workerStopped = working?.stop()
      for (const ws of wss.clients) ws.close(1001, 'server shutting down')
      router.closeEventStreams?.()
      await new Promise((resolve) => wss.close(() => resolve()))
      await new Promise((resolve) => {
        server.close(() => resolve())
        server.closeIdleConnections?.()
      })
      await workerStopped
      await history.close()
      await subscriber.unsubscribe(channel).catch(() => {})
      await Promise.allSettled([subscriber.quit(), publisher.quit()])
    })()
    return closing
  }

  return {
    app, server, url, wsUrl: url.replace('http', 'ws') + '/ws', instanceId, close,
    store, history, sessions, engine, statusService, jobs, worker,
  }
}
