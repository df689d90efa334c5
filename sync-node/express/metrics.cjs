'use strict'
// Prometheus metrics in the text exposition format (no client library needed): request counts
// and latency histograms per route, events by type, connected SSE clients.

const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]

const esc = (v) => String(v).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
const labels = (obj) => `{${Object.entries(obj).map(([k, v]) => `${k}="${esc(v)}"`).join(',')}}`

class Metrics {
  constructor(prefix = 'tasksync') {
    this.prefix = prefix
    this.requests = new Map() // labels -> count
    this.durations = new Map() // method+route -> { buckets, sum, count }
    this.events = new Map() // type -> count
    this.sseClients = 0
  }

  observeRequest(method, route, status, seconds) {
    const key = labels({ method, route, status })
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1)
    const hkey = labels({ method, route })
    let h = this.durations.get(hkey)
    if (!h) this.durations.set(hkey, (h = { buckets: BUCKETS.map(() => 0), sum: 0, count: 0 }))
    BUCKETS.forEach((b, i) => { if (seconds <= b) h.buckets[i] += 1 })
    h.sum += seconds
    h.count += 1
  }

  observeEvent(type) {
    this.events.set(type, (this.events.get(type) ?? 0) + 1)
  }

  render() {
    const p = this.prefix
    const out = []
    out.push(`# HELP ${p}_http_requests_total HTTP requests by method, route and status.`)
    out.push(`# TYPE ${p}_http_requests_total counter`)
    for (const [k, v] of this.requests) out.push(`${p}_http_requests_total${k} ${v}`)
    out.push(`# HELP ${p}_http_request_duration_seconds HTTP request latency.`)
    out.push(`# TYPE ${p}_http_request_duration_seconds histogram`)
    for (const [k, h] of this.durations) {
      const base = k.slice(1, -1)
      BUCKETS.forEach((b, i) => out.push(`${p}_http_request_duration_seconds_bucket{${base},le="${b}"} ${h.buckets[i]}`))
      out.push(`${p}_http_request_duration_seconds_bucket{${base},le="+Inf"} ${h.count}`)
      out.push(`${p}_http_request_duration_seconds_sum{${base}} ${h.sum}`)
      out.push(`${p}_http_request_duration_seconds_count{${base}} ${h.count}`)
    }
    out.push(`# HELP ${p}_events_total Core events by type.`)
    out.push(`# TYPE ${p}_events_total counter`)
    for (const [t, v] of this.events) out.push(`${p}_events_total${labels({ type: t })} ${v}`)
    out.push(`# HELP ${p}_sse_clients Connected server-sent-event clients.`)
    out.push(`# TYPE ${p}_sse_clients gauge`)
    out.push(`${p}_sse_clients ${this.sseClients}`)
    return out.join('\n') + '\n'
  }
}

module.exports = { Metrics }
