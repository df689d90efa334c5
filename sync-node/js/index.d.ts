// Typings of the `tasksync` package (the idiomatic layer in js/index.cjs). The native addon's
// own typings are generated into ../index.d.ts by napi-rs and checked for drift.

import { EventEmitter } from 'node:events'
import type { HoldReason } from './pull.js'
import type { BuiltinOptions, ProviderConfig } from './providers.js'

export * from './providers.js'
export * from './pull.js'

export type Status = 'draft' | 'pending' | 'in_progress' | 'blocked' | 'completed' | 'cancelled'
export type Millis = number
export type Fields = Record<string, unknown>

export interface DesiredTask {
  external_id: string
  kind: string
  title: string
  status?: Status
  parent?: string
  fields?: Fields
  modified_at?: Millis
}

export interface Listing {
  source: string
  items: DesiredTask[]
  complete: boolean
}

export interface TaskContent {
  kind: string
  title: string
  status?: Status
  parent?: string
  fields?: Fields
}

export interface Task {
  id: string
  source: string
  external_id: string
  scope: string
  kind: string
  title: string
  status: Status
  parent?: string | null
  fields?: Fields
  base?: TaskContent | null
  version: number
  created_at: Millis
  updated_at: Millis
}

export type ConflictStrategy = 'source_wins' | 'hub_wins' | 'newest_wins' | 'manual'

export interface Policy {
  writable?: Status[] | null
  protected?: Status[]
  overwrite?: boolean
  strategy?: ConflictStrategy
  max_delete_ratio?: number
  max_delete_floor?: number
  force_deletes?: boolean
}

export interface KindCounts { creates: number; updates: number; deletes: number }

export interface PlanCounts {
  creates: number
  updates: number
  deletes: number
  unchanged: number
  conflicts: number
  skipped: number
  by_kind: Record<string, KindCounts>
}

/** The JSON form of a plan (see sync_core::Plan). */
export interface PlanJson {
  scope: string
  source: string
  scope_version: number
  token: string
  counts: PlanCounts
  creates: unknown[]
  updates: unknown[]
  deletes: unknown[]
  rebases: unknown[]
  skipped: unknown[]
  conflicts: unknown[]
  [key: string]: unknown
}

export interface ExecuteReport {
  scope: string
  created: number
  updated: number
  deleted: number
  rebased: number
  scope_version: number
}

export interface VerifyReport {
  consistent: boolean
  source_count: number
  hub_count: number
  missing_in_hub: string[]
  missing_in_source: string[]
  mismatched: unknown[]
}

export interface ScopeSnapshot { version: number; tasks: Task[] }
export interface Identity { external_id: string; id: string; scope: string }
export interface ScopeGuard { scope: string; expected_version: number }
export type TaskWrite =
  | { op: 'insert'; task: Task }
  | { op: 'update'; task: Task; expected_version: number }
  | { op: 'delete'; id: string; scope: string; expected_version: number }
/** A job write in a change set: the core set the job's `version`; a store checks the old one. */
export type JobWrite =
  | { op: 'insert'; job: Job }
  | { op: 'update'; job: Job; expected_version: number }
export interface ChangeSet { guards: ScopeGuard[]; tasks: TaskWrite[]; jobs?: JobWrite[] }
export interface Applied { scope_versions: Array<[string, number]> }

export type SessionStatus = 'created' | 'running' | 'paused' | 'completed'
export interface Cycle { id: string; name: string }

export interface Session {
  id: string
  cycles: Cycle[]
  status: SessionStatus
  current: number
  cycle_ms: number[]
  paused_ms: number
  switch_count: number
  version: number
  created_at: Millis
  started_at: Millis | null
  completed_at: Millis | null
  segment_started_at: Millis | null
  paused_at: Millis | null
  last_seen: Millis
}

export interface CycleTime { id: string; name: string; elapsed_ms: number }

