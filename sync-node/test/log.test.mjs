// The core's log lines reach a JS logger (`setLogger`): at its level and above, as
// `{level, target, message}`; `null` stops the routing; a logger that throws loses that line
// only; a bad level or logger is refused naming it.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import tasksync, { setLogger, InvalidInputError } from '../js/index.mjs'

const settle = () => new Promise((resolve) => setTimeout(resolve, 20))

test('log lines reach the logger at its level and above, until it is removed', async () => {
  const lines = []
  setLogger((line) => lines.push(line), { level: 'warn' })
  tasksync.__logForTests('info', 'not shown')
  tasksync.__logForTests('warn', 'shown warn')
  tasksync.__logForTests('error', 'shown error')
  await settle()
  assert.deepEqual(lines.map((l) => [l.level, l.target, l.message]), [['warn', 'sync_core', 'shown warn'], ['error', 'sync_core', 'shown error']])
  setLogger(() => { throw new Error('broken logger') }, { level: 'info' })
  tasksync.__logForTests('info', 'lost')
  await settle()
  setLogger(null)
  tasksync.__logForTests('error', 'after removal')
  await settle()
  assert.equal(lines.length, 2)
})

test('a bad level or logger is refused', () => {
  assert.throws(() => setLogger(() => {}, { level: 'loud' }), (err) => err instanceof InvalidInputError && /level/.test(err.message))
  assert.throws(() => setLogger(42), /logger must be a function/)
  assert.throws(() => setLogger(() => {}, { lvl: 'info' }), /lvl/)
})
