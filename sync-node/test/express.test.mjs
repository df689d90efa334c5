// The Express router against a real Express app (supertest drives real HTTP): the session
// endpoints, sync preview/execute/check, validation, error statuses, SSE, metrics, rate limit.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import http from 'node:http'
import express from 'express'
import request from 'supertest'
import { SyncEngine, SessionEngine, Store, Clock, EventStream } from '../js/index.mjs'
import { createRouter } from '../express/index.mjs'

function app(options = {}) {
  const store = Store.sqlite(':memory:')
  const events = new EventStream()
  const clock = Clock.manual(1_000)
  const router = createRouter({
    engine: new SyncEngine(store, { clock, events }),
    sessions: new SessionEngine(store, { clock, events }),
    events,
    ...options,
  })
  const a = express()
  a.use('/v1', router)
  return { app: a, clock, events, router }
}

const listing = { source: 'files', complete: true, items: [{ external_id: 'a', kind: 'task', title: 'A' }] }

test('the eight session endpoints', async () => {
  const { app: a, clock } = app()
  const created = await request(a).post('/v1/sessions').send({ id: 's1', cycles: ['plan', 'build'] }).expect(201)
  assert.equal(created.body.status, 'created')
  await request(a).post('/v1/sessions/s1/start').expect(200)
  clock.advance(120)
  const switched = await request(a).post('/v1/sessions/s1/switch').send({}).expect(200)
  assert.equal(switched.body.current_cycle, 'build')
  assert.deepEqual(switched.body.cycles.map((c) => c.elapsed_ms), [120, 0])
  assert.equal((await request(a).get('/v1/sessions/s1').expect(200)).body.switch_count, 1)
  await request(a).post('/v1/sessions/s1/pause').expect(200)
  const refused = await request(a).post('/v1/sessions/s1/switch').send({ to: 'plan' }).expect(409)
  assert.equal(refused.body.error.code, 'invalid_state')
  await request(a).post('/v1/sessions/s1/resume').expect(200)
  assert.equal((await request(a).post('/v1/sessions/s1/complete').expect(200)).body.status, 'completed')
  assert.equal((await request(a).delete('/v1/sessions/s1').expect(200)).body.id, 's1')
  const gone = await request(a).get('/v1/sessions/s1').expect(404)
  assert.equal(gone.body.error.code, 'not_found')
  assert.equal((await request(a).get('/v1/time').expect(200)).body.now_ms, 1_120)
})

test('validation: clear 400s, nothing created', async () => {
  const { app: a } = app()
  const bad = await request(a).post('/v1/sessions').send({ id: 's', cycles: [] }).expect(400)
  assert.equal(bad.body.error.code, 'invalid_input')
  assert.match(bad.body.error.message, /cycles/)
  await request(a).post('/v1/sessions').send({ id: 7, cycles: ['a'] }).expect(400)
  const malformed = await request(a).post('/v1/sessions').set('Content-Type', 'application/json').send('{"id":').expect(400)
  assert.match(malformed.body.error.message, /malformed JSON/)
  await request(a).post('/v1/sessions').send({ id: 'x'.repeat(2_000), cycles: ['a'] }).expect(400)
  await request(a).post('/v1/sessions/s/switch').send({ to: 5 }).expect(400)
  const status = await request(a).post('/v1/sync/preview').send({ scope: 's', listing: { ...listing, items: [{ external_id: 'a', title: 'A', status: 'done' }] } }).expect(400)
  assert.match(status.body.error.issues[0].path, /status/)
  await request(a).get('/v1/sessions/s').expect(404)
})

test('sync preview, check, execute, stale and unconfirmed plans', async () => {
  const { app: a } = app()
  assert.equal((await request(a).post('/v1/sync/check').send({ scope: 'p', listing }).expect(200)).body.needed, true)
  const { plan } = (await request(a).post('/v1/sync/preview').send({ scope: 'p', listing }).expect(200)).body
  assert.equal(plan.counts.creates, 1)
  const unconfirmed = await request(a).post('/v1/sync/execute').send({ plan }).expect(428)
  assert.equal(unconfirmed.body.error.code, 'not_confirmed')
  const report = await request(a).post('/v1/sync/execute').send({ plan, confirmed: true }).expect(200)
  assert.equal(report.body.created, 1)
  const stale = await request(a).post('/v1/sync/execute').send({ plan, confirmed: true }).expect(409)
  assert.equal(stale.body.error.code, 'stale_plan')
  const tampered = { ...plan, creates: [] }
  await request(a).post('/v1/sync/execute').send({ plan: tampered, confirmed: true }).expect(400)
  assert.equal((await request(a).post('/v1/sync/check').send({ scope: 'p', listing }).expect(200)).body.needed, false)
})

test('SSE streams core events', async () => {
  const { app: a, router } = app()
  const server = http.createServer(a).listen(0)
  await new Promise((r) => server.once('listening', r))
  const { port } = server.address()
  try {
    const frames = new Promise((resolve, reject) => {
      http.get({ port, path: '/v1/events' }, (res) => {
        assert.equal(res.headers['content-type'], 'text/event-stream')
        let buf = ''
        res.setEncoding('utf8')
        res.on('data', (chunk) => {
          buf += chunk
          if (buf.includes(': connected')) ready()
          const m = /event: session_changed\ndata: (.*)\n\n/.exec(buf)
          if (m) { resolve(JSON.parse(m[1])); res.destroy() }
        })
      }).on('error', reject)
    })
    let ready
    await new Promise((r) => { ready = r })
    await request(a).post('/v1/sessions').send({ id: 'sse', cycles: ['a'] }).expect(201)
    const event = await frames
    assert.equal(event.operation, 'create')
    assert.equal(event.session.id, 'sse')
  } finally {
    router.closeEventStreams()
    await new Promise((r) => server.close(r))
  }
})

test('metrics in the Prometheus text format', async () => {
  const { app: a } = app()
  await request(a).post('/v1/sessions').send({ id: 'm', cycles: ['a'] }).expect(201)
  await request(a).get('/v1/sessions/nope').expect(404)
  await new Promise((r) => setImmediate(r))
  const res = await request(a).get('/v1/metrics').expect(200)
  assert.match(res.headers['content-type'], /text\/plain/)
  assert.match(res.text, /tasksync_http_requests_total\{method="POST",route="\/v1\/sessions",status="201"\} 1/)
  assert.match(res.text, /tasksync_http_requests_total\{method="GET",route="\/v1\/sessions\/:id",status="404"\} 1/)
  assert.match(res.text, /tasksync_http_request_duration_seconds_count\{method="POST",route="\/v1\/sessions"\} 1/)
  assert.match(res.text, /tasksync_events_total\{type="session_changed"\} 1/)
})

test('rate limiting answers 429 with Retry-After', async () => {
  const { app: a } = app({ rateLimit: { windowMs: 60_000, max: 2 } })
  await request(a).get('/v1/time').expect(200)
  await request(a).get('/v1/time').expect(200)
  const limited = await request(a).get('/v1/time').expect(429)
  assert.equal(limited.body.error.code, 'rate_limited')
  assert.ok(Number(limited.headers['retry-after']) > 0)
})
