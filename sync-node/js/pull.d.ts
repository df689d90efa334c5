// Typings of pull (js/pull.cjs): a provider's listing into the hub, once or on a schedule.

import type { Event, EventStream, ExecuteReport, Plan, PlanCounts, PlanJson, Policy, Provider, RunContext, SyncEngine } from './index.js'

/** When a pull executes on its own (the core's `PullRule`). */
export interface PullRule {
  /** Execute clean plans without a person (default true). */
  auto_execute?: boolean
  /** Execute even when the plan has conflicts (default false). */
  allow_conflicts?: boolean
  /** The most deletions a pull may execute on its own (default 0). */
  max_deletes?: number
}

/** The core's `PullConfig` (unknown keys are refused). */
export interface PullConfig {
  /** The hub scope the provider's tasks go to. */
  scope: string
  /** The scope asked of the provider (default: `scope`). */
  provider_scope?: string
  policy?: Policy
  rule?: PullRule
  /** For `run`: between pulls, 1 s to a week (default 60,000). */
  interval_ms?: number
}

/** Why a pull kept its plan for a person. */
export type HoldReason =
  | { reason: 'auto_execute_off' }
  | { reason: 'conflicts'; conflicts: number }
  | { reason: 'too_many_deletes'; deletes: number; limit: number }
  | { reason: 'mass_deletion'; deletes: number; limit: number }

interface PullReportBase { scope: string; source: string; complete: boolean; counts: PlanCounts }

/** One pull: nothing to do, executed, or held for a person (see `Puller.held`). */
export type PullReport =
  | (PullReportBase & { outcome: 'unchanged' })
  | (PullReportBase & { outcome: 'executed'; report: ExecuteReport })
  | (PullReportBase & { outcome: 'held'; reasons: HoldReason[]; plan: PlanJson })

export interface PullTotals { pulls: number; executed: number; unchanged: number; held: number; failed: number }

export interface PullRunOptions {
  /** Ends the loop (the pull in flight finishes first). */
  signal?: AbortSignal
  /** Recorded with every pull's runs: the actor the schedule runs as. */
  context?: RunContext
  /** Each pull as it comes: an error (the loop goes on) or the report. */
  onPull?: (err: Error | null, report: PullReport | null) => void
}

/** Pulls one provider into one scope. */
export declare class Puller {
  constructor(engine: SyncEngine, provider: Provider, config: PullConfig, options?: { events?: EventStream | ((event: Event) => void) })
  readonly config: Required<Pick<PullConfig, 'scope' | 'interval_ms'>> & PullConfig
  pull(options?: { context?: RunContext }): Promise<PullReport>
  /** The plan the last pull held, for a person to execute with `engine.execute`; else null. */
  held(): Plan | null
  run(options?: PullRunOptions): Promise<PullTotals>
}
