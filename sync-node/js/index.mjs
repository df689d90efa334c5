// ESM entry point: the same objects as the CommonJS one (one addon instance per process).
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const tasksync = require('./index.cjs')

export const {
  TasksyncError, InvalidInputError, NotConfirmedError, StalePlanError, ConflictError,
  IdentityConflictError, InvalidStateError, InvalidTransitionError, NotFoundError, StoreError,
  ProviderError, InternalError, PanicError, CancelledError, errorClassFor,
  Clock, Store, Plan, SyncEngine, SessionEngine, Provider, EventStream,
  History, StatusService, Worker, Jobs, Breaker, RateLimiter, FolderSource, Puller,
  transition, retry, conformance, model, manifest, setLogger,
} = tasksync
export default tasksync
