'use strict'
// `tasksync/express`: a router factory exposing the sync engine and the session engine over
// HTTP, with zod validation, per-client rate limiting, an SSE event stream and Prometheus
// metrics, and `startWorker` (the queue worker and scheduled pulls in the app's process).
// Every core error kind maps to one HTTP status (STATUS_BY_CODE); the body is always
// { error: { code, message, issues? } }.

const crypto = require('node:crypto')
const express = require('express')
const { ZodError } = require('zod')
const { TasksyncError, Plan } = require('../js/index.cjs')
const schemas = require('./schemas.cjs')
const { Metrics } = require('./metrics.cjs')
const { startWorker } = require('./worker.cjs')

/** HTTP status per core error code. */
const STATUS_BY_CODE = Object.freeze({
  invalid_input: 400,
  not_found: 404,
  not_confirmed: 428,
  stale_plan: 409,
  conflict: 409,
  invalid_state: 409,
  invalid_transition: 422,
  cancelled: 409,
  rate_limited: 429,
  unsupported_media_type: 415,
  store: 503,
  provider: 502,
  panic: 500,
})

class HttpError extends Error {
  constructor(status, code, message, extra) {
    super(message)
    this.status = status
    this.code = code
    Object.assign(this, extra)
  }
}

/** Longest message an error body carries: a message that repeats input is cut there. */
const MAX_MESSAGE = 300

function clipped(text) {
  const s = String(text)
  return s.length > MAX_MESSAGE ? `${s.slice(0, MAX_MESSAGE)}…` : s
}

/** The HTTP error body for `err`: [status, { code, message, issues? }], messages clipped. */
function errorBody(err) {
  const [status, body] = errorBodyOf(err)
  body.message = clipped(body.message)
  if (body.issues) body.issues = body.issues.slice(0, 20).map((i) => ({ path: clipped(i.path), message: clipped(i.message) }))
  return [status, body]
}

function errorBodyOf(err) {
  if (err instanceof ZodError) {
    const issues = err.issues.map((i) => ({ path: i.path.join('.'), message: i.message }))
    const first = issues[0]
    return [400, { code: 'invalid_input', message: `invalid input: ${first ? `${first.path || '(body)'}: ${first.message}` : 'bad request'}`, issues }]
  }
  if (err instanceof TasksyncError) {
    const body = { code: err.code, message: err.message }
    if (err.providerClass) body.providerClass = err.providerClass
    return [STATUS_BY_CODE[err.code] ?? 500, body]
  }
  if (err instanceof HttpError) return [err.status, { code: err.code, message: err.message }]
  // express.json(): malformed JSON and oversize bodies.
  if (err && err.type === 'entity.parse.failed') return [400, { code: 'invalid_input', message: `invalid input: malformed JSON: ${err.message}` }]
  if (err && err.type === 'entity.too.large') return [413, { code: 'invalid_input', message: 'invalid input: request body too large' }]
  // express.json(): a charset or Content-Encoding it cannot decode.
  if (err && (err.type === 'charset.unsupported' || err.type === 'encoding.unsupported')) return [415, { code: 'unsupported_media_type', message: `unsupported media type: ${err.message}` }]
  // A corrupt compressed body, a body that ended early, a path parameter that is not valid
  // percent-encoding: the client's fault, never a 500.
  if (err instanceof URIError || (err && err.status >= 400 && err.status < 500 && err.expose)) return [400, { code: 'invalid_input', message: `invalid input: ${err.message}` }]
  return [500, { code: 'internal', message: 'internal error' }]
}

/** A fixed-window limiter per client address; `false` turns it off. */
function rateLimiter({ windowMs = 60_000, max = 1_000 } = {}) {
  const windows = new Map()
  let sweep = Date.now()
  return function rateLimit(req, res, next) {
    const now = Date.now()
    if (now - sweep > windowMs) {
      for (const [k, w] of windows) if (now - w.start >= windowMs) windows.delete(k)
      sweep = now
    }
    const key = req.ip ?? 'unknown'
    let w = windows.get(key)
    if (!w || now - w.start >= windowMs) windows.set(key, (w = { start: now, count: 0 }))
    w.count += 1
    res.setHeader('RateLimit-Limit', String(max))
    res.setHeader('RateLimit-Remaining', String(Math.max(0, max - w.count)))
    if (w.count > max) {
      const retryAfter = Math.ceil((w.start + windowMs - now) / 1000)
      res.setHeader('Retry-After', String(retryAfter))
      return next(new HttpError(429, 'rate_limited', `rate limited: at most ${max} requests per ${windowMs} ms; retry after ${retryAfter} s`))
    }
    next()
  }
}

