// The router's queue and history endpoints against a real Express app (supertest drives real
// HTTP): task status changes (422 for a refused transition), jobs and dead letters (list, show,
// retry, discard), history (runs paginated with filters, a run with items, audit by entity),
// SSE progress events, and the queue's Prometheus text on /metrics.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import http from 'node:http'
import express from 'express'
import request from 'supertest'
import {
  SyncEngine, Store, Clock, EventStream, History, StatusService, Jobs, Worker, Provider, model,
} from '../js/index.mjs'
import { createRouter } from '../express/index.mjs'

async function setup() {
  const store = Store.sqlite(':memory:')
  const events = new EventStream()
  const clock = Clock.manual(1_000)
  const history = History.memory()
  const targets = [{ name: 'todo', kind: 'ms_todo' }]
  let refuse = true
  const provider = new Provider('todo', {
    async list() { return { source: 'todo', complete: true, items: [] } },
    async push() {
      if (refuse) throw Object.assign(new Error('bad field'), { code: 'rejected', status: 400 })
      return { remote: { status: 'completed' } }
    },
  })
  const worker = new Worker(store, { providers: [provider], clock, events })
  const router = createRouter({
    engine: new SyncEngine(store, { clock, events, history }),
    statusService: new StatusService(store, { targets, clock, events, history }),
    jobs: new Jobs(store, { clock, events, history }),
    history,
    worker,
    events,
  })
  const app = express()
  app.use('/v1', router)
  const tasks = ['a', 'b'].map((x) => ({ op: 'insert', task: model.taskFromDesired('s', 'todo', { external_id: x, kind: 'task', title: x, status: 'pending' }, 100) }))
  await store.apply({ guards: [], tasks })
  return { app, router, store, worker, history, ids: tasks.map((t) => t.task.id), accept: () => { refuse = false } }
}

test('task status change: 200 with jobs, 422 for a refused transition, 400 for bad input', async () => {
  const { app, ids } = await setup()
  const ok = await request(app).post(`/v1/tasks/${ids[0]}/status`).send({ to: 'completed', actor: 'ana' }).expect(200)
  assert.equal(ok.body.jobs.length, 1)
  assert.equal(ok.body.changes[0].to, 'completed')
  const refused = await request(app).post(`/v1/tasks/${ids[0]}/status`).send({ to: 'draft' }).expect(422)
  assert.equal(refused.body.error.code, 'invalid_transition')
  const unknown = await request(app).post(`/v1/tasks/${ids[0]}/status`).send({ to: 'done' }).expect(400)
  assert.equal(unknown.body.error.code, 'invalid_input')
  await request(app).post(`/v1/tasks/${ids[0]}/status`).send({ to: 5 }).expect(400)
  await request(app).post(`/v1/tasks/${ids[0]}/status`).send({ to: 'completed', extra: 1 }).expect(400)
  await request(app).post('/v1/tasks/nope/status').send({ to: 'completed' }).expect(404)
  assert.deepEqual((await request(app).get(`/v1/tasks/${ids[0]}/sync-status`).expect(200)).body, { todo: 'pending' })
  assert.equal((await request(app).get('/v1/jobs').expect(200)).body.items.length, 1)
})

test('jobs and dead letters: list, show, retry, discard', async () => {
  const { app, ids, worker, accept } = await setup()
  const { body } = await request(app).post(`/v1/tasks/${ids[0]}/status`).send({ to: 'completed' }).expect(200)
  await request(app).post(`/v1/tasks/${ids[1]}/status`).send({ to: 'in_progress' }).expect(200)
  const jobId = body.jobs[0].id
  assert.equal((await worker.runOnce()).dead, 2)
  const dead = await request(app).get('/v1/dead-letters?limit=1').expect(200)
  assert.equal(dead.body.items.length, 1)
  assert.ok(dead.body.next)
  const page2 = await request(app).get(`/v1/dead-letters?limit=1&after=${dead.body.next}`).expect(200)
  assert.equal(page2.body.items.length, 1)
  assert.notEqual(page2.body.items[0].id, dead.body.items[0].id)
  assert.equal((await request(app).get('/v1/jobs?state=dead').expect(200)).body.items.length, 2)
  assert.equal((await request(app).get(`/v1/jobs?task_id=${ids[0]}`).expect(200)).body.items[0].id, jobId)
  await request(app).get('/v1/jobs?state=sleeping').expect(400)
  await request(app).get('/v1/jobs?limit=0').expect(400)
  const shown = await request(app).get(`/v1/jobs/${jobId}`).expect(200)
  assert.equal(shown.body.state, 'dead')
  assert.match(shown.body.last_error, /400/)
  await request(app).get('/v1/jobs/job-missing').expect(404)

  const retried = await request(app).post(`/v1/jobs/${jobId}/retry`).send({ actor: 'ops' }).expect(200)
  assert.equal(retried.body.state, 'pending')
  const again = await request(app).post(`/v1/jobs/${jobId}/retry`).send({}).expect(409)
  assert.equal(again.body.error.code, 'invalid_state')
  accept()
  assert.equal((await worker.runOnce()).succeeded, 1)
  assert.equal((await request(app).get(`/v1/jobs/${jobId}`).expect(200)).body.state, 'succeeded')
  const other = page2.body.items[0].id === jobId ? dead.body.items[0].id : page2.body.items[0].id
  assert.equal((await request(app).post(`/v1/jobs/${other}/discard`).send({}).expect(200)).body.state, 'discarded')
  assert.deepEqual((await request(app).get('/v1/dead-letters').expect(200)).body.items, [])
})

