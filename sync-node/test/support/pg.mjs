// Fresh PostgreSQL databases for tests, on DATABASE_URL's server (default: the local one,
// user postgres, trust auth): `database()` creates one with a random name through psql and
// returns its URL; `dropDatabases()` drops (WITH (FORCE)) every database this process created.
// Only those: a database this file did not create is never dropped.
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'

export const serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

const created = []

/** The URL of database `name` on the server of `url`. */
export function urlOf(name, url = serverUrl) {
  const u = new URL(url)
  u.pathname = `/${name}`
  return u.toString()
}

/** Runs one SQL statement on the server's maintenance database. */
export function psql(sql, url = serverUrl) {
  return execFileSync('psql', [url, '-v', 'ON_ERROR_STOP=1', '-qAtc', sql], { encoding: 'utf8' })
}

/** Creates a fresh database (`tasksync_node_<random>`) and returns its URL. */
export function database(label = 'test') {
  const name = `tasksync_node_${label.replace(/[^a-z0-9]/g, '_')}_${randomBytes(6).toString('hex')}`
  psql(`CREATE DATABASE ${name}`)
  created.push(name)
  return urlOf(name)
}

/** Drops one database `database()` created (its connections are closed by the server). */
export function dropDatabase(url) {
  const name = new URL(url).pathname.slice(1)
  const at = created.indexOf(name)
  if (at < 0) throw new Error(`not a database this test created: ${name}`)
  created.splice(at, 1)
  psql(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
}

/** Drops every database `database()` created in this process. */
export function dropDatabases() {
  while (created.length) psql(`DROP DATABASE IF EXISTS ${created.pop()} WITH (FORCE)`)
}

/**
 * A `Store.postgres` on a fresh database (small pool, no LISTEN connection: these tests run one
 * process), for the suites that run on every store. Dropped by `dropDatabases()`.
 */
export async function pgStore(label = 'store') {
  const { Store } = await import('../../js/index.mjs')
  return Store.postgres(database(label), { poolSize: 2, listen: false })
}

/** A `History.postgres` on a fresh database, dropped by `dropDatabases()`. */
export async function pgHistory(label = 'history') {
  const { History } = await import('../../js/index.mjs')
  return History.postgres(database(label), { poolSize: 2 })
}
