// The built-in CalDAV provider from JS against a real CalDAV server: Radicale (from PyPI, in
// $RADICALE_VENV, default target/radicale-venv, made by scripts/radicale.sh when missing) on a
// free loopback port with its own storage. Its seeded VTODOs list as a preview source; a status
// change pushed by the Worker lands in the server's calendar with the rest of the VTODO kept;
// a wrong password is renewed through the host's refresher and never shown.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Store, SyncEngine, StatusService, Worker, Jobs, Provider, ProviderError, model } from '../js/index.mjs'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const USER = 'radi'
const PASSWORD = 'radi-SECRET-93be1f0a7c'
let port, dir, home

const freePort = () => new Promise((resolve) => {
  const server = createServer().listen(0, '127.0.0.1', () => { const { port: p } = server.address(); server.close(() => resolve(p)) })
})

function script(action) {
  return execFileSync('bash', [join(ROOT, 'scripts', 'radicale.sh'), action], {
    env: {
      ...process.env,
      RADICALE_VENV: process.env.RADICALE_VENV || join(ROOT, 'target', 'radicale-venv'),
      RADICALE_DIR: dir, RADICALE_PORT: String(port), RADICALE_USER: USER, RADICALE_PASSWORD: PASSWORD,
      RADICALE_CALENDAR: 'tasks', RADICALE_SEED: '1',
    },
    encoding: 'utf8',
  })
}

before(async () => {
  port = await freePort()
  dir = mkdtempSync(join(tmpdir(), 'tasksync-radicale-'))
  script('start')
  home = `http://127.0.0.1:${port}/${USER}/`
})
after(() => { try { script('stop') } finally { rmSync(dir, { recursive: true, force: true }) } })

const config = (password = PASSWORD) => ({ kind: 'caldav', base_url: home, user: USER, password })
const ics = async (name) => {
  const res = await fetch(`${home}tasks/${name}`, { headers: { authorization: `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}` } })
  assert.equal(res.status, 200)
  return res.text()
}

test("Radicale's todos list, and a pushed status lands there", async () => {
  const provider = Provider.builtin(config())
  const listing = await provider.list('tasks')
  assert.deepEqual(listing.items.map((i) => i.external_id).sort(), ['tasks/demo-1.ics', 'tasks/demo-2.ics', 'tasks/demo-3.ics'])
  const store = Store.memory()
  const engine = new SyncEngine(store)
  assert.equal((await engine.execute(await engine.preview('cal', listing), { confirmed: true })).created, 3)
  const taskId = model.hubId('caldav', 'tasks/demo-1.ics')
  const service = new StatusService(store, { targets: [{ name: 'caldav', kind: 'cal_dav' }] })
  const { jobs } = await service.changeStatus(taskId, 'completed', { actor: 'kim' })
  assert.equal(jobs.length, 1)
  const tick = await new Worker(store, { providers: [provider] }).runOnce()
  assert.deepEqual([tick.claimed, tick.succeeded], [1, 1], JSON.stringify(tick))
  const text = await ics('demo-1.ics')
  assert.match(text, /STATUS:COMPLETED/)
  assert.match(text, /X-TASKSYNC-NOTE:kept as is/, 'the rest of the VTODO is kept')
  assert.match(await ics('demo-2.ics'), /STATUS:NEEDS-ACTION/)
  assert.deepEqual(await new Jobs(store).syncStatus(taskId), { caldav: 'synced' })
})

test('a wrong password is renewed through the refresher, and never shown', async () => {
  const calls = []
  const provider = Provider.builtin(config('stale-password'), { refresher: async (p) => { calls.push(p); return PASSWORD } })
  assert.equal((await provider.list('tasks')).items.length, 3)
  assert.deepEqual(calls, ['caldav'])
  await assert.rejects(Provider.builtin(config('stale-password')).list('tasks'), (err) => {
    assert.ok(err instanceof ProviderError)
    assert.equal(err.providerClass, 'token_expired')
    assert.ok(!err.message.includes(PASSWORD) && !err.message.includes('stale-password'), err.message)
    return true
  })
})
