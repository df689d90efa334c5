// Replays the shared diff scenarios (tests/scenarios/diff.json) through the binding, as
// sync-core/tests/scenarios.rs does in Rust, on the memory, SQLite and a pure-JS store.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { SyncEngine, Store, model } from '../js/index.mjs'
import { JsStore } from './support/js-store.mjs'

const doc = JSON.parse(readFileSync(new URL('../../tests/scenarios/diff.json', import.meta.url), 'utf8'))

const stores = {
  memory: () => Store.memory(),
  sqlite: () => Store.sqlite(':memory:'),
  js: () => Store.fromObject(new JsStore()),
}

async function seed(store, c) {
  const tasks = c.stored.map((s) => {
    const { hub_status, base, scope, source, ...desired } = s
    const task = model.taskFromDesired(scope ?? 's', source ?? c.listing.source, desired, 100)
    task.status = hub_status
    if (base) task.base = base
    return { op: 'insert', task }
  })
  if (tasks.length) await store.apply({ guards: [], tasks })
}

const sorted = (xs) => [...xs].sort()

function check(c, plan) {
  const e = c.expect
  const name = c.name
  assert.deepEqual(sorted(plan.creates.map((x) => x.task.external_id)), sorted(e.creates ?? []), `${name}: creates`)
  const updates = Object.fromEntries(plan.updates.map((u) => [u.external_id, u.changes.map((ch) => ch.field)]))
  assert.deepEqual(updates, e.updates ?? {}, `${name}: updates`)
  assert.deepEqual(sorted(plan.deletes.map((d) => d.external_id)), e.deletes ?? [], `${name}: deletes`)
  assert.deepEqual(plan.rebases.map((r) => r.after.external_id), e.rebases ?? [], `${name}: rebases`)
  const skipped = Object.fromEntries(plan.skipped.map((s) => [s.external_id, s.reason]))
  assert.deepEqual(skipped, e.skipped ?? {}, `${name}: skipped`)
  const conflicts = {}
  for (const k of plan.conflicts) (conflicts[k.external_id] ??= []).push(`${k.field}:${k.resolution}`)
  assert.deepEqual(conflicts, e.conflicts ?? {}, `${name}: conflicts`)
  for (const [key, want] of Object.entries(e.counts ?? {})) {
    assert.equal(plan.counts[key], want, `${name}: counts.${key}`)
  }
}

test('the scenario file has its cases', () => {
  assert.ok(doc.cases.length >= 15)
})

for (const [kind, make] of Object.entries(stores)) {
  test(`shared diff scenarios on the ${kind} store`, async (t) => {
    for (const c of doc.cases) {
      await t.test(c.name, async () => {
        const store = make()
        await seed(store, c)
        const engine = new SyncEngine(store)
        const policy = c.policy ?? undefined
        const plan = await engine.preview('s', c.listing, policy)
        check(c, plan.toJSON())
        await engine.execute(plan, { confirmed: true })
        const inPlace = { ...(policy ?? {}), overwrite: false }
        const again = (await engine.preview('s', c.listing, inPlace)).toJSON()
        assert.ok((await engine.preview('s', c.listing, inPlace)).isEmpty, `${c.name}: second preview not empty`)
        assert.equal(again.conflicts.length, c.expect.after_execute_conflicts ?? 0)
      })
    }
  })
}
