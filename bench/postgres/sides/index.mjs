// The sides the bench can run, by name: each a module (setup, enqueue, remaining, verify,
// close in the parent; prepareWorker in each worker process) and its settings.
import * as graphile from './graphile.mjs'
import * as tasksync from './tasksync.mjs'

export const sides = {
  'tasksync': {
    label: 'tasksync, Node binding (StatusService, Worker with a JS provider)',
    family: 'tasksync',
    module: tasksync,
    settings: (raw) => tasksync.settingsOf(raw),
  },
  'graphile': {
    label: 'graphile-worker, bulk addJobs',
    family: 'graphile',
    module: graphile,
    settings: (raw) => graphile.settingsOf({ ...raw, enqueue: 'bulk' }),
  },
  'graphile-outbox': {
    label: 'graphile-worker, outbox (status update + add_job per task)',
    family: 'graphile',
    module: graphile,
    settings: (raw) => graphile.settingsOf({ ...raw, enqueue: 'outbox' }),
  },
}
