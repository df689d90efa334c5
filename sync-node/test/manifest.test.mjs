// Every public operation of the core (its manifest, `sync_core::manifest`) has a Node symbol:
// the table maps each entry explicitly, and the test fails for an entry without a mapping or
// whose symbol the package lacks, so a capability missing from Node is a red test.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as tasksync from '../js/index.mjs'

const { manifest } = tasksync

// `module:name` of the core → the path of the Node symbol ('Class.prototype.method' for a
// method, 'Class.static' for a factory, 'namespace.fn' for a function).
const SYMBOLS = {
  'model:Task.from_desired': 'model.taskFromDesired',
  'model:hub_id': 'model.hubId',
  'model:Status.is_terminal': 'model.isTerminal',
  'store:MemoryStore': 'Store.memory',
  'store:TaskStore': 'Store.fromObject',
  'diff:Policy': 'SyncEngine.prototype.preview', // a policy is the JSON argument of preview/check
  'diff:Plan': 'Plan',
  'engine:SyncEngine.preview': 'SyncEngine.prototype.preview',
  'engine:SyncEngine.execute': 'SyncEngine.prototype.execute',
  'engine:SyncEngine.verify': 'SyncEngine.prototype.verify',
  'transition:TransitionRules': 'transition.plan',
  'transition:StatusMapping': 'transition.toProvider',
  'retry:StatusService.change_status': 'StatusService.prototype.changeStatus',
  'retry:Target.sources': 'StatusService', // `targets: [{ name, kind, sources }]`
  'retry:Worker.run_once': 'Worker.prototype.runOnce',
  'retry:Worker.run': 'Worker.prototype.run',
  'retry:Worker.heartbeat': 'Worker.prototype.heartbeat',
  'retry:Worker.next_wake': 'Worker.prototype.nextWake',
  'retry:DeadLetters.list': 'Jobs.prototype.deadLetters',
  'retry:DeadLetters.retry': 'Jobs.prototype.requeue',
  'retry:DeadLetters.discard': 'Jobs.prototype.discard',
  'retry:JobStore': 'Store.fromObject', // with `{ keepsJobs: true }`
  'retry:Job.claimed': 'retry.claimedJob',
  'retry:sync_status': 'retry.syncStatus',
  'retry:SyncStatus.of': 'retry.syncStatusOf',
  'retry:Backoff': 'retry.backoffDelayMs',
  'retry:Breaker': 'Breaker',
  'retry:RateLimiter': 'RateLimiter',
  'retry:classify': 'retry.classify',
  'history:History.runs': 'History.prototype.runs',
  'history:History.audit': 'History.prototype.audit',
  'history:HistoryStore': 'History.fromObject',
  'session:SessionEngine': 'SessionEngine',
  'session:SessionStore': 'Store.fromObject', // getSession, insertSession, ...
  'event:EventSink': 'EventStream',
  'clock:ManualClock': 'Clock.manual',
  'clock:SystemClock': 'Clock.system',
  'clock:Clock': 'Clock.host',
  'provider:ProviderClient': 'Provider',
  'provider:ProviderError': 'ProviderError',
  'error:ErrorKind': 'errorClassFor',
  'conformance:task_store': 'conformance.runTaskStoreCase',
  'conformance:job_store': 'conformance.runJobStoreCase',
  'conformance:session_store': 'conformance.runSessionStoreCase',
  'conformance:history_store': 'conformance.runHistoryStoreCase',
  'pull:Puller': 'Puller',
  'pull:Puller.pull': 'Puller.prototype.pull',
  'pull:Puller.run': 'Puller.prototype.run',
  'pull:Puller.held': 'Puller.prototype.held',
  'providers:build': 'Provider.builtin',
  'fs:FolderSource': 'FolderSource',
  'fs:FolderSource.read_report': 'FolderSource.prototype.readReport',
}

const resolve = (path) => path.split('.').reduce((value, key) => (value == null ? undefined : value[key]), tasksync)

test('the manifest is the core\'s list', () => {
  const ops = manifest()
  assert.ok(ops.length > 0)
  assert.ok(ops.every((op) => typeof op.module === 'string' && typeof op.name === 'string'))
  assert.ok(ops.some((op) => op.module === 'retry' && op.name === 'Job.claimed'))
})

test('every operation of the core has a Node symbol', () => {
  const missing = []
  for (const { module, name } of manifest()) {
    const key = `${module}:${name}`
    const path = SYMBOLS[key]
    if (path === undefined) missing.push(`${key}: no mapping`)
    else if (typeof resolve(path) !== 'function') missing.push(`${key}: ${path} is missing`)
  }
  assert.deepEqual(missing, [])
})

test('the table maps nothing the core does not list', () => {
  const listed = new Set(manifest().map(({ module, name }) => `${module}:${name}`))
  assert.deepEqual(Object.keys(SYMBOLS).filter((key) => !listed.has(key)), [])
})

test('a status is terminal as the core says', () => {
  assert.deepEqual(['draft', 'pending', 'in_progress', 'blocked', 'completed', 'cancelled'].map(tasksync.model.isTerminal),
    [false, false, false, false, true, true])
  assert.throws(() => tasksync.model.isTerminal('done'), tasksync.InvalidInputError)
})
