import type { Router } from 'express'
import type { SyncEngine, SessionEngine, EventStream, StatusService, Jobs, History, Worker } from '../js/index'

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
  bodyLimit?: string | number
}

export type TasksyncRouter = Router & { closeEventStreams?: () => void }

export declare function createRouter(options?: RouterOptions): TasksyncRouter
export declare const STATUS_BY_CODE: Readonly<Record<string, number>>
export declare function errorBody(err: unknown): [number, { code: string; message: string; issues?: Array<{ path: string; message: string }> }]
