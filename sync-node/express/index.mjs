// ESM entry point of `tasksync/express`.
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const mod = require('./index.cjs')

export const { createRouter, startWorker, Metrics, STATUS_BY_CODE, errorBody } = mod
export default mod