/** Body-carrying requests must be JSON: another content type is 415, not silently ignored. */
function jsonOnly(req, res, next) {
  const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0
  if (hasBody && !req.is('application/json')) {
    return next(new HttpError(415, 'unsupported_media_type', `unsupported media type: a request body must be application/json, not ${req.get('content-type') ?? 'none'}`))
  }
  next()
}

/** The router's own path prefixes: its 404 answers only under these. */
const OWN_PATHS = ['/sync/', '/sessions', '/time', '/tasks/', '/jobs', '/dead-letters', '/history/', '/events', '/metrics']

const wrap = (fn) => (req, res, next) => Promise.resolve(fn(req, res)).catch(next)

/** Who made a request, for run contexts and audit entries (never credentials). */
function actorOf(req, user) {
  const actor = {}
  if (user) actor.user = user
  if (req.ip) actor.ip = req.ip
  const agent = req.get('user-agent')
  if (agent) actor.user_agent = agent.slice(0, 256)
  return actor
}

/**
 * The router. Options: `engine` (SyncEngine), `sessions` (SessionEngine), `statusService`
 * (StatusService: task status changes), `jobs` (Jobs: jobs and dead letters), `history`
 * (History: runs and audit), `worker` (Worker: its queue metrics join /metrics), `events`
 * (EventStream, for SSE and metrics), `metrics` (a Metrics, or false), `rateLimit`
 * ({windowMs, max} or false), `bodyLimit` (default '1mb'), `listingBodyLimit` (the sync routes'
 * bodies, which carry listings; default '50mb'), `logger` (where 500s are logged with their
 * request id; default console).
 */
