// One database per side and run on the bench's PostgreSQL server: created with a random name,
// dropped (WITH (FORCE)) at the end, also when the run fails.
import { randomBytes } from 'node:crypto'
import pg from 'pg'

export const SERVER_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

/** `url` with its database replaced by `name`. */
export function withDatabase(url, name) {
  const u = new URL(url)
  u.pathname = `/${name}`
  return u.toString()
}

async function admin(fn) {
  const client = new pg.Client({ connectionString: SERVER_URL })
  await client.connect()
  try { return await fn(client) } finally { await client.end() }
}

/** Waits (at most 3 s) until the sessions of `name` have gone: a pool's `end()` resolves
 * before its connections have closed, and a forced drop would fail them mid-goodbye. */
async function quiet(client, name) {
  for (let i = 0; i < 300; i++) {
    const { rows } = await client.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1', [name])
    if (rows[0].n === 0) return
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/** Creates a fresh database; resolves `{name, url, drop()}`. */
export async function createDatabase(prefix) {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`
  await admin((c) => c.query(`CREATE DATABASE ${name}`))
  return {
    name,
    url: withDatabase(SERVER_URL, name),
    drop: () => admin(async (c) => {
      await quiet(c, name)
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    }),
  }
}
