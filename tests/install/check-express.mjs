// Runs the README's Express app (app.mjs in the app's folder, where `tasksync`, express and zod
// are installed) on a free port and uses it over HTTP as a client would: a preview returns the
// plan, an execute with `confirmed: true` applies it, a second preview is empty, an unconfirmed
// execute gets 428 with the core's error code, and the tasks are in the app's SQLite file.
//
// Usage (from the app's folder): node check-express.mjs
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { Store } from 'tasksync'

const server = spawn(process.execPath, ['app.mjs'], {
  env: { ...process.env, PORT: '0' },
  stdio: ['ignore', 'pipe', 'inherit'],
})
try {
  let out = ''
  const base = await new Promise((resolve, reject) => {
    server.stdout.setEncoding('utf8')
    server.stdout.on('data', (chunk) => {
      out += chunk
      const url = out.match(/http:\/\/localhost:\d+\/tasksync/)?.[0]
      if (url) resolve(url)
    })
    server.once('exit', (code) => reject(new Error(`app.mjs exited (${code}) before listening: ${out}`)))
  })

  const post = async (path, body) => {
    const res = await fetch(base + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
    return { status: res.status, body: await res.json() }
  }
  const listing = {
    source: 'crm',
    complete: true,
    items: [
      { external_id: 'call-ana', kind: 'task', title: 'Call Ana' },
      { external_id: 'send-quote', kind: 'task', title: 'Send the quote' },
    ],
  }

  const preview = await post('/sync/preview', { scope: 'account-7', listing })
  assert.equal(preview.status, 200, JSON.stringify(preview.body))
  assert.equal(preview.body.plan.counts.creates, 2)

  const unconfirmed = await post('/sync/execute', { plan: preview.body.plan, confirmed: false })
  assert.equal(unconfirmed.status, 428, JSON.stringify(unconfirmed.body))
  assert.equal(unconfirmed.body.error.code, 'not_confirmed')

  const executed = await post('/sync/execute', { plan: preview.body.plan, confirmed: true })
  assert.equal(executed.status, 200, JSON.stringify(executed.body))
  assert.equal(executed.body.created, 2)

  const again = await post('/sync/preview', { scope: 'account-7', listing })
  assert.equal(again.body.plan.counts.creates + again.body.plan.counts.updates, 0)

  const titles = (await Store.sqlite('hub.db').snapshot('account-7')).tasks.map((t) => t.title).sort()
  assert.deepEqual(titles, ['Call Ana', 'Send the quote'])
  console.log(`express app: preview, 428 unconfirmed, execute and the SQLite file check out at ${base}`)
} finally {
  if (server.exitCode === null && server.signalCode === null) {
    server.kill()
    await once(server, 'exit')
  }
}
