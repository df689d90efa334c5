// Entry point: PORT, DATABASE_URL (PostgreSQL; SQLite at DB_PATH when unset), DB_POOL_SIZE,
// REDIS_URL, REDIS_PREFIX, WEBHOOK_URL and WEBHOOK_SOURCES (deliver status changes there),
// WORKER=0 (no queue worker in this instance); SIGTERM/SIGINT shut down gracefully.
import { startApp } from './app.mjs'

const instance = await startApp({
  port: Number(process.env.PORT ?? 3000),
  dbPath: process.env.DB_PATH ?? 'tasksync.db',
  poolSize: process.env.DB_POOL_SIZE ? Number(process.env.DB_POOL_SIZE) : undefined,
  prefix: process.env.REDIS_PREFIX ?? 'tasksync-example',
  worker: process.env.WORKER !== '0',
})
const storage = process.env.DATABASE_URL ? 'PostgreSQL' : `SQLite ${process.env.DB_PATH ?? 'tasksync.db'}`
console.log(`tasksync example listening on ${instance.url} (WebSocket ${instance.wsUrl}; ${storage})`)

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, async () => {
    console.log(`${signal}: shutting down`)
    const timer = setTimeout(() => process.exit(1), 10_000)
    timer.unref()
    await instance.close()
    process.exit(0)
  })
}