test('history: runs paginated with filters, a run with its items, audit by entity', async () => {
  const { app, history, ids } = await setup()
  for (const scope of ['p1', 'p2']) {
    const listing = { source: `src-${scope}`, complete: true, items: [1, 2, 3].map((n) => ({ external_id: `x${n}`, kind: 'task', title: `X${n}` })) }
    const { plan } = (await request(app).post('/v1/sync/preview').set('User-Agent', 'tests/1').send({ scope, listing }).expect(200)).body
    await request(app).post('/v1/sync/execute').send({ plan, confirmed: true }).expect(200)
  }
  await request(app).post(`/v1/tasks/${ids[0]}/status`).send({ to: 'completed', actor: 'ana' }).expect(200)
  await history.flush()
  const first = await request(app).get('/v1/history/runs?kind=execute&limit=1').expect(200)
  assert.equal(first.body.items.length, 1)
  assert.ok(first.body.next)
  const second = await request(app).get(`/v1/history/runs?kind=execute&limit=1&cursor=${encodeURIComponent(first.body.next)}`).expect(200)
  assert.equal(second.body.items.length, 1)
  assert.equal(second.body.next, null)
  assert.equal((await request(app).get('/v1/history/runs?scope=p1').expect(200)).body.items.length, 2)
  assert.equal((await request(app).get('/v1/history/runs?status=failed').expect(200)).body.items.length, 0)
  await request(app).get('/v1/history/runs?status=sleeping').expect(400)
  await request(app).get('/v1/history/runs?cursor=garbage').expect(400)
  await request(app).get('/v1/history/runs?since=10&until=5').expect(400)

  const runId = first.body.items[0].id
  const run = await request(app).get(`/v1/history/runs/${runId}?items_limit=2`).expect(200)
  assert.equal(run.body.run.id, runId)
  assert.equal(typeof run.body.run.context.actor.ip, 'string', 'the request\'s address is the run\'s actor')
  assert.equal(run.body.items.length, 2)
  const rest = await request(app).get(`/v1/history/runs/${runId}?items_after=${run.body.next}`).expect(200)
  assert.equal(rest.body.items.length, 1)
  await request(app).get('/v1/history/runs/run-missing').expect(404)

  const audit = await request(app).get(`/v1/history/audit?entity_id=${ids[0]}`).expect(200)
  assert.equal(audit.body.items[0].action, 'status_changed')
  assert.equal(audit.body.items[0].actor.user, 'ana')
})

test('SSE carries progress events (run_started, run_item, run_finished)', async () => {
  const { app, router } = await setup()
  const server = http.createServer(app).listen(0)
  await new Promise((r) => server.once('listening', r))
  const { port } = server.address()
  try {
    let ready
    const connected = new Promise((r) => { ready = r })
    const frames = new Promise((resolve, reject) => {
      http.get({ port, path: '/v1/events' }, (res) => {
        let buf = ''
        res.setEncoding('utf8')
        res.on('data', (chunk) => {
          buf += chunk
          if (buf.includes(': connected')) ready()
          if (/event: run_finished\ndata: .*"kind":"execute"|event: run_finished[\s\S]*event: run_finished/.test(buf)) {
            resolve(buf)
            res.destroy()
          }
        })
      }).on('error', reject)
    })
    await connected
    const listing = { source: 'files', complete: true, items: [{ external_id: 'f1', kind: 'task', title: 'F' }] }
    const { plan } = (await request(app).post('/v1/sync/preview').send({ scope: 'sse', listing }).expect(200)).body
    await request(app).post('/v1/sync/execute').send({ plan, confirmed: true }).expect(200)
    const text = await frames
    for (const type of ['run_started', 'run_item', 'run_finished']) assert.match(text, new RegExp(`event: ${type}\n`))
  } finally {
    router.closeEventStreams()
    await new Promise((r) => server.close(r))
  }
})

test('metrics include the queue\'s Prometheus text', async () => {
  const { app, ids, worker, accept } = await setup()
  accept()
  await request(app).post(`/v1/tasks/${ids[0]}/status`).send({ to: 'completed' }).expect(200)
  assert.equal((await worker.runOnce()).succeeded, 1)
  const res = await request(app).get('/v1/metrics').expect(200)
  assert.match(res.text, /tasksync_http_requests_total\{method="POST",route="\/v1\/tasks\/:id\/status",status="200"\} 1/)
  assert.match(res.text, /# TYPE tasksync_jobs_total counter/)
  assert.match(res.text, /tasksync_jobs_total\{target="todo",outcome="[a-z_]+"\} 1/)
})
