// The PostgreSQL store and history through the binding, on the machine's PostgreSQL
// (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres): the core's conformance
// suites (task, session, job, gate, history), each case on a fresh database; connecting is a
// Promise; options are checked; the URL's password never reaches an error or inspect output.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { inspect } from 'node:util'
import {
  Store, History, SyncEngine, SessionEngine, Clock, conformance, StoreError, InvalidInputError,
} from '../js/index.mjs'
import { database, dropDatabase, dropDatabases, urlOf } from './support/pg.mjs'

test.after(dropDatabases)

const small = { poolSize: 2 }

/** Runs `fn(url)` on a fresh database, dropped afterwards. */
async function onFresh(label, fn) {
  const url = database(label)
  try {
    return await fn(url)
  } finally {
    dropDatabase(url)
  }
}

const suites = {
  task: [conformance.taskStoreCases(), conformance.runTaskStoreCase],
  session: [conformance.sessionStoreCases(), conformance.runSessionStoreCase],
  job: [conformance.jobStoreCases(), conformance.runJobStoreCase],
  gate: [conformance.gateStoreCases(), conformance.runGateStoreCase],
}

for (const [suite, [cases, run]] of Object.entries(suites)) {
  test(`${suite} store conformance on Store.postgres (${cases.length} cases, each on a fresh database)`, async (t) => {
    assert.ok(cases.length > 0)
    for (const name of cases) {
      await t.test(name, () => onFresh(suite, async (url) => {
        assert.equal(await run(name, await Store.postgres(url, small)), null)
      }))
    }
  })
}

test('history store conformance on History.postgres, each case on a fresh database', async (t) => {
  const cases = conformance.historyStoreCases()
  assert.ok(cases.length > 0)
  for (const name of cases) {
    await t.test(name, () => onFresh('history', async (url) => {
      const history = await History.postgres(url, small)
      try {
        assert.equal(await conformance.runHistoryStoreCase(name, history), null)
      } finally {
        await history.close()
      }
    }))
  }
})

test('Store.postgres and History.postgres return Promises; two instances share tasks, sessions and history', () =>
  onFresh('shared', async (url) => {
    const pending = Store.postgres(url, small)
    assert.ok(pending instanceof Promise)
    const a = await pending
    const b = await Store.postgres(url, small)
    assert.ok(a instanceof Store && b instanceof Store)

    const historyA = await History.postgres(url, small)
    const historyB = await History.postgres(url, small)
    const engine = new SyncEngine(a, { history: historyA })
    const listing = { source: 'files', complete: true, items: [{ external_id: 'spec', kind: 'task', title: 'Write the spec', status: 'pending' }] }
    const plan = await engine.preview('p', listing)
    await engine.execute(plan, { confirmed: true })
    assert.deepEqual((await b.snapshot('p')).tasks.map((t) => t.title), ['Write the spec'])
    await historyA.flush()
    assert.deepEqual((await historyB.runs({ kind: 'execute' })).items.map((r) => r.scope), ['p'])

    const clock = Clock.manual(1_000)
    const onA = new SessionEngine(a, { clock })
    const onB = new SessionEngine(b, { clock })
    await onA.create('s1', ['plan', 'build'])
    await onA.start('s1')
    clock.advance(300)
    await onB.switch('s1')
    assert.equal((await onA.state('s1')).current_cycle, 'build')
    assert.deepEqual((await onA.state('s1')).cycles.map((c) => c.elapsed_ms), [300, 0])
    await Promise.all([historyA.close(), historyB.close()])
  }))

test('options: unknown keys and bad values are refused naming the option, before connecting', async () => {
  const url = urlOf('never_created')
  await assert.rejects(Store.postgres(url, { poolsize: 2 }), (e) => e instanceof InvalidInputError && /poolsize/.test(e.message))
  await assert.rejects(Store.postgres(url, { poolSize: 0 }), (e) => e instanceof InvalidInputError && /poolSize/.test(e.message))
  await assert.rejects(Store.postgres(url, { poolSize: 2.5 }), (e) => e instanceof InvalidInputError && /poolSize/.test(e.message))
  await assert.rejects(Store.postgres(url, { poolSize: '4' }), (e) => e instanceof InvalidInputError && /poolSize/.test(e.message))
  await assert.rejects(Store.postgres(url, { connectTimeoutMs: -1 }), (e) => e instanceof InvalidInputError && /connectTimeoutMs/.test(e.message))
  await assert.rejects(Store.postgres(url, { listen: 'yes' }), (e) => e instanceof InvalidInputError && /listen/.test(e.message))
  await assert.rejects(Store.postgres(42), (e) => e instanceof InvalidInputError && /url/.test(e.message))
  await assert.rejects(History.postgres(url, { listen: false }), (e) => e instanceof InvalidInputError && /listen/.test(e.message))
  await assert.rejects(History.postgres(url, { poolSize: 0 }), (e) => e instanceof InvalidInputError && /poolSize/.test(e.message))
})

test('the password of the URL appears in no error and no inspect output', async () => {
  const secret = 'pw-Zq8s3cr3t'
  const withPassword = (name, port) => {
    const u = new URL(urlOf(name))
    u.password = secret
    if (port) u.port = String(port)
    return u.toString()
  }
  const leaks = (value) => inspect(value, { depth: 10, showHidden: true }).includes(secret) || String(value?.stack ?? '').includes(secret)
  // No server on that port; a database that does not exist; a connection string refused.
  for (const [url, make] of [
    [withPassword('postgres', 1), (u) => Store.postgres(u, { connectTimeoutMs: 2000 })],
    [withPassword('tasksync_node_missing_db'), (u) => Store.postgres(u)],
    [withPassword('tasksync_node_missing_db'), (u) => History.postgres(u)],
    [`${withPassword('postgres')}?sslmode=bogus`, (u) => Store.postgres(u)],
  ]) {
    const err = await make(url).then(() => null, (e) => e)
    assert.ok(err instanceof StoreError, `a StoreError, got ${inspect(err)}`)
    assert.equal(leaks(err), false, inspect(err))
    assert.equal(leaks(err.cause), false)
  }
  // A connected store (trust auth takes any password) shows none either.
  await onFresh('secret', async (plain) => {
    const u = new URL(plain)
    u.password = secret
    const store = await Store.postgres(u.toString(), small)
    const history = await History.postgres(u.toString(), small)
    assert.equal(leaks(store), false, inspect(store))
    assert.equal(leaks(history), false, inspect(history))
    assert.equal(leaks(new SessionEngine(store)), false)
    await history.close()
  })
})
