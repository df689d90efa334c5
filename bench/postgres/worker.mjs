// One worker process of a side (started by queue.mjs through child_process.fork): prepares
// (connects, warms its pool) and says `ready`; on `go` starts working and reports how many jobs
// its provider finished every 10 ms; on `stop` shuts down gracefully, sends its totals and exits.
import { sides } from './sides/index.mjs'

const config = JSON.parse(process.argv[2])
const side = sides[config.side]
const progress = { done: 0, calls: 0 }
let reported = -1
const report = () => {
  if (progress.calls === reported) return
  reported = progress.calls
  process.send({ type: 'progress', ...progress })
}

try {
  const worker = await side.module.prepareWorker({ ...config, settings: side.settings(config.settings), progress })
  let timer
  process.on('message', async (message) => {
    try {
      if (message.type === 'go') {
        timer = setInterval(report, 10)
        await worker.start()
      } else if (message.type === 'stop') {
        clearInterval(timer)
        await worker.stop()
        process.send({ type: 'stats', ...progress }, () => process.exit(0))
      }
    } catch (err) {
      process.send({ type: 'error', message: String(err?.stack ?? err) }, () => process.exit(1))
    }
  })
  process.send({ type: 'ready' })
} catch (err) {
  process.send({ type: 'error', message: String(err?.stack ?? err) }, () => process.exit(1))
}