export interface SessionState {
  id: string
  status: SessionStatus
  current_index: number
  current_cycle: string
  cycles: CycleTime[]
  running_ms: number
  paused_ms: number
  elapsed_ms: number
  switch_count: number
  version: number
  at: Millis
  created_at: Millis
  started_at: Millis | null
  completed_at: Millis | null
}

export interface ServerTime { now_ms: Millis }

export type RunStatus = 'pending' | 'in_progress' | 'completed' | 'failed' | 'cancelled'
export type RunKind = 'preview' | 'execute'
export type ItemOutcome = 'created' | 'updated' | 'deleted' | 'failed' | 'skipped'
export interface Counters { created: number; updated: number; deleted: number; failed: number; skipped: number }
export interface Actor { user?: string; ip?: string; user_agent?: string }
export interface RunContext { actor?: Actor; sourceId?: string; targetId?: string }
export interface Run {
  id: string
  kind: RunKind
  scope: string
  source: string
  status: RunStatus
  overwrite: boolean
  context: { actor: Actor; source_id?: string; target_id?: string }
  started_at: Millis
  ended_at: Millis | null
  duration_ms: number | null
  total_items: number
  totals: Counters
  by_type: Record<string, Counters>
  deletions: number
  error: string | null
}
export interface Item {
  seq: number
  external_id: string
  name: string
  kind: string
  outcome: ItemOutcome
  target_id?: string | null
  target_url?: string | null
  error?: string | null
}
export interface AuditEntry {
  id: string
  at: Millis
  action: string
  entity_type: string
  entity_id: string
  actor: Actor
  from?: string
  to?: string
  details: unknown
}
/** A page; `next` continues it (a cursor string for runs and audit, an item position for items). */
export interface Page<T, C> { items: T[]; next: C | null }

export type JobState = 'pending' | 'running' | 'succeeded' | 'dead' | 'superseded' | 'discarded'
export type SyncStatus = 'pending' | 'syncing' | 'synced' | 'failed' | 'discarded'
export interface Job {
  id: string
  task_id: string
  target: string
  external_id: string
  kind: string
  from: Status
  to: Status
  payload: unknown
  undo: unknown
  state: JobState
  attempts: number
  /** The job's own attempt budget; null: the worker's backoff budget applies. */
  max_attempts: number | null
  /** Row version: 1 on insert, one more on every write. */
  version: number
  /** Fencing counter: one more on every claim; a result counts only under the same lease. */
  lease: number
  /** The task's version after the change (orders a (task, target)'s intents). */
  task_version: number
  run_at: Millis
  lease_owner: string | null
  lease_until: Millis | null
  last_error: string | null
  result: unknown
  actor: string | null
  created_at: Millis
  updated_at: Millis
}
export interface StatusChange { task_id: string; from: Status; to: Status; cause?: string | null; [key: string]: unknown }
/** How one target was considered for one change: the job enqueued, or why it was skipped. */
export interface TargetDecision { task_id: string; target: string; job_id: string | null; skipped: string | null }
export interface StatusChangeReport { changes: StatusChange[]; jobs: Job[]; targets: TargetDecision[] }
export interface TickReport { claimed: number; succeeded: number; retried: number; deferred: number; dead: number; lease_lost: number }

export type Event =
  | { type: 'sync_executed'; scope: string; source: string; created: number; updated: number; deleted: number; scope_version: number; at: Millis }
  | { type: 'session_changed'; session: SessionState; operation: string; at: Millis }
  | { type: 'status_changed'; change: StatusChange; actor: string | null; at: Millis }
  | { type: 'job_changed'; [key: string]: unknown }
  | { type: 'run_started'; run_id: string; kind: RunKind; scope: string; source: string; total_items: number; at: Millis }
  | { type: 'run_item'; run_id: string; seq: number; external_id: string; kind: string; outcome: ItemOutcome; error: string | null; at: Millis }
  | { type: 'pull_held'; scope: string; source: string; reasons: HoldReason[]; creates: number; updates: number; deletes: number; conflicts: number; at: Millis }
  | { type: 'run_finished'; run_id: string; status: RunStatus; totals: Counters; duration_ms: number; error: string | null; at: Millis }

