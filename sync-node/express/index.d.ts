import type { Router } from 'express'
import type { Server } from 'node:net'
import type { SyncEngine, SessionEngine, EventStream, StatusService, Jobs, History, Worker, TickReport, Puller, PullReport, PullTotals, RunContext } from '../js/index'

export declare class Metrics {
  constructor(prefix?: string)
  observeRequest(method: string, route: string, status: number, seconds: number): void
  observeEvent(type: string): void
  render(): string
}

export interface RouterOptions {
  engine?: SyncEngine
  sessions?: SessionEngine
  statusService?: StatusService
  jobs?: Jobs
  history?: History
  worker?: Worker
  events?: EventStream
  metrics?: Metrics | false
  rateLimit?: { windowMs?: number; max?: number } | false
  /** Largest body of the non-sync routes (default '1mb'). */
  bodyLimit?: string | number
  /** Largest body of the sync routes, which carry listings (default '50mb'). */
  listingBodyLimit?: string | number
  /** Where 500s are logged, with their request id (default console). */
  logger?: { error: (...args: unknown[]) => void }
}

export type TasksyncRouter = Router & { closeEventStreams?: () => void }

export declare function createRouter(options?: RouterOptions): TasksyncRouter
export declare const STATUS_BY_CODE: Readonly<Record<string, number>>
export declare function errorBody(err: unknown): [number, { code: string; message: string; issues?: Array<{ path: string; message: string }> }]
/** Error bodies also carry `request_id`, the value of the response's X-Request-Id header. */

export interface StartWorkerOptions {
  /** The queue worker: its loop runs until stop(), woken at once by status changes. */
  worker?: Worker
  /** Scheduled pulls, each on its own interval. */
  pullers?: Puller[]
  /** Each pull as it comes: an error (the loop goes on) or the report. */
  onPull?: (err: Error | null, report: PullReport | null) => void
  /** Recorded with every scheduled pull's runs (the actor the schedule runs as). */
  context?: RunContext
  /** A loop that ended with an error (default: logged with console.error). */
  onError?: (err: unknown) => void
  /** Stops the loops when it aborts. */
  signal?: AbortSignal
  /** Stops the loops when this server closes. */
  server?: Server
  /**
   * Process signals (e.g. ['SIGTERM', 'SIGINT']): on the first, closes `server` (if given)
   * and stops the loops; a second one gets Node's default behaviour. None by default.
   */
  signals?: NodeJS.Signals[]
}

/** The loops' totals: the worker's (null without a worker or after an error) and each puller's. */
export interface WorkerTotals {
  worker: TickReport | null
  pulls: Array<PullTotals | null>
}

export interface WorkerHandle {
  /** Resolves once the loops ended (after stop()). */
  readonly done: Promise<WorkerTotals>
  /** Whether stop() was called, directly or by a hooked server close, signal or abort. */
  readonly stopping: boolean
  /** Stops the loops; resolves after the batch and the pulls in flight finished. */
  stop(): Promise<WorkerTotals>
  /** The same as stop(). */
  close(): Promise<WorkerTotals>
}

/**
 * Runs the queue worker (and scheduled pulls) in this process until stop(). Unknown option
 * keys and bad values are refused with an InvalidInputError naming the option.
 */
export declare function startWorker(options: StartWorkerOptions): WorkerHandle
