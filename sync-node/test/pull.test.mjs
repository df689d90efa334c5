// Pull from JS (`Puller`) against the Microsoft To Do fake: a pull executes what the rule
// allows and finds nothing the second time; more deletions than `max_deletes` are held (a
// `pull_held` event; `held()` a Plan a person executes); a failed listing writes nothing and
// is a failed run; `run` loops as its actor until its AbortSignal; bad configs name the field.
// And the folder source: examples/tasks is 28 items, pulled as a provider.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  Store, SyncEngine, Provider, Puller, FolderSource, History, Plan,
  InvalidInputError, ProviderError,
} from '../js/index.mjs'
import { startFakes } from './support/fakes.mjs'

const EXAMPLES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples', 'tasks')
const SCOPE = 'list-1'
const ACTOR = { user: 'scheduler', ip: '127.0.0.1' }
let fakes
before(async () => { fakes = await startFakes() })
after(() => fakes.close())

async function hub() {
  await fakes.reset('mstodo')
  const store = Store.memory()
  const history = History.memory()
  const engine = new SyncEngine(store, { history })
  const events = []
  const provider = Provider.builtin(fakes.config('mstodo'))
  return {
    store, history, engine, provider, events,
    puller: (config = {}) => new Puller(engine, provider, { scope: 's', provider_scope: SCOPE, interval_ms: 1_000, ...config }, { events: (e) => events.push(e) }),
    tasks: async () => (await store.snapshot('s')).tasks,
    runs: async (query = {}) => { await history.close(); return (await history.runs({ limit: 100, ...query })).items },
  }
}

test('a pull executes, then finds nothing', async () => {
  const h = await hub()
  const puller = h.puller()
  const report = await puller.pull()
  assert.equal(report.outcome, 'executed', JSON.stringify(report))
  assert.deepEqual([report.scope, report.source, report.complete], ['s', 'mstodo', true])
  assert.equal(report.counts.creates, 5)
  assert.equal(report.report.created, 5)
  assert.equal((await h.tasks()).length, 5)
  assert.equal(puller.held(), null)
  assert.equal((await puller.pull()).outcome, 'unchanged')
  assert.deepEqual(puller.config.rule, { auto_execute: true, allow_conflicts: false, max_deletes: 0 })
})

test('too many deletes are held for a person', async () => {
  const h = await hub()
  const puller = h.puller({ rule: { max_deletes: 1 }, policy: { writable: null } })
  assert.equal((await puller.pull()).outcome, 'executed')
  h.events.length = 0
  const data = await fakes.data('mstodo')
  data[SCOPE] = data[SCOPE].slice(0, 3)
  await fakes.setData('mstodo', data)
  const report = await puller.pull({ context: { actor: ACTOR } })
  assert.equal(report.outcome, 'held', JSON.stringify(report))
  assert.deepEqual(report.reasons, [{ reason: 'too_many_deletes', deletes: 2, limit: 1 }])
  assert.equal((await h.tasks()).length, 5, 'a held plan writes nothing')
  const held = h.events.filter((e) => e.type === 'pull_held')
  assert.equal(held.length, 1)
  assert.deepEqual([held[0].scope, held[0].deletes], ['s', 2])
  const plan = puller.held()
  assert.ok(plan instanceof Plan)
  assert.equal(plan.counts.deletes, 2)
  const done = await h.engine.execute(plan, { confirmed: true, context: { actor: { user: 'kim' } } })
  assert.equal(done.deleted, 2)
  assert.equal((await h.tasks()).length, 3)
  assert.equal((await puller.pull()).outcome, 'unchanged')
  assert.equal(puller.held(), null)
  const executes = await h.runs({ kind: 'execute' })
  assert.equal(executes[0].context.actor.user, 'kim')
})