export declare class TasksyncError extends Error {
  constructor(message: string, code?: string, options?: ErrorOptions)
  readonly code: string
}
export declare class InvalidInputError extends TasksyncError { static readonly code: 'invalid_input' }
export declare class NotConfirmedError extends TasksyncError { static readonly code: 'not_confirmed' }
export declare class StalePlanError extends TasksyncError { static readonly code: 'stale_plan' }
export declare class ConflictError extends TasksyncError { static readonly code: 'conflict' }
/** The store refuses a create for good (another record holds its key); previewing again does not help. */
export declare class IdentityConflictError extends TasksyncError {
  constructor(message: string, identity?: { source?: string; externalId?: string }, options?: ErrorOptions)
  static readonly code: 'identity_conflict'
  /** The refused identity's source (clipped). */
  readonly source: string
  /** The refused identity's external id (clipped). */
  readonly externalId: string
}
export declare class InvalidStateError extends TasksyncError { static readonly code: 'invalid_state' }
export declare class InvalidTransitionError extends TasksyncError { static readonly code: 'invalid_transition' }
export declare class NotFoundError extends TasksyncError { static readonly code: 'not_found' }
export declare class StoreError extends TasksyncError { static readonly code: 'store' }
export declare class CancelledError extends TasksyncError { static readonly code: 'cancelled' }
/** A bug inside tasksync (a Rust panic caught at the boundary); nothing half-done crossed it. */
export declare class InternalError extends TasksyncError { static readonly code: 'internal' }
/** @deprecated The same class as InternalError (code `internal`). */
export declare const PanicError: typeof InternalError
export type ProviderErrorClass = 'timeout' | 'rate_limited' | 'unavailable' | 'token_expired' | 'rejected'
/** A provider failure, with the core's structured parts. */
export declare class ProviderError extends TasksyncError {
  constructor(
    message: string,
    providerClass?: ProviderErrorClass,
    extra?: { provider?: string; httpStatus?: number | null; retryAfterMs?: number | null },
    options?: ErrorOptions,
  )
  static readonly code: 'provider'
  /** The failure class: decides whether and when the worker retries. */
  readonly providerClass: ProviderErrorClass
  /** The provider's name. */
  readonly provider: string
  /** The HTTP status of the provider's answer (unavailable, rejected); null when there was none. */
  readonly httpStatus: number | null
  /** For rate_limited: how long to wait, in milliseconds; null otherwise. */
  readonly retryAfterMs: number | null
}
export declare function errorClassFor(code: string): (new (message: string) => TasksyncError) | undefined

export declare class Clock {
  static system(): Clock
  static manual(startMs?: number): Clock
  static host(nowMs: () => number): Clock
  nowMs(): number
  advance(deltaMs: number): void
  set(atMs: number): void
}
export type ClockLike = Clock | (() => number) | { nowMs(): number }

/** A JS object that stores tasks (and, optionally, sessions). Throw an error with `code: 'conflict'` on a version conflict. */
export interface HostStore {
  snapshot(scope: string): Promise<ScopeSnapshot> | ScopeSnapshot
  scopeVersion(scope: string): Promise<number> | number
  get(id: string): Promise<Task | null> | Task | null
  findIdentities(source: string, externalIds: string[]): Promise<Identity[]> | Identity[]
  apply(changes: ChangeSet): Promise<Applied> | Applied
  getSession?(id: string): Promise<Session | null> | Session | null
  insertSession?(session: Session): Promise<void> | void
  updateSession?(session: Session, expectedVersion: number): Promise<void> | void
  deleteSession?(id: string, expectedVersion: number): Promise<void> | void
}

