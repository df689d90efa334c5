// A pure-JS queue store: the JsStore's tasks plus the outbound queue's jobs (the JobStore
// contract of sync_core::retry::store), written in the same synchronous step as the tasks of a
// change set (the outbox). Linear scans: it proves the contract, not speed.

import { retry } from '../../js/index.mjs'
import { JsStore } from './js-store.mjs'

const coded = (code, message, extra = {}) => Object.assign(new Error(message), { code, ...extra })
const clone = (v) => structuredClone(v)

export class JsQueueStore extends JsStore {
  constructor(options) {
    super(options)
    this.jobsById = new Map() // id -> { seq, job }
    this.pairs = new Map() // task \u001f target -> { pending, running, latest }
    this.seq = 0
  }

  #pair(job) {
    const key = `${job.task_id}\u001f${job.target}`
    let pair = this.pairs.get(key)
    if (!pair) this.pairs.set(key, (pair = { pending: null, running: null, latest: null }))
    return pair
  }

  // Keeps the pair's pending/running pointers in line with a job's (new) state.
  #reindex(job) {
    const pair = this.#pair(job)
    if (pair.pending === job.id && job.state !== 'pending') pair.pending = null
    if (pair.running === job.id && job.state !== 'running') pair.running = null
    if (job.state === 'pending') pair.pending = job.id
    if (job.state === 'running') pair.running = job.id
  }

  async apply(changes) {
    await this.tick()
    const jobs = changes.jobs ?? []
    const ids = new Set()
    for (const job of jobs) {
      if (this.jobsById.has(job.id) || ids.has(job.id)) throw coded('conflict', `job \`${job.id}\` already exists`)
      ids.add(job.id)
    }
    const applied = this.commit(changes)
    for (const job of jobs) {
      const pair = this.#pair(job)
      if (pair.pending) {
        const old = this.jobsById.get(pair.pending).job
        old.state = 'superseded'
        old.updated_at = job.created_at
      }
      this.jobsById.set(job.id, { seq: ++this.seq, job: clone(job) })
      pair.pending = job.id
      pair.latest = job.id
    }
    return applied
  }

  async claim(owner, now, leaseMs, limit) {
    await this.tick()
    const all = [...this.jobsById.values()]
    const expired = all
      .filter(({ job }) => job.state === 'running' && job.lease_until <= now)
      .sort((a, b) => a.job.lease_until - b.job.lease_until || (a.job.id < b.job.id ? -1 : 1))
      .slice(0, limit)
    const due = all
      .filter(({ job }) => job.state === 'pending' && job.run_at <= now)
      .sort((a, b) => a.job.run_at - b.job.run_at || a.seq - b.seq)
    const picked = expired.map(({ job }) => job)
    for (const { job } of due) {
      if (picked.length >= limit) break
      if (this.#pair(job).running) continue
      picked.push(job)
    }
    return picked.map((job) => {
      job.state = 'running'
      job.attempts += 1
      job.lease_owner = owner
      job.lease_until = now + leaseMs
      job.updated_at = now
      this.#reindex(job)
      return clone(job)
    })
  }

  async finish(owner, now, results) {
    await this.tick()
    return results.map((r) => {
      const job = this.jobsById.get(r.id)?.job
      if (!job || job.state !== 'running' || job.lease_owner !== owner) return false
      job.lease_owner = null
      job.lease_until = null
      job.updated_at = now
      // Put back behind a newer intent of its pair, the job is superseded instead.
      const pending = this.#pair(job).pending
      const again = pending !== null && pending !== job.id ? 'superseded' : 'pending'
      if (r.result === 'succeeded') {
        job.state = 'succeeded'
        job.result = r.remote
      } else if (r.result === 'retry') {
        job.state = again
        job.run_at = r.run_at
        job.last_error = r.error
      } else if (r.result === 'defer') {
        job.state = again
        job.run_at = r.run_at
        job.attempts = Math.max(0, job.attempts - 1)
      } else if (r.result === 'dead') {
        job.state = 'dead'
        job.last_error = r.error
        if (r.revert) this.#revert(job, now)
      }
      this.#reindex(job)
      return true
    })
  }

  // Puts the task's status back to the job's `from`, only while it still is the job's `to`.
  #revert(job, now) {
    const task = this.tasks.get(job.task_id)
    if (!task || task.status !== job.to) return
    this.tasks.set(task.id, { ...task, status: job.from, version: task.version + 1, updated_at: now })
    this.scopes.set(task.scope, (this.scopes.get(task.scope) ?? 0) + 1)
  }

  async job(id) {
    await this.tick()
    const entry = this.jobsById.get(id)
    return entry ? clone(entry.job) : null
  }

  async jobs(query) {
    await this.tick()
    const order = (a, b) => a.created_at - b.created_at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
    let list = [...this.jobsById.values()].map(({ job }) => job).sort(order)
    const start = query.after ? this.jobsById.get(query.after)?.job : undefined
    if (start) list = list.filter((job) => order(job, start) > 0)
    return list
      .filter((j) => (query.state == null || j.state === query.state) && (query.target == null || j.target === query.target) && (query.task_id == null || j.task_id === query.task_id))
      .slice(0, query.limit || 100)
      .map(clone)
  }

  #settle(id, now, discard) {
    const job = this.jobsById.get(id)?.job
    if (!job) throw coded('not_found', `no job \`${id}\``)
    if (job.state !== 'dead') throw coded('not_dead', `job \`${id}\` is ${job.state}, not dead`, { state: job.state })
    const pair = this.#pair(job)
    const newer = pair.pending !== null || pair.latest !== id
    job.updated_at = now
    if (discard) job.state = 'discarded'
    else if (newer) job.state = 'superseded'
    else Object.assign(job, { state: 'pending', attempts: 0, run_at: now })
    this.#reindex(job)
    return clone(job)
  }

  async requeue(id, now) {
    await this.tick()
    return this.#settle(id, now, false)
  }

  async discard(id, now) {
    await this.tick()
    return this.#settle(id, now, true)
  }

  async nextDue() {
    await this.tick()
    let next = null
    for (const { job } of this.jobsById.values()) {
      const at = job.state === 'pending' ? job.run_at : job.state === 'running' ? job.lease_until : null
      if (at !== null && (next === null || at < next)) next = at
    }
    return next
  }

  async syncStatus(taskId) {
    await this.tick()
    const out = []
    for (const [key, pair] of this.pairs) {
      const [task, target] = key.split('\u001f')
      if (task === taskId && pair.latest) out.push([target, retry.syncStatusOf(this.jobsById.get(pair.latest).job.state)])
    }
    return out.sort((a, b) => (a[0] < b[0] ? -1 : 1))
  }
}
