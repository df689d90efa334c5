// Task identity through the binding: hub ids no two identities share, and a create the store
// refuses for good rejected as IdentityConflictError (not a stale plan), every time.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  SyncEngine, Store, model, IdentityConflictError, StalePlanError, TasksyncError, errorClassFor,
} from '../js/index.mjs'
import { pgStore, dropDatabases } from './support/pg.mjs'

test.after(dropDatabases)

const listing = { source: 'files', complete: true, items: [{ external_id: 'a', kind: 'task', title: 'A' }] }

test('identities joining to the same bytes get different hub ids', () => {
  assert.notEqual(model.hubId('a', 'b\0c'), model.hubId('a\0b', 'c'))
})

for (const [kind, make] of Object.entries({ memory: () => Store.memory(), sqlite: () => Store.sqlite(':memory:'), postgres: () => pgStore('identity') })) {
  test(`a create whose hub id another record holds is an identity conflict (${kind})`, async () => {
    const store = await make()
    // A record of another identity, written by another tool, under the id `files`/`a` derives to.
    const holder = model.taskFromDesired('imported', 'legacy', { external_id: 'x', kind: 'task', title: 'Old' }, 1)
    holder.id = model.hubId('files', 'a')
    await store.apply({ guards: [], tasks: [{ op: 'insert', task: holder }] })
    const engine = new SyncEngine(store)
    for (let round = 0; round < 2; round++) {
      const plan = await engine.preview('p', listing)
      await assert.rejects(engine.execute(plan, { confirmed: true }), (err) => {
        assert.ok(err instanceof IdentityConflictError && err instanceof TasksyncError)
        assert.ok(!(err instanceof StalePlanError))
        assert.equal(err.code, 'identity_conflict')
        assert.equal(err.source, 'files')
        assert.equal(err.externalId, 'a')
        assert.match(err.message, /`legacy`/)
        assert.doesNotMatch(err.message, /\{"source"/)
        return true
      })
    }
    assert.equal((await store.snapshot('p')).version, 0)
    assert.equal(errorClassFor('identity_conflict'), IdentityConflictError)
  })
}