/**
 * A JS store that also stores the outbound queue's jobs (storage only: every job rule is the
 * core's). `apply` writes `changes.jobs` with the tasks in one atomic step, refusing with
 * `code: 'conflict'` a duplicate insert, a stale `expected_version` or a second pending job of
 * a (task, target). `claim` picks, in one atomic step, up to `limit` jobs (running ones whose
 * lease expired, oldest lease first, then due pending ones whose pair has no running job,
 * oldest `run_at` first, then insertion order) and stores each as
 * `retry.claimedJob(job, owner, now, leaseMs)`, returning what it stored.
 */
export interface HostQueueStore extends HostStore {
  claim(owner: string, now: Millis, leaseMs: number, limit: number): Promise<Job[]> | Job[]
  job(id: string): Promise<Job | null> | Job | null
  jobs(query: { state?: JobState | null; target?: string | null; task_id?: string | null; after?: string | null; limit: number }): Promise<Job[]> | Job[]
  nextDue(): Promise<Millis | null> | Millis | null
}

/** A JS history store (see sync_core::history::HistoryStore). */
export interface HostHistoryStore {
  write(batch: { runs: Run[]; items: Array<{ run_id: string; items: Item[] }>; audit: AuditEntry[] }): Promise<void> | void
  run(id: string): Promise<Run | null> | Run | null
  runs(query: Record<string, unknown>): Promise<{ items: Run[]; next: { at: Millis; id: string } | null }>
  items(query: { run_id: string; after?: number | null; limit: number }): Promise<{ items: Item[]; next: number | null }>
  audit(query: Record<string, unknown>): Promise<{ items: AuditEntry[]; next: { at: Millis; id: string } | null }>
}

/** Connection options of `Store.postgres` and `History.postgres` (unknown keys are refused). */
export interface PostgresOptions {
  /** Connections in the pool (1 to 1024, default 16). */
  poolSize?: number
  /** How long connecting may take, in ms (default 5000). */
  connectTimeoutMs?: number
}

export declare class Store {
  static sqlite(path: string): Store
  /**
   * The PostgreSQL store at `url`: tasks, sessions, the job queue and the provider gates,
   * shared by every instance on the database. Resolves once connected and migrated (StoreError
   * when it cannot connect; the password never appears in the error). `listen` (default true):
   * workers on this store hear other instances' status changes (LISTEN/NOTIFY).
   */
  static postgres(url: string, options?: PostgresOptions & { listen?: boolean }): Promise<Store>
  static memory(): Store
  static fromObject(object: HostStore): Store
  static fromObject(object: HostQueueStore, options: { keepsJobs: true }): Store
  snapshot(scope: string): Promise<ScopeSnapshot>
  apply(changes: ChangeSet): Promise<Applied>
}

export declare class Plan {
  static from(value: Plan | PlanJson | string): Plan
  readonly token: string
  readonly scope: string
  readonly source: string
  readonly scopeVersion: number
  readonly isEmpty: boolean
  readonly counts: PlanCounts
  toJSON(): PlanJson
}

export declare class EventStream extends EventEmitter {
  constructor()
  readonly sink: (json: string) => void
  iterate(options?: { signal?: AbortSignal }): AsyncGenerator<Event, void, undefined>
  [Symbol.asyncIterator](): AsyncGenerator<Event, void, undefined>
}

export interface EngineOptions {
  clock?: ClockLike
  events?: EventStream | ((event: Event) => void)
}

/** The core's limits an engine may raise (unknown keys are refused). */
export interface Limits {
  /** Most items one listing may hold (default 1,000,000). */
  max_listing_items?: number
  /** Largest size of one task's fields as JSON, in bytes (default 1 MiB). */
  max_fields_bytes?: number
  /** Most cycles one session may have (default 1,000). */
  max_cycles?: number
}

