// The router as real clients call it: bad encodings, wrong content types, huge fields, the
// scope of its 404, logged 500s with a request id.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import zlib from 'node:zlib'
import express from 'express'
import request from 'supertest'
import { SyncEngine, SessionEngine, Store, Clock, EventStream } from '../js/index.mjs'
import { createRouter } from '../express/index.mjs'

function app(options = {}) {
  const store = Store.sqlite(':memory:')
  const events = new EventStream()
  const clock = Clock.manual(1_000)
  const logged = []
  const sessions = new SessionEngine(store, { clock, events })
  const router = createRouter({
    engine: new SyncEngine(store, { clock, events }),
    sessions,
    events,
    logger: { error: (...args) => logged.push(args) },
    ...options,
  })
  const a = express()
  a.use('/v1', router)
  a.get('/v1/after', (req, res) => res.json({ after: true }))
  return { app: a, sessions, logged }
}

async function running(a) {
  await request(a).post('/v1/sessions').send({ id: 's1', cycles: ['plan', 'build', 'test'] }).expect(201)
  await request(a).post('/v1/sessions/s1/start').expect(200)
}

test('a malformed percent-encoding in an id is 400, not 500', async () => {
  const { app: a, logged } = app()
  const res = await request(a).get('/v1/sessions/%E0%A4%A').expect(400)
  assert.equal(res.body.error.code, 'invalid_input')
  await request(a).post('/v1/sessions/%ZZ/switch').send({}).expect(400)
  assert.equal(logged.length, 0)
})

test('bodies that cannot be decoded: 415 for charset and encoding, 400 for corrupt gzip', async () => {
  const { app: a, sessions, logged } = app()
  const body = JSON.stringify({ id: 's1', cycles: ['a'] })
  const charset = await request(a).post('/v1/sessions').set('Content-Type', 'application/json; charset=koi8-r').send(body).expect(415)
  assert.equal(charset.body.error.code, 'unsupported_media_type')
  const encoding = await request(a).post('/v1/sessions').set('Content-Type', 'application/json').set('Content-Encoding', 'br-but-not-really').send(body).expect(415)
  assert.equal(encoding.body.error.code, 'unsupported_media_type')
  const corrupt = Buffer.concat([zlib.gzipSync(body).subarray(0, 12), Buffer.from('garbage')])
  const gz = await request(a).post('/v1/sessions').set('Content-Type', 'application/json').set('Content-Encoding', 'gzip').send(corrupt).expect(400)
  assert.equal(gz.body.error.code, 'invalid_input')
  await assert.rejects(sessions.state('s1'), 'nothing was created')
  assert.equal(logged.length, 0)
})

test('a switch whose body is not JSON is 415 and does not switch', async () => {
  const { app: a, sessions } = app()
  await running(a)
  const res = await request(a).post('/v1/sessions/s1/switch').set('Content-Type', 'text/plain').send('{"to":"test"}').expect(415)
  assert.equal(res.body.error.code, 'unsupported_media_type')
  const form = await request(a).post('/v1/sessions/s1/switch').type('form').send({ to: 'test' }).expect(415)
  assert.equal(form.body.error.code, 'unsupported_media_type')
  assert.equal((await sessions.state('s1')).current_cycle, 'plan', 'nothing switched')
  const ok = await request(a).post('/v1/sessions/s1/switch').send({ to: 'test' }).expect(200)
  assert.equal(ok.body.current_cycle, 'test')
})

test('error messages are clipped, never the whole input', async () => {
  const { app: a, sessions } = app()
  const huge = 'x'.repeat(500_000)
  const res = await request(a).post('/v1/sessions').send({ id: huge, cycles: ['a'] }).expect(400)
  assert.ok(res.body.error.message.length <= 301, `message of ${res.body.error.message.length} chars`)
  for (const issue of res.body.error.issues ?? []) assert.ok(issue.message.length <= 301)
  const notFound = await request(a).get(`/v1/sessions/${'y'.repeat(5_000)}`)
  assert.ok(notFound.status >= 400 && notFound.status < 500)
  assert.ok(notFound.body.error.message.length <= 301)
  await assert.rejects(sessions.state(huge.slice(0, 100)))
})

test('the default body limit is small; listings may be large', async () => {
  const { app: a } = app()
  const big = { id: 's1', cycles: ['a'], pad: 'p'.repeat(2 * 1024 * 1024) }
  const res = await request(a).post('/v1/sessions').send(big).expect(413)
  assert.equal(res.body.error.code, 'invalid_input')
  const items = Array.from({ length: 20_000 }, (_, i) => ({ external_id: `e${i}`, kind: 'task', title: `Task ${i} ${'t'.repeat(80)}` }))
  const listing = { source: 'files', complete: true, items }
  assert.ok(JSON.stringify(listing).length > 2 * 1024 * 1024)
  const plan = await request(a).post('/v1/sync/preview').send({ scope: 's', listing }).expect(200)
  assert.equal(plan.body.plan.creates.length, 20_000)
})

test('routes registered after the router still answer; its own unknown paths are 404', async () => {
  const { app: a } = app()
  assert.deepEqual((await request(a).get('/v1/after').expect(200)).body, { after: true })
  const own = await request(a).get('/v1/sessions/s1/nope').expect(404)
  assert.equal(own.body.error.code, 'not_found')
})

test('a 500 is logged with the request id the response carries', async () => {
  const failing = { state: async () => { throw new Error('the disk is on fire') } }
  const { app: a, logged } = app({ sessions: failing })
  const res = await request(a).get('/v1/sessions/s1').set('X-Request-Id', 'req-42').expect(500)
  assert.equal(res.headers['x-request-id'], 'req-42')
  assert.deepEqual(res.body.error, { code: 'internal', message: 'internal error', request_id: 'req-42' })
  assert.equal(logged.length, 1)
  assert.match(String(logged[0][0]), /req-42/)
  assert.match(String(logged[0][1]), /disk is on fire/)
  // Without a usable incoming id, one is made.
  const made = await request(a).get('/v1/sessions/s1').set('X-Request-Id', 'bad id with spaces').expect(500)
  assert.match(made.headers['x-request-id'], /^[0-9a-f-]{36}$/)
  assert.equal(made.body.error.request_id, made.headers['x-request-id'])
})
