// Every built-in provider kind from JS (`Provider.builtin(config, {refresher})`) against the
// loopback fakes: a status change pushed by the core's Worker reaches the fake with the right
// method, path, credential, Idempotency-Key and body; a paged listing is a preview/execute
// source; a 429 with Retry-After defers the job; a 401 is renewed through the host's refresher
// (sync and async) and retried with the fresh token; a 404 dead-letters the job; the
// credential shows nowhere (log lines routed to JS included); bad configurations are refused naming the field.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { inspect } from 'node:util'
import {
  Clock, Store, SyncEngine, StatusService, Worker, Jobs, Provider, Puller, History, EventStream,
  InvalidInputError, InvalidTransitionError, ProviderError, TasksyncError, setLogger,
} from '../js/index.mjs'
import { KINDS, startFakes } from './support/fakes.mjs'

const START_MS = 1_700_000_000_000
let fakes
before(async () => { fakes = await startFakes() })
after(() => fakes.close())

/** A memory hub holding the provider's listing in scope `s`, with one status change queued. */
async function hub(name, provider, { history, events } = {}) {
  const kind = KINDS[name]
  const clock = Clock.manual(START_MS)
  const store = Store.memory()
  const engine = new SyncEngine(store, { clock, history })
  const listing = await provider.list(kind.scope)
  await engine.execute(await engine.preview('s', listing), { confirmed: true })
  const service = new StatusService(store, { targets: [{ name, kind: kind.target }], clock, events, history })
  for (const task of (await store.snapshot('s')).tasks) {
    for (const status of ['completed', 'in_progress', 'pending']) {
      if (status === task.status) continue
      let report
      try {
        report = await service.changeStatus(task.id, status, { actor: 'kim' })
      } catch (err) {
        if (err instanceof InvalidTransitionError || err instanceof InvalidInputError) continue
        throw err
      }
      if (report.jobs.length) {
        const jobs = new Jobs(store, { clock })
        return {
          clock, store, engine, task, job: report.jobs[0], jobs,
          worker: (p = provider, opts = {}) => new Worker(store, { providers: [p], clock, config: { id: 'w1' }, ...opts }),
          state: async () => (await jobs.show(report.jobs[0].id)).state,
        }
      }
    }
  }
  throw new Error('no status change made a job')
}

