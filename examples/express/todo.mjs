// todo.mjs: an Express app over a hub pulled from Microsoft To Do. A task completed through
// the router is completed in To Do at once (the worker wakes on the status change).
// Env: TODO_URL (Graph's base URL), TODO_TOKEN_FILE (where the app keeps the access token),
// TODO_LIST (the To Do list id), DB_PATH, PORT.
import { readFile } from 'node:fs/promises'
import express from 'express'
import { Store, SyncEngine, StatusService, Jobs, Worker, Provider, Puller, EventStream } from 'tasksync'
import { createRouter, startWorker } from 'tasksync/express'

const tokenFile = process.env.TODO_TOKEN_FILE ?? 'todo-token.txt'
const accessToken = async () => (await readFile(tokenFile, 'utf8')).trim()

const store = Store.sqlite(process.env.DB_PATH ?? 'hub.db')
const events = new EventStream()
const engine = new SyncEngine(store, { events })
// The built-in Microsoft To Do adapter; after a 401 it asks the refresher for a new token.
const todo = Provider.builtin(
  { kind: 'mstodo', base_url: process.env.TODO_URL ?? 'https://graph.microsoft.com/v1.0', token: await accessToken() },
  { refresher: accessToken },
)
// The To Do list goes into the hub scope `home`: now, then every minute.
const puller = new Puller(engine, todo, { scope: 'home', provider_scope: process.env.TODO_LIST ?? 'list-1', interval_ms: 60_000 })
await puller.pull()

const worker = new Worker(store, { providers: [todo], events })
const app = express()
app.get('/tasks', async (req, res) => res.json((await store.snapshot('home')).tasks.map(({ id, title, status }) => ({ id, title, status }))))
app.use('/v1', createRouter({
  statusService: new StatusService(store, { targets: [{ name: 'mstodo', kind: 'ms_todo' }], events }),
  jobs: new Jobs(store, { events }),
  worker,
  events,
}))
const server = app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () =>
  console.log(`listening on http://127.0.0.1:${server.address().port}`))
// Status changes go to To Do as they are made, pulls run on schedule; on SIGTERM or SIGINT the
// server stops accepting and the batch in flight finishes before the process exits.
startWorker({ worker, pullers: [puller], server, signals: ['SIGTERM', 'SIGINT'] })
