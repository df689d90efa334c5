// A WebSocket client of the example that keeps every message: `next(match)` resolves the first
// message (received or to come) that matches. Resolves once the server's hello arrived.
import WebSocket from 'ws'

export function connect(url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url)
    const messages = []
    const waiters = []
    ws.on('message', (data) => {
      const msg = JSON.parse(data)
      messages.push(msg)
      for (const w of [...waiters]) if (w.match(msg)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(msg) }
    })
    ws.once('error', reject)
    const client = {
      ws,
      messages,
      next: (match) => new Promise((res) => {
        const found = messages.find(match)
        if (found) return res(found)
        waiters.push({ match, resolve: res })
      }),
    }
    client.next((m) => m.type === 'hello').then(() => resolve(client))
  })
}
