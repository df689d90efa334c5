// The core's store conformance suites (sync_core::conformance), run through the binding
// against a pure-JS store: proves a JS object honours the store contract the engine relies on.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Store, conformance } from '../js/index.mjs'
import { JsStore } from './support/js-store.mjs'

test('the suites list their cases', () => {
  assert.ok(conformance.taskStoreCases().includes('concurrent_sets_one_wins'))
  assert.ok(conformance.sessionStoreCases().includes('concurrent_updates_one_wins'))
})

for (const name of conformance.taskStoreCases()) {
  test(`task store conformance on a JS store: ${name}`, async () => {
    assert.equal(await conformance.runTaskStoreCase(name, Store.fromObject(new JsStore())), null)
  })
}

for (const name of conformance.sessionStoreCases()) {
  test(`session store conformance on a JS store: ${name}`, async () => {
    assert.equal(await conformance.runSessionStoreCase(name, Store.fromObject(new JsStore())), null)
  })
}

test('a broken store fails the suite with a message', async () => {
  const broken = new JsStore()
  broken.apply = async () => ({ scope_versions: [] }) // accepts everything, writes nothing
  const failure = await conformance.runTaskStoreCase('insert_round_trips', Store.fromObject(broken))
  assert.equal(typeof failure, 'string')
})
