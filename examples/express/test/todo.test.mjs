// todo.mjs, the README's Express + Microsoft To Do app, run as a user runs it (`node todo.mjs`)
// against the loopback Microsoft To Do fake: the To Do list is pulled into the hub, completing
// a task through the router completes it in To Do, a rotated token goes through the app's
// refresher, and SIGTERM ends the process cleanly. The README shows this very file.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startFakes } from '../../../sync-node/test/support/fakes.mjs'

const here = fileURLToPath(new URL('..', import.meta.url))
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

/** Waits until `probe` returns something truthy (the test's timeout bounds the wait). */
async function until(probe) {
  for (;;) {
    const value = await probe()
    if (value) return value
    await sleep(25)
  }
}

test('todo.mjs: a task completed through the router is completed in Microsoft To Do', { timeout: 30_000 }, async (t) => {
  const fakes = await startFakes()
  t.after(() => fakes.close())
  const dir = mkdtempSync(join(tmpdir(), 'tasksync-todo-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const tokenFile = join(dir, 'token.txt')
  writeFileSync(tokenFile, fakes.info.token)
  const app = spawn(process.execPath, ['todo.mjs'], {
    cwd: here,
    env: { ...process.env, PORT: '0', DB_PATH: join(dir, 'hub.db'), TODO_URL: fakes.info.mstodo, TODO_TOKEN_FILE: tokenFile, TODO_LIST: 'list-1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  app.stdout.setEncoding('utf8').on('data', (c) => { out += c })
  app.stderr.setEncoding('utf8').on('data', (c) => { err += c })
  const exited = once(app, 'exit')
  t.after(async () => {
    if (app.exitCode === null && app.signalCode === null) {
      app.kill('SIGKILL')
      await exited
    }
  })
  const base = await Promise.race([
    until(() => out.match(/http:\/\/127\.0\.0\.1:\d+/)?.[0]),
    exited.then(([code]) => { throw new Error(`todo.mjs exited (${code}) before listening: ${out}${err}`) }),
  ])

  // The pull brought the To Do list into the hub.
  const tasks = await (await fetch(`${base}/tasks`)).json()
  assert.deepEqual(tasks.map((x) => x.title).sort(), ['Buy milk', 'Call Bob', 'File taxes', 'Plan trip', 'Write report'])
  const milk = tasks.find((x) => x.title === 'Buy milk')
  assert.equal(milk.status, 'pending')

  const complete = async (id) => {
    const res = await fetch(`${base}/v1/tasks/${encodeURIComponent(id)}/status`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ to: 'completed' }),
    })
    assert.equal(res.status, 200, await res.clone().text())
    return res.json()
  }
  const changed = await complete(milk.id)
  assert.deepEqual(changed.targets.map((x) => x.target), ['mstodo'])
  const todoStatus = async (taskId) => (await fakes.data('mstodo'))['list-1'].find((x) => x.id === taskId).status
  await until(async () => (await todoStatus('t1')) === 'completed')
  const patch = (await fakes.seen('mstodo')).find((r) => r.method === 'PATCH' && r.path.endsWith('/lists/list-1/tasks/t1'))
  assert.equal(patch.headers.authorization, `Bearer ${fakes.info.token}`)
  assert.equal(JSON.parse(patch.body).status, 'completed')
  await until(async () => (await (await fetch(`${base}/v1/tasks/${encodeURIComponent(milk.id)}/sync-status`)).json()).mstodo === 'synced')

  // The token rotates: To Do answers 401, the adapter asks the app's refresher, which reads the
  // new token, and the change goes through with it.
  await fakes.accept('mstodo', fakes.info.fresh)
  writeFileSync(tokenFile, fakes.info.fresh)
  await complete(tasks.find((x) => x.title === 'Write report').id)
  await until(async () => (await todoStatus('t2')) === 'completed')
  const last = (await fakes.seen('mstodo')).filter((r) => r.method === 'PATCH').pop()
  assert.equal(last.headers.authorization, `Bearer ${fakes.info.fresh}`)

  // SIGTERM: the app stops accepting, the worker and the pulls stop, the process exits 0.
  app.kill('SIGTERM')
  const [code, signal] = await exited
  assert.deepEqual([code, signal], [0, null], err)
  for (const secret of [fakes.info.token, fakes.info.fresh]) assert.ok(!(out + err).includes(secret), 'a token was printed')
})

test('the README shows todo.mjs as it is', () => {
  const readme = readFileSync(join(here, '..', '..', 'README.md'), 'utf8')
  const marker = '<!-- snippet: express-todo -->\n```js\n'
  const start = readme.indexOf(marker)
  assert.notEqual(start, -1, 'README.md has no block marked <!-- snippet: express-todo -->')
  const body = readme.slice(start + marker.length, readme.indexOf('\n```\n', start + marker.length) + 1)
  assert.equal(body, readFileSync(join(here, 'todo.mjs'), 'utf8'), 'README.md\'s express-todo block differs from examples/express/todo.mjs: copy the file into it')
})