for (const name of Object.keys(KINDS)) {
  const kind = KINDS[name]

  test(`${name}: the listing follows the paging and is a preview source`, async () => {
    await fakes.reset(name)
    const provider = Provider.builtin(fakes.config(name))
    assert.equal(provider.name, name)
    const listing = await provider.list(kind.scope)
    assert.equal(listing.source, name)
    assert.equal(listing.complete, true)
    const ids = listing.items.map((i) => i.external_id)
    assert.ok(ids.length > 0 && new Set(ids).size === ids.length, 'no page listed twice')
    const reads = await fakes.seen(name)
    for (const r of reads) assert.equal(r.headers.authorization, fakes.authorization(name, fakes.token))
    if (kind.pages) assert.ok(reads.length > 1, 'more than one page was read')
    const store = Store.memory()
    const engine = new SyncEngine(store)
    const plan = await engine.preview('s', listing)
    assert.equal(plan.counts.creates, ids.length)
    assert.equal((await engine.execute(plan, { confirmed: true })).created, ids.length)
    assert.deepEqual((await store.snapshot('s')).tasks.map((t) => t.external_id).sort(), [...ids].sort())
  })

  test(`${name}: a status change reaches the fake through the worker`, async () => {
    await fakes.reset(name)
    const provider = Provider.builtin(fakes.config(name))
    const h = await hub(name, provider)
    const before = (await fakes.seen(name)).length
    const tick = await h.worker().runOnce()
    assert.deepEqual([tick.claimed, tick.succeeded], [1, 1], JSON.stringify(tick))
    const push = (await fakes.seen(name)).slice(before).filter((r) => r.method === kind.pushMethod)
    assert.ok(push.length, 'the fake saw the push')
    const sent = push.at(-1)
    assert.ok(sent.path.includes(h.task.external_id.split('/').at(-1)), `${sent.path} names the task`)
    assert.equal(sent.headers.authorization, fakes.authorization(name, fakes.token))
    if (kind.idempotencyKey) assert.equal(sent.headers['idempotency-key'], h.job.id)
    else assert.equal(sent.headers['idempotency-key'], undefined)
    if (name === 'caldav') assert.match(sent.body, /BEGIN:VTODO/)
    else JSON.parse(sent.body)
    assert.equal(await h.state(), 'succeeded')
    assert.deepEqual(await h.jobs.syncStatus(h.task.id), { [name]: 'synced' })
  })

  test(`${name}: a 429 with Retry-After defers the job, a later run delivers it`, async () => {
    await fakes.reset(name)
    const provider = Provider.builtin(fakes.config(name))
    const h = await hub(name, provider)
    const worker = h.worker()
    await fakes.fault(name, 429, { headers: { 'retry-after': '1' } })
    const tick = await worker.runOnce()
    assert.deepEqual([tick.claimed, tick.succeeded, tick.dead], [1, 0, 0], JSON.stringify(tick))
    const job = await h.jobs.show(h.job.id)
    assert.equal(job.state, 'pending')
    assert.match(job.last_error ?? '', /rate limited/)
    assert.ok(job.run_at >= START_MS + 1_000, 'not due before the Retry-After')
    assert.equal((await worker.runOnce()).claimed, 0)
    h.clock.advance(2_000)
    assert.equal((await worker.runOnce()).succeeded, 1)
    assert.equal(await h.state(), 'succeeded')
  })

  for (const [how, make] of [
    ['a sync function', (calls) => (p) => { calls.push(p); return fakes.fresh }],
    ['an async function', (calls) => async (p) => { calls.push(p); await new Promise((r) => setTimeout(r, 1)); return fakes.fresh }],
  ]) {
    test(`${name}: a 401 is renewed by ${how} and retried`, async () => {
      await fakes.reset(name)
      const calls = []
      const provider = Provider.builtin(fakes.config(name), { refresher: make(calls) })
      const h = await hub(name, provider)
      await fakes.accept(name, fakes.fresh)
      const before = (await fakes.seen(name)).length
      const worker = h.worker()
      for (let i = 0; i < 3 && (await h.state()) !== 'succeeded'; i++) {
        await worker.runOnce()
        h.clock.advance(60_000)
      }
      assert.equal(await h.state(), 'succeeded')
      assert.deepEqual([...new Set(calls)], [name])
      const auths = (await fakes.seen(name)).slice(before).map((r) => r.headers.authorization)
      assert.equal(auths[0], fakes.authorization(name, fakes.token))
      assert.equal(auths.at(-1), fakes.authorization(name, fakes.fresh))
    })
  }

  test(`${name}: without a refresher a 401 is final (token_expired)`, async () => {
    await fakes.reset(name)
    const provider = Provider.builtin(fakes.config(name))
    await fakes.accept(name, fakes.fresh)
    await assert.rejects(provider.list(kind.scope), (err) => err instanceof ProviderError && err.providerClass === 'token_expired')
  })

  test(`${name}: a 404 on a push is dead-lettered`, async () => {
    await fakes.reset(name)
    const provider = Provider.builtin(fakes.config(name))
    const h = await hub(name, provider)
    await fakes.fault(name, 404, { body: '{"message": "gone"}' })
    assert.equal((await h.worker().runOnce()).dead, 1)
    const dead = await h.jobs.deadLetters()
    assert.deepEqual(dead.map((j) => [j.id, j.state]), [[h.job.id, 'dead']])
    assert.match(dead[0].last_error ?? '', /404/)
  })

  test(`${name}: the credential appears nowhere`, async () => {
    await fakes.reset(name)
    const logged = []
    setLogger((line) => logged.push(JSON.stringify(line)), { level: 'trace' })
    const history = History.memory()
    const events = new EventStream()
    const seenEvents = []
    events.on('event', (e) => seenEvents.push(JSON.stringify(e)))
    const shown = []
    const config = fakes.config(name)
    const provider = Provider.builtin(config, { refresher: () => fakes.fresh })
    shown.push(inspect(provider, { depth: 5, showHidden: true }), JSON.stringify(provider))
    const h = await hub(name, provider, { history, events })
    const worker = h.worker(provider, { events })
    // An expired token, and a refresher whose token the fake refuses too: the fake's 401 body
    // echoes the presented credential.
    await fakes.accept(name, 'tok-OTHER-never-handed-out')
    const bare = Provider.builtin(config)
    const puller = new Puller(new SyncEngine(h.store, { history }), provider, { scope: 's', provider_scope: kind.scope })
    shown.push(inspect(puller, { depth: 5 }), JSON.stringify(puller.config), inspect(worker, { depth: 5 }))
    for (const call of [() => bare.list(kind.scope), () => provider.list(kind.scope), () => puller.pull()]) {
      await assert.rejects(call(), (err) => {
        assert.ok(err instanceof TasksyncError)
        shown.push(err.message, String(err), inspect(err), JSON.stringify(err))
        return true
      })
    }
    await worker.runOnce()
    // A server echoing the token in a 400 body, on a push: the job dies.
    await fakes.accept(name, fakes.token)
    h.clock.advance(3_600_000)
    await fakes.fault(name, 400, { body: JSON.stringify({ message: `bad ${fakes.token}` }) })
    await worker.runOnce()
    for (const bad of [{ ...config, base_url: 'ftp://x' }, { ...config, colour: fakes.token }]) {
      assert.throws(() => Provider.builtin(bad), (err) => {
        assert.ok(err instanceof InvalidInputError)
        shown.push(err.message, inspect(err))
        return true
      })
    }
    await history.close()
    const runs = (await history.runs({ limit: 200 })).items
    assert.ok(runs.some((r) => r.status === 'failed'), 'the failed pull is in history')
    shown.push(JSON.stringify(runs), JSON.stringify(await history.audit({ limit: 200 })))
    shown.push(JSON.stringify(await h.jobs.list({ limit: 100 })), ...seenEvents, worker.metricsText())
    await new Promise((resolve) => setTimeout(resolve, 50)) // queued log lines reach JS
    setLogger(null)
    assert.ok(logged.length > 0, 'the core logged')
    shown.push(...logged)
    assert.ok(shown.some((s) => /expired|401/.test(s)), 'the failures were seen')
    for (const text of shown) {
      assert.ok(!text.includes(fakes.token), `token shown in: ${text.slice(0, 300)}`)
      assert.ok(!text.includes(fakes.fresh), `fresh token shown in: ${text.slice(0, 300)}`)
    }
  })
}