test('a failed listing writes nothing and is a failed run', async () => {
  const h = await hub()
  const puller = h.puller()
  await puller.pull()
  const before = await h.tasks()
  await fakes.fault('mstodo', 500, { body: '{"error": {"code": "generalException"}}' })
  await assert.rejects(puller.pull({ context: { actor: ACTOR } }), (err) => err instanceof ProviderError && /500/.test(err.message))
  assert.deepEqual(await h.tasks(), before)
  const failed = await h.runs({ status: 'failed' })
  assert.equal(failed.length, 1)
  assert.deepEqual([failed[0].kind, failed[0].scope, failed[0].context.actor.user], ['preview', 's', 'scheduler'])
})

test('the loop runs as its actor until its signal aborts', async () => {
  const h = await hub()
  const puller = h.puller()
  const stop = new AbortController()
  const seen = []
  await fakes.fault('mstodo', 500)
  const totals = await puller.run({
    signal: stop.signal,
    context: { actor: ACTOR },
    onPull: (err, report) => {
      seen.push(err ? { err } : report)
      if (seen.length === 2) stop.abort()
    },
  })
  assert.deepEqual(totals, { pulls: 2, executed: 1, held: 0, unchanged: 0, failed: 1 })
  assert.ok(seen[0].err instanceof ProviderError, String(seen[0].err))
  assert.equal(seen[1].outcome, 'executed')
  assert.equal((await h.tasks()).length, 5)
  const runs = await h.runs()
  assert.ok(runs.length > 0 && runs.every((r) => r.context.actor.user === 'scheduler'))
  assert.equal((await puller.run({ signal: stop.signal })).pulls, 0, 'an aborted signal ends at once')
})

test('a bad configuration is refused naming the field', async () => {
  const h = await hub()
  for (const [config, named] of [
    [{ scope: 's', colour: 'red' }, /colour/],
    [{ scope: 's', rule: { max_deletes: 1, max_creates: 2 } }, /max_creates/],
    [{ scope: 's', interval_ms: 5 }, /interval_ms/],
    [{ provider_scope: SCOPE }, /scope/],
    [{ scope: 's', policy: { overwrites: true } }, /overwrites/],
  ]) {
    assert.throws(() => new Puller(h.engine, h.provider, config), (err) => err instanceof InvalidInputError && named.test(err.message))
  }
  assert.throws(() => new Puller(h.engine, {}, { scope: 's' }), /provider must be a Provider/)
  assert.throws(() => new Puller(h.engine, h.provider, { scope: 's' }, { evnts: [] }), /evnts/)
  assert.deepEqual(await fakes.seen('mstodo'), [], 'nothing was listed')
  await assert.rejects(h.puller().pull({ context: { actor: { user: 'kim', role: 'admin' } } }), /role/)
  await assert.rejects(h.puller().run({ signal: 'soon' }), /AbortSignal/)
})

test('the folder source reads examples/tasks as 28 items and pulls as a provider', async () => {
  const folder = new FolderSource(EXAMPLES)
  const listing = await folder.read()
  assert.deepEqual([listing.source, listing.complete, listing.items.length], ['files', true, 28])
  const { listing: again, problems } = await folder.readReport()
  assert.deepEqual(again, listing)
  assert.deepEqual(problems, [])
  assert.equal((await new FolderSource(EXAMPLES, { source: 'notes' }).read()).source, 'notes')
  const store = Store.memory()
  const puller = new Puller(new SyncEngine(store), folder.provider(), { scope: 'notes' })
  const report = await puller.pull()
  assert.equal(report.outcome, 'executed')
  assert.equal(report.report.created, 28)
  assert.equal((await store.snapshot('notes')).tasks.length, 28)
  await assert.rejects(folder.provider().push({ task_id: 'x' }), Error)
  await assert.rejects(new FolderSource('/no/such/folder').read(), (err) => err instanceof InvalidInputError && /root/.test(err.message))
  assert.throws(() => new FolderSource(EXAMPLES, { sourse: 'x' }), /sourse/)
  assert.throws(() => new FolderSource(42), /root must be a string/)
})
