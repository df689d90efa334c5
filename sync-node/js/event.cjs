'use strict'
// Events: an EventEmitter fed by the addon's event callback. Each core event is emitted as
// 'event' and under its own type ('sync_executed', 'session_changed'); `iterate()` (and
// `for await (const e of stream)`) yields them as an async iterator, stoppable by an AbortSignal.

const { EventEmitter, on } = require('node:events')

class EventStream extends EventEmitter {
  constructor() {
    super()
    this.setMaxListeners(0)
    /** The callback handed to the addon (JSON text in). */
    this.sink = (json) => {
      let event
      try {
        event = JSON.parse(json)
      } catch {
        return
      }
      this.emit('event', event)
      if (typeof event.type === 'string') this.emit(event.type, event)
    }
  }

  /** Yields every event from now on until `signal` aborts (then the loop ends quietly). */
  async *iterate({ signal } = {}) {
    try {
      for await (const [event] of on(this, 'event', { signal })) yield event
    } catch (err) {
      if (err && err.name === 'AbortError') return
      throw err
    }
  }

  [Symbol.asyncIterator]() {
    return this.iterate()
  }
}

module.exports = { EventStream }
