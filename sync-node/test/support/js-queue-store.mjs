// A pure-JS queue store: the JsStore's tasks plus the outbound queue's jobs, storage only (the
// JobStore contract of sync_core::retry::store). It decides nothing about jobs: `apply` writes
// the job writes the core built, with their version checks and the one-pending-per-pair check,
// in the same synchronous step as the tasks (the outbox); `claim` picks due jobs and stores each
// as the core's `claimedJob`. Linear scans: it proves the contract, not speed.

import { retry } from '../../js/index.mjs'
import { JsStore } from './js-store.mjs'

const conflict = (message) => Object.assign(new Error(message), { code: 'conflict' })
const clone = (v) => structuredClone(v)
const pairOf = (job) => `${job.task_id}\u001f${job.target}`

export class JsQueueStore extends JsStore {
  constructor(options) {
    super(options)
    this.jobsById = new Map() // id -> { seq, job }
    this.seq = 0
  }

  async apply(changes) {
    await this.tick()
    // Check every job write against a working copy, then commit tasks and jobs together.
    const next = new Map(this.jobsById)
    let seq = this.seq
    for (const w of changes.jobs ?? []) {
      const current = next.get(w.job.id)
      if (w.op === 'insert') {
        if (current) throw conflict(`job \`${w.job.id}\` already exists`)
        next.set(w.job.id, { seq: ++seq, job: clone(w.job) })
      } else if (w.op === 'update') {
        if (!current || current.job.version !== w.expected_version) {
          throw conflict(`job \`${w.job.id}\` is at version ${current?.job.version ?? 'none'}, expected ${w.expected_version}`)
        }
        next.set(w.job.id, { seq: current.seq, job: clone(w.job) })
      } else {
        throw new Error(`unknown job write ${w.op}`)
      }
    }
    const pending = new Set()
    for (const { job } of next.values()) {
      if (job.state !== 'pending') continue
      if (pending.has(pairOf(job))) throw conflict(`two pending jobs for task \`${job.task_id}\` and target \`${job.target}\``)
      pending.add(pairOf(job))
    }
    const applied = this.commit(changes) // throws before writing when a task write is refused
    this.jobsById = next
    this.seq = seq
    return applied
  }

  async claim(owner, now, leaseMs, limit) {
    await this.tick()
    const all = [...this.jobsById.values()]
    const expired = all
      .filter(({ job }) => job.state === 'running' && job.lease_until <= now)
      .sort((a, b) => a.job.lease_until - b.job.lease_until || a.seq - b.seq)
    const running = new Set(all.filter(({ job }) => job.state === 'running').map(({ job }) => pairOf(job)))
    const due = all
      .filter(({ job }) => job.state === 'pending' && job.run_at <= now && !running.has(pairOf(job)))
      .sort((a, b) => a.job.run_at - b.job.run_at || a.seq - b.seq)
    return [...expired, ...due].slice(0, limit).map((entry) => {
      const claimed = retry.claimedJob(entry.job, owner, now, leaseMs)
      this.jobsById.set(claimed.id, { seq: entry.seq, job: claimed })
      return clone(claimed)
    })
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

  async nextDue() {
    await this.tick()
    let next = null
    for (const { job } of this.jobsById.values()) {
      const at = job.state === 'pending' ? job.run_at : job.state === 'running' ? job.lease_until : null
      if (at !== null && (next === null || at < next)) next = at
    }
    return next
  }
}
