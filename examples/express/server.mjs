// Entry point: PORT, DB_PATH, REDIS_URL, REDIS_PREFIX; SIGTERM/SIGINT shut down gracefully.
import { startApp } from './app.mjs'

const instance = await startApp({
  port: Number(process.env.PORT ?? 3000),
  dbPath: process.env.DB_PATH ?? 'tasksync.db',
  prefix: process.env.REDIS_PREFIX ?? 'tasksync-example',
})
console.log(`tasksync example listening on ${instance.url} (WebSocket ${instance.wsUrl})`)

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, async () => {
    console.log(`${signal}: shutting down`)
    const timer = setTimeout(() => process.exit(1), 10_000)
    timer.unref()
    await instance.close()
    process.exit(0)
  })
}
