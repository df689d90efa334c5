// The core's store conformance suites (sync_core::conformance), run through the binding
// against a pure-JS store: proves a JS object honours the store contract the engine relies on;
// and the gate store suite on the native stores that keep provider gates.
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

for (const [kind, make] of Object.entries({ memory: () => Store.memory(), sqlite: () => Store.sqlite(':memory:') })) {
  for (const name of conformance.gateStoreCases()) {
    test(`gate store conformance on the ${kind} store: ${name}`, async () => {
      assert.equal(await conformance.runGateStoreCase(name, make()), null)
    })
  }
}

test('gate store conformance refuses a store that keeps no gates', async () => {
  assert.ok(conformance.gateStoreCases().includes('one_of_racing_writers_wins'))
  await assert.rejects(conformance.runGateStoreCase('bodies_round_trip', Store.fromObject(new JsStore())), /keeps no provider gates/)
})