export declare class History {
  static memory(): History
  static sqlite(path: string): History
  /** The PostgreSQL history at `url` (own pool and tables); resolves once connected and migrated. */
  static postgres(url: string, options?: PostgresOptions): Promise<History>
  static fromObject(object: HostHistoryStore): History
  runs(query?: { status?: RunStatus; kind?: RunKind; scope?: string; since?: Millis; until?: Millis; cursor?: string | null; limit?: number }): Promise<Page<Run, string>>
  run(id: string): Promise<Run | null>
  items(runId: string, options?: { after?: number | null; limit?: number }): Promise<Page<Item, number>>
  audit(query?: { entityType?: string; entityId?: string; cursor?: string | null; limit?: number }): Promise<Page<AuditEntry, string>>
  stats(): { queued: number; dropped: number; written: number; lost: number }
  flush(options?: { intervalMs?: number }): Promise<void>
  close(): Promise<void>
}

export interface RunOptions { context?: RunContext; signal?: AbortSignal }

export declare class SyncEngine {
  constructor(store: Store, options?: EngineOptions & { history?: History; limits?: Limits })
  readonly store: Store
  readonly events: EventStream | undefined
  readonly history: History | undefined
  preview(scope: string, listing: Listing, policy?: Policy, options?: RunOptions): Promise<Plan>
  execute(plan: Plan | PlanJson | string, options: { confirmed: boolean } & RunOptions): Promise<ExecuteReport>
  checkSyncNeeded(scope: string, listing: Listing, policy?: Policy): Promise<boolean>
  verify(scope: string, listing: Listing): Promise<VerifyReport>
}

export declare class SessionEngine {
  constructor(store: Store, options?: EngineOptions & { limits?: Limits })
  readonly store: Store
  readonly events: EventStream | undefined
  create(id: string, cycles: Array<Cycle | string>): Promise<Session>
  start(id: string): Promise<Session>
  switch(id: string, to?: string | null): Promise<Session>
  pause(id: string): Promise<Session>
  resume(id: string): Promise<Session>
  complete(id: string): Promise<Session>
  get(id: string): Promise<Session>
  state(id: string): Promise<SessionState>
  delete(id: string): Promise<SessionState>
  serverTime(): Promise<ServerTime>
}

export interface StatusPush {
  job_id: string
  idempotency_key: string
  task_id: string
  external_id: string
  kind: string
  status: Status
  payload: unknown
  attempt: number
}
export interface PushReceipt { remote: unknown }

/** A JS object that is an external system. Throw errors whose `code` is a ProviderErrorClass. */
export interface HostProvider {
  list(scope: string): Promise<Listing> | Listing
  push?(change: StatusPush): Promise<PushReceipt> | PushReceipt
  refreshToken?(): Promise<void> | void
}
export type TokenRefresherLike = ((provider: string) => Promise<string> | string) | { refresh(provider: string): Promise<string> | string }

/** One log line of the core or a built-in adapter. */
export interface LogLine { level: 'error' | 'warn' | 'info' | 'debug' | 'trace'; target: string; message: string }
/** Routes the core's log lines at `level` (default 'info') and above to `logger`; null stops it. */
export declare function setLogger(logger: ((line: LogLine) => void) | null, options?: { level?: LogLine['level'] }): void

export declare class Provider {
  constructor(name: string, object: HostProvider, options?: { tokenRefresher?: TokenRefresherLike })
  /** A built-in adapter (Microsoft To Do, ConnectWise, process plan, Azure DevOps, CalDAV). */
  static builtin(config: ProviderConfig, options?: BuiltinOptions): Provider
  readonly name: string
  list(scope: string): Promise<Listing>
  push(change: StatusPush): Promise<PushReceipt>
  refreshToken(): Promise<boolean>
}

export type ProviderKind = 'ms_todo' | 'connect_wise_ticket' | 'connect_wise_project_task' | 'process_step' | 'cal_dav' | 'azure_devops'
/**
 * A target receives the tasks of the source of its own name unless `sources` lists others;
 * `maxAttempts` is its jobs' own budget (default: the worker's, the first call and 5 retries).
 */
