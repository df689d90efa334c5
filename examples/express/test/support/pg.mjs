// A fresh PostgreSQL database for a test, on DATABASE_URL's server (default: the local one,
// user postgres, trust auth), created and dropped through psql. Only the databases created
// here are ever dropped.
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'

const serverUrl = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres'
const psql = (sql) => execFileSync('psql', [serverUrl, '-v', 'ON_ERROR_STOP=1', '-qAtc', sql], { encoding: 'utf8' })

/** Creates a database with a random name; resolves `{ url, drop }`. */
export function freshDatabase() {
  const name = `tasksync_express_${randomBytes(6).toString('hex')}`
  psql(`CREATE DATABASE ${name}`)
  const u = new URL(serverUrl)
  u.pathname = `/${name}`
  return { url: u.toString(), drop: () => psql(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) }
}
