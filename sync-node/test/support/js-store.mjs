// A pure-JS store (tasks and sessions) implementing the store contract of sync_core::store:
// atomic change sets, version checks, scope versions bumped once per applied set. Used to prove
// a host object can be the engine's store (and to run the core's conformance suite on one).

const conflict = (message) => Object.assign(new Error(message), { code: 'conflict' })
const clone = (v) => structuredClone(v)

export class JsStore {
  constructor({ delayMs = 0 } = {}) {
    this.tasks = new Map() // id -> task
    this.scopes = new Map() // scope -> version
    this.sessions = new Map() // id -> session
    this.delayMs = delayMs
    this.calls = 0
  }

  async tick() {
    this.calls += 1
    // Yield to the event loop like a real async backend would.
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs))
    else await Promise.resolve()
  }

  async snapshot(scope) {
    await this.tick()
    const tasks = [...this.tasks.values()].filter((t) => t.scope === scope).map(clone)
    return { version: this.scopes.get(scope) ?? 0, tasks }
  }

  async scopeVersion(scope) {
    await this.tick()
    return this.scopes.get(scope) ?? 0
  }

  async get(id) {
    await this.tick()
    const task = this.tasks.get(id)
    return task ? clone(task) : null
  }

  async findIdentities(source, externalIds) {
    await this.tick()
    const wanted = new Set(externalIds)
    return [...this.tasks.values()]
      .filter((t) => t.source === source && wanted.has(t.external_id))
      .map((t) => ({ external_id: t.external_id, id: t.id, scope: t.scope }))
  }

  async apply(changes) {
    await this.tick()
    if (changes.jobs && changes.jobs.length > 0) {
      throw new Error('this store has no job queue')
    }
    return this.commit(changes)
  }

  // Validates and writes a change set's tasks in one synchronous step (so nothing interleaves).
  commit(changes) {
    for (const g of changes.guards) {
      const actual = this.scopes.get(g.scope) ?? 0
      if (actual !== g.expected_version) {
        throw conflict(`scope \`${g.scope}\` is at version ${actual}, expected ${g.expected_version}`)
      }
    }
    // Validate every write against a working copy, then commit it whole.
    const next = new Map(this.tasks)
    const touched = []
    const touch = (scope) => touched.includes(scope) || touched.push(scope)
    for (const g of changes.guards) touch(g.scope)
    for (const w of changes.tasks) {
      if (w.op === 'insert') {
        const t = w.task
        const taken = [...next.values()].some((o) => o.source === t.source && o.external_id === t.external_id)
        if (next.has(t.id) || taken) throw conflict(`task \`${t.id}\` already exists`)
        next.set(t.id, clone(t))
        touch(t.scope)
      } else if (w.op === 'update') {
        const cur = next.get(w.task.id)
        if (!cur || cur.version !== w.expected_version) throw conflict(`task \`${w.task.id}\` moved`)
        next.set(w.task.id, clone(w.task))
        touch(w.task.scope)
      } else if (w.op === 'delete') {
        const cur = next.get(w.id)
        if (!cur || cur.version !== w.expected_version) throw conflict(`task \`${w.id}\` moved`)
        next.delete(w.id)
        touch(w.scope)
      } else {
        throw new Error(`unknown write ${w.op}`)
      }
    }
    this.tasks = next
    const scopeVersions = touched.map((s) => {
      const v = (this.scopes.get(s) ?? 0) + 1
      this.scopes.set(s, v)
      return [s, v]
    })
    return { scope_versions: scopeVersions }
  }

  async getSession(id) {
    await this.tick()
    const s = this.sessions.get(id)
    return s ? clone(s) : null
  }

  async insertSession(session) {
    await this.tick()
    if (this.sessions.has(session.id)) throw conflict(`session \`${session.id}\` already exists`)
    this.sessions.set(session.id, clone(session))
  }

  async updateSession(session, expectedVersion) {
    await this.tick()
    const cur = this.sessions.get(session.id)
    if (!cur || cur.version !== expectedVersion) throw conflict(`session \`${session.id}\` moved`)
    this.sessions.set(session.id, clone(session))
  }

  async deleteSession(id, expectedVersion) {
    await this.tick()
    const cur = this.sessions.get(id)
    if (!cur || cur.version !== expectedVersion) throw conflict(`session \`${id}\` moved`)
    this.sessions.delete(id)
  }
}