export interface TargetSpec { name: string; kind: ProviderKind; maxAttempts?: number; sources?: string[] }

export declare class StatusService {
  constructor(store: Store, options?: EngineOptions & { targets?: TargetSpec[]; rules?: unknown; history?: History })
  readonly events: EventStream | undefined
  changeStatus(taskId: string, to: Status, options?: { actor?: string }): Promise<StatusChangeReport>
}

export interface WorkerConfig {
  id?: string
  lease_ms?: number
  batch?: number
  concurrency?: number
  /** Default: 1, 2, 4, 8, 16 s, 6 attempts (the first call and 5 retries). */
  backoff?: Partial<Backoff>
  /** Default: opens after 5 distinct jobs fail in a row, for 30 s. Durations: at most a day. */
  breaker?: BreakerConfig
  limiter?: RateLimiterConfig | null
  dead_policy?: 'keep_flagged' | 'revert_status'
  /** How often a batch's leases are extended while provider calls are out (0, the default: a third of `lease_ms`). */
  heartbeat_ms?: number
  /** The longest idle wait of `run` when no wake hint arrives (default 1000 ms). */
  poll_ms?: number
}

export declare class Worker {
  constructor(store: Store, options?: EngineOptions & { providers?: Provider[]; config?: WorkerConfig })
  readonly events: EventStream | undefined
  runOnce(): Promise<TickReport>
  nextWake(): Promise<Millis | null>
  metricsText(): string
  /**
   * The core's loop until `signal` aborts (batches while there is work, else waits for the
   * next due job, the store's wake hint or `poll_ms`); on abort the batch in flight finishes,
   * then it resolves the totals.
   */
  run(options?: { signal?: AbortSignal }): Promise<TickReport>
  /** Extends the leases of the jobs in flight; resolves how many this worker still holds. */
  heartbeat(): Promise<number>
  /** Waits until there may be work (next due job, wake hint) or `maxMs` passed. */
  waitForWork(maxMs: number): Promise<void>
}

export declare class Jobs {
  constructor(store: Store, options?: EngineOptions & { history?: History; limits?: Limits })
  list(query?: { state?: JobState; target?: string; taskId?: string; after?: string; limit?: number }): Promise<Job[]>
  show(id: string): Promise<Job>
  deadLetters(options?: { after?: string | null; limit?: number }): Promise<Job[]>
  requeue(id: string, options?: { actor?: Actor }): Promise<Job>
  discard(id: string, options?: { actor?: Actor }): Promise<Job>
  syncStatus(taskId: string): Promise<Record<string, SyncStatus>>
}

export declare const transition: {
  allowed(from: Status, to: Status, rules?: unknown): boolean
  plan(task: Task, to: Status, related?: Task[], rules?: unknown): Array<{ task_id: string; from: Status; to: Status; [key: string]: unknown }>
  toProvider(kind: string, to: Status, current?: unknown, nowMs?: number): { payload: unknown; undo: unknown; [key: string]: unknown }
  fromProvider(kind: string, payload: unknown): Status | null
}

export interface Backoff { base_ms: number; factor: number; max_ms: number; max_attempts: number; jitter: number }
/** A provider failure in the core's form (what `retry.classify` reads; unknown keys are refused). */
export type ProviderFailure =
  | { class: 'timeout'; provider: string; message: string }
  | { class: 'rate_limited'; provider: string; retry_after_ms: number }
  | { class: 'unavailable'; provider: string; status: number; message: string }
  | { class: 'token_expired'; provider: string }
  | { class: 'rejected'; provider: string; status: number; message: string }
/** What to do after a provider call (the core's `Outcome`). */
export type Outcome =
  | { outcome: 'succeeded' }
  | { outcome: 'retry_at'; at: Millis }
  | { outcome: 'refresh_token' }
  | { outcome: 'dead'; reason: string }
