// The loopback provider fakes (sync-providers' `fakes` example) for the Node tests: one process
// per test file, started with a pipe on its stdin (it exits with the test process), its JSON
// line read, and its `/_fake/` control endpoints called with fetch. The binary is
// $TASKSYNC_FAKES, else <target>/debug/examples/fakes, built with cargo when missing.
import { spawn, execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')

/** Each built-in kind as the fakes serve it. */
export const KINDS = {
  mstodo: { kind: 'mstodo', scope: 'list-1', target: 'ms_todo', basic: false, idempotencyKey: true, pushMethod: 'PATCH', pages: true },
  connectwise: { kind: 'connectwise', scope: 'tickets', target: 'connect_wise_ticket', basic: true, idempotencyKey: true, pushMethod: 'PATCH', pages: true },
  processplan: { kind: 'processplan', scope: 'p1', target: 'process_step', basic: false, idempotencyKey: true, pushMethod: 'PATCH', pages: false },
  azure_devops: { kind: 'azure-devops', scope: '*', target: 'azure_devops', basic: true, idempotencyKey: false, pushMethod: 'PATCH', pages: false },
  caldav: { kind: 'caldav', scope: 'tasks', target: 'cal_dav', basic: true, idempotencyKey: false, pushMethod: 'PUT', pages: false },
}

function binary() {
  if (process.env.TASKSYNC_FAKES) return process.env.TASKSYNC_FAKES
  const target = process.env.CARGO_TARGET_DIR || join(root, 'target')
  const path = join(target, 'debug', 'examples', 'fakes')
  if (!existsSync(path)) execFileSync('cargo', ['build', '-q', '-p', 'sync-providers', '--example', 'fakes'], { cwd: root, stdio: 'inherit' })
  return path
}

/** Starts the fakes; resolves `{info, token, fresh, config, ...}` (call `close()` after). */
export async function startFakes() {
  const proc = spawn(binary(), [], { stdio: ['pipe', 'pipe', 'inherit'] })
  const lines = createInterface({ input: proc.stdout })
  const line = await new Promise((resolve, reject) => {
    lines.once('line', resolve)
    proc.once('exit', (code) => reject(new Error(`the fakes binary exited (${code}) before printing`)))
  })
  const info = JSON.parse(line)
  const origin = (name) => new URL(info[name]).origin
  const control = async (name, method, path, body) => {
    const res = await fetch(`${origin(name)}/_fake/${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    if (!res.ok) throw new Error(`/_fake/${path}: ${res.status} ${await res.text()}`)
    const text = await res.text()
    return text.trim() ? JSON.parse(text) : null
  }
  const user = (name) => (KINDS[name].basic ? info.users[name] : null)
  return {
    info,
    token: info.token,
    fresh: info.fresh,
    /** A configuration of kind `name` on its fake, with `secret` (default the start token). */
    config(name, secret = info.token, extra = {}) {
      const config = { kind: KINDS[name].kind, base_url: info[name] }
      if (user(name) === null) config.token = secret
      else Object.assign(config, { user: user(name), password: secret })
      if (name === 'connectwise') config.client_id = info.client_id
      config.rate_limit = { per_second: 1000, burst: 1000 }
      return Object.assign(config, extra)
    },
    /** The Authorization header the fake accepts with `secret`. */
    authorization(name, secret) {
      const u = user(name)
      return u === null ? `Bearer ${secret}` : `Basic ${Buffer.from(`${u}:${secret}`).toString('base64')}`
    },
    reset: (name) => control(name, 'POST', 'reset', {}),
    seen: (name) => control(name, 'GET', 'seen'),
    data: (name) => control(name, 'GET', 'data'),
    setData: (name, data) => control(name, 'PUT', 'data', data),
    fault: (name, status, extra = {}) => control(name, 'POST', 'fault', { status, ...extra }),
    /** From now on the fake accepts only `secret`. */
    accept: (name, secret) => control(name, 'POST', 'credential', user(name) === null ? { token: secret } : { user: user(name), password: secret }),
    close() {
      proc.stdin.end()
      return new Promise((resolve) => { if (proc.exitCode !== null) resolve(); else proc.once('exit', resolve) })
    },
  }
}
