// The sides the bench can run, by name: each a module (setup, enqueue, remaining, verify,
// close in the parent; prepareWorker in each worker process) and its settings.
import * as graphile from './graphile.mjs'

export const sides = {
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