export declare const retry: {
  backoffDelayMs(backoff: Partial<Backoff>, attempt: number, seed?: number): number
  /** What to do after attempt `attempt` (1-based) made at `now`; `error` null for a success. */
  classify(error: ProviderFailure | null, attempt: number, now: Millis, backoff?: Partial<Backoff> | null, seed?: number): Outcome
  syncStatusOf(state: JobState): SyncStatus
  /** A task's sync status per target on a store that keeps jobs. */
  syncStatus(store: Store, taskId: string): Promise<Record<string, SyncStatus>>
  /** `job` as a claim writes it (for a JS job store's `claim`). */
  claimedJob(job: Job, owner: string, now: Millis, leaseMs: number): Job
  readonly MAX_DELAY_MS: number
}

export interface BreakerConfig { failure_threshold?: number; open_ms?: number }
export type BreakerState = { state: 'closed'; failures: number } | { state: 'open'; until: Millis } | { state: 'half_open' }
/** A per-provider circuit breaker (the core's): 5 failures of distinct jobs in a row open it for 30 s by default. */
export declare class Breaker {
  constructor(config?: BreakerConfig)
  /** null if a call may go at `now`, else the earliest time to try again. */
  tryAcquire(now: Millis): Millis | null
  onSuccess(): void
  /** A failed call at `now` for `job` (a job is counted once until a success; none: always counted). */
  onFailure(now: Millis, job?: string | null): void
  readonly state: BreakerState
}

export interface RateLimiterConfig { per_second?: number; burst?: number }
/** A per-provider token-bucket rate limiter (the core's), full when created at `now`. */
export declare class RateLimiter {
  constructor(now: Millis, config?: RateLimiterConfig)
  /** null if a call may go at `now` (a token is taken), else the earliest time to try again. */
  tryAcquire(now: Millis): Millis | null
  /** Pauses the provider for `retryAfterMs` from `now` (an HTTP 429; at most a day). */
  pause(now: Millis, retryAfterMs: number): void
}

export declare const model: {
  hubId(source: string, externalId: string): string
  /** Whether a status is terminal (completed or cancelled). */
  isTerminal(status: Status): boolean
  taskFromDesired(scope: string, source: string, desired: DesiredTask, nowMs?: number): Task
}

export declare const conformance: {
  gateStoreCases(): string[]
  runGateStoreCase(name: string, store: Store): Promise<string | null>
  historyStoreCases(): string[]
  runHistoryStoreCase(name: string, history: History): Promise<string | null>
  jobStoreCases(): string[]
  runJobStoreCase(name: string, store: Store): Promise<string | null>
  taskStoreCases(): string[]
  sessionStoreCases(): string[]
  runTaskStoreCase(name: string, store: Store): Promise<string | null>
  runSessionStoreCase(name: string, store: Store): Promise<string | null>
}

/** One public operation of the core (`module`: the core module owning it). */
export interface Operation { module: string; name: string }
/** The core's public operations: what every binding offers. */
export declare function manifest(): Operation[]

declare const tasksync: {
  Clock: typeof Clock; Store: typeof Store; Plan: typeof Plan; SyncEngine: typeof SyncEngine
  SessionEngine: typeof SessionEngine; Provider: typeof Provider; EventStream: typeof EventStream
  History: typeof History; StatusService: typeof StatusService; Worker: typeof Worker; Jobs: typeof Jobs
  Breaker: typeof Breaker; RateLimiter: typeof RateLimiter
  TasksyncError: typeof TasksyncError; StalePlanError: typeof StalePlanError
  InvalidInputError: typeof InvalidInputError; NotFoundError: typeof NotFoundError
  InvalidStateError: typeof InvalidStateError; ConflictError: typeof ConflictError
  IdentityConflictError: typeof IdentityConflictError
  ProviderError: typeof ProviderError; InternalError: typeof InternalError
}
export default tasksync