function createRouter({ engine, sessions, statusService, jobs, history, worker, events, metrics = new Metrics(), rateLimit = {}, bodyLimit = '1mb', listingBodyLimit = '50mb', logger = console } = {}) {
  const router = express.Router()
  router.use((req, res, next) => {
    const given = req.get('x-request-id')
    req.requestId = given && /^[\w.:-]{1,128}$/.test(given) ? given : crypto.randomUUID()
    res.setHeader('X-Request-Id', req.requestId)
    next()
  })
  const sseClients = new Set()

  if (metrics) {
    router.use((req, res, next) => {
      const start = process.hrtime.bigint()
      res.on('finish', () => {
        const route = req.route ? req.baseUrl + req.route.path : 'unmatched'
        metrics.observeRequest(req.method, route, res.statusCode, Number(process.hrtime.bigint() - start) / 1e9)
      })
      next()
    })
    router.get('/metrics', (req, res) => {
      metrics.sseClients = sseClients.size
      // The queue's own series (tasksync_jobs_*) come from the core's registry, as rendered.
      res.type('text/plain; version=0.0.4').send(metrics.render() + (worker ? worker.metricsText() : ''))
    })
  }
  if (rateLimit !== false) router.use(rateLimiter(rateLimit))
  router.use(jsonOnly)
  const listingJson = express.json({ limit: listingBodyLimit })
  const smallJson = express.json({ limit: bodyLimit })
  router.use((req, res, next) => (req.path.startsWith('/sync/') ? listingJson : smallJson)(req, res, next))

  if (engine) {
    router.post('/sync/preview', wrap(async (req, res) => {
      const { scope, listing, policy } = schemas.previewBody.parse(req.body)
      const plan = await engine.preview(scope, listing, policy, { context: { actor: actorOf(req) } })
      res.json({ plan: plan.toJSON() })
    }))
    router.post('/sync/check', wrap(async (req, res) => {
      const { scope, listing, policy } = schemas.previewBody.parse(req.body)
      res.json({ needed: await engine.checkSyncNeeded(scope, listing, policy) })
    }))
    router.post('/sync/execute', wrap(async (req, res) => {
      const { confirmed } = schemas.executeBody.parse(req.body)
      res.json(await engine.execute(Plan.from(req.body.plan), { confirmed, context: { actor: actorOf(req) } }))
    }))
  }

  if (sessions) {
    const param = (req) => schemas.sessionParams.parse(req.params).id
    router.post('/sessions', wrap(async (req, res) => {
      const { id, cycles } = schemas.createSessionBody.parse(req.body)
      await sessions.create(id, cycles)
      res.status(201).json(await sessions.state(id))
    }))
    router.get('/sessions/:id', wrap(async (req, res) => res.json(await sessions.state(param(req)))))
    router.delete('/sessions/:id', wrap(async (req, res) => res.json(await sessions.delete(param(req)))))
    router.post('/sessions/:id/switch', wrap(async (req, res) => {
      const id = param(req)
      const { to } = schemas.switchBody.parse(req.body ?? {})
      await sessions.switch(id, to)
      res.json(await sessions.state(id))
    }))
    for (const op of ['start', 'pause', 'resume', 'complete']) {
      router.post(`/sessions/:id/${op}`, wrap(async (req, res) => {
        const id = param(req)
        await sessions[op](id)
        res.json(await sessions.state(id))
      }))
    }
    router.get('/time', wrap(async (req, res) => res.json(await sessions.serverTime())))
  }

  const idOf = (req) => schemas.idParams.parse(req.params).id

  if (statusService) {
    router.post('/tasks/:id/status', wrap(async (req, res) => {
      const id = idOf(req)
      const { to, actor } = schemas.statusChangeBody.parse(req.body ?? {})
      res.json(await statusService.changeStatus(id, to, { actor }))
    }))
  }

  if (jobs) {
    router.get('/tasks/:id/sync-status', wrap(async (req, res) => res.json(await jobs.syncStatus(idOf(req)))))
    router.get('/jobs', wrap(async (req, res) => {
      const { state, target, task_id: taskId, after, limit } = schemas.jobsQuery.parse(req.query)
      const items = await jobs.list({ state, target, taskId, after, limit })
      res.json({ items, next: items.length === limit ? items[items.length - 1].id : null })
    }))
    router.get('/jobs/:id', wrap(async (req, res) => res.json(await jobs.show(idOf(req)))))
    router.get('/dead-letters', wrap(async (req, res) => {
      const { after, limit } = schemas.deadLettersQuery.parse(req.query)
      const items = await jobs.deadLetters({ after, limit })
      res.json({ items, next: items.length === limit ? items[items.length - 1].id : null })
    }))
    for (const [path, op] of [['retry', 'requeue'], ['discard', 'discard']]) {
      router.post(`/jobs/:id/${path}`, wrap(async (req, res) => {
        const id = idOf(req)
        const { actor } = schemas.actionBody.parse(req.body ?? {})
        res.json(await jobs[op](id, { actor: actorOf(req, actor) }))
      }))
    }
  }

  if (history) {
    router.get('/history/runs', wrap(async (req, res) => res.json(await history.runs(schemas.runsQuery.parse(req.query)))))
    router.get('/history/runs/:id', wrap(async (req, res) => {
      const id = idOf(req)
      const { items_after: after, items_limit: limit } = schemas.runQuery.parse(req.query)
      const run = await history.run(id)
      if (!run) throw new HttpError(404, 'not_found', `not found: run \`${id.slice(0, 200)}\``)
      const items = await history.items(id, { after, limit })
      res.json({ run, items: items.items, next: items.next })
    }))
    router.get('/history/audit', wrap(async (req, res) => {
      const { entity_id: entityId, entity_type: entityType, cursor, limit } = schemas.auditQuery.parse(req.query)
      res.json(await history.audit({ entityId, entityType, cursor, limit }))
    }))
  }

  if (events) {
    if (metrics) events.on('event', (e) => metrics.observeEvent(e.type))
    const forward = (e) => {
      const frame = `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`
      for (const res of sseClients) res.write(frame)
    }
    events.on('event', forward)
    router.get('/events', (req, res) => {
      res.writeHead(200, {
        'Content-Type': 'text/event-stream',
        'Cache-Control': 'no-cache',
        Connection: 'keep-alive',
      })
      res.write(': connected\n\n')
      sseClients.add(res)
      // A comment line every 15 s keeps proxies from closing an idle stream.
      const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), 15_000)
      heartbeat.unref()
      req.on('close', () => {
        clearInterval(heartbeat)
        sseClients.delete(res)
      })
    })
    router.closeEventStreams = () => {
      for (const res of sseClients) res.end()
      sseClients.clear()
    }
  }

  // Unknown paths under the router's own prefixes are its 404; anything else goes on to the
  // routes the app registers after the router.
  router.use((req, res, next) => {
    if (OWN_PATHS.some((p) => req.path === p.replace(/\/$/, '') || req.path.startsWith(p))) {
      return next(new HttpError(404, 'not_found', `not found: ${req.method} ${req.path}`))
    }
    next()
  })
  // eslint-disable-next-line no-unused-vars
  router.use((err, req, res, next) => {
    const [status, body] = errorBody(err)
    if (status >= 500) logger.error(`tasksync/express: ${req.method} ${req.originalUrl.slice(0, 200)} failed (request ${req.requestId}):`, err)
    res.status(status).json({ error: { ...body, request_id: req.requestId } })
  })
  return router
}

module.exports = { createRouter, startWorker, Metrics, STATUS_BY_CODE, errorBody }