test('a bad configuration is refused naming the field, nothing called', async () => {
  await fakes.reset('mstodo')
  const cases = [
    [{ colour: 'red' }, /colour/],
    [{ kind: 'jira' }, /kind/],
    [{ token: undefined }, /token/],
    [{ user: 'alice', password: 'pw' }, /token/],
    [{ user: 'alice' }, /user/],
    [{ base_url: 'ftp://example.org' }, /base_url/],
    [{ client_id: 'c' }, /client_id/],
    [{ timeout_ms: 0 }, /timeout_ms/],
  ]
  for (const [change, named] of cases) {
    const config = { ...fakes.config('mstodo'), ...change }
    assert.throws(() => Provider.builtin(config), (err) => {
      assert.ok(err instanceof InvalidInputError, `${JSON.stringify(change)}: ${err}`)
      assert.match(err.message, named)
      assert.ok(!err.message.includes(fakes.token))
      return true
    })
  }
  assert.throws(() => Provider.builtin(fakes.config('mstodo'), { refresher: 42 }), /refresher must be a function/)
  assert.throws(() => Provider.builtin(fakes.config('mstodo'), { refresh: () => 'x' }), /refresh/)
  assert.throws(() => Provider.builtin('mstodo'), InvalidInputError)
  assert.deepEqual(await fakes.seen('mstodo'), [], 'nothing was built, nothing called')
})
