#!/usr/bin/env bash
# Checks the generated Swift bindings (no Swift compiler runs on this machine): the three files
# exist and the public API a Swift host uses is declared, including the async methods, the
# foreign protocols (task, job, session and history stores), the conformance runners, the
# retry policies, the core's target and task constructors, and the PostgreSQL constructors.
set -euo pipefail
dir=${1:?usage: check-swift.sh <swift-out-dir>}
for f in tasksync_ffi.swift tasksync_ffiFFI.h tasksync_ffiFFI.modulemap; do
  test -s "$dir/$f" || { echo "missing $dir/$f" >&2; exit 1; }
done
swift="$dir/tasksync_ffi.swift"
expect=(
  'open class SyncEngine'
  'open class HubStore'
  'open class Worker'
  'open class StatusService'
  'public protocol TaskStore'
  'public protocol Provider'
  'public protocol Clock'
  'public protocol TokenRefresher'
  'enum TasksyncError: Swift.Error'
  'enum ProviderError: Swift.Error'
  'public struct Task: Equatable'
  'public struct Listing'
  'func previewFrom(provider: Provider, scope: String, policy: Policy) async throws'
  'func execute(plan: Plan, confirmed: Bool) async throws  -> ExecuteReport'
  'func apply(changes: ChangeSet) async throws  -> Applied'
  'public func hubId(source: String, externalId: String) -> String'
  'open class SessionEngine'
  'public protocol SessionStore'
  'public protocol EventSink'
  'open class History'
  'open class CancelToken'
  'public static func memory(capacity: UInt32? = nil, maxBatch: UInt32? = nil)async throws  -> History'
  'func executeWith(plan: Plan, confirmed: Bool, context: RunContext?, cancel: CancelToken?) async throws  -> ExecuteReport'
  'public func serverTime(clock: Clock? = nil)throws  -> ServerTime'
  'public func defaultLimits() -> Limits'
  'open class DeadLetters'
  'func retry(id: String, actor: Actor) async throws  -> QueuedJob'
  'public protocol HistoryStore'
  'public static func foreign(store: HistoryStore, capacity: UInt32? = nil, maxBatch: UInt32? = nil)async throws  -> History'
  'public protocol AsyncHistoryStore'
  'public static func foreignAsync(store: AsyncHistoryStore, capacity: UInt32? = nil, maxBatch: UInt32? = nil)async throws  -> History'
  'public protocol JobStore'
  'func claim(owner: String, now: Int64, leaseMs: UInt64, limit: UInt32) async throws  -> [QueuedJob]'
  'func nextDue() async throws  -> Int64?'
  'public static func foreignQueue(tasks: TaskStore, jobs: JobStore) -> HubStore'
  'public func taskStoreConformanceCases() -> [String]'
  'public func jobStoreConformanceCases() -> [String]'
  'public func sessionStoreConformanceCases() -> [String]'
  'public func historyStoreConformanceCases() -> [String]'
  'public func runTaskStoreConformance(name: String, store: HubStore)async throws  -> String?'
  'public func runJobStoreConformance(name: String, store: HubStore)async throws  -> String?'
  'public func runSessionStoreConformance(name: String, engine: SessionEngine)async throws  -> String?'
  'public func runHistoryStoreConformance(name: String, history: History)async throws  -> String?'
  'public func syncStatusOf(state: JobState) -> SyncStatus'
  'public func maxDelayMs() -> UInt64'
  'public struct TargetDecision'
  'public struct WorkerConfig'
  'open class Breaker: BreakerProtocol'
  'open class RateLimiter: RateLimiterProtocol'
  'public enum BreakerState: Equatable'
  'public enum Outcome: Equatable'
  'public func classify(error: ProviderError?, attempt: UInt32, now: Int64, backoff: Backoff? = nil, seed: UInt64 = UInt64(0))throws  -> Outcome'
  'public func backoffDelayMs(backoff: Backoff, attempt: UInt32, seed: UInt64 = UInt64(0))throws  -> UInt64'
  'public func taskFromDesired(scope: String, source: String, desired: DesiredTask, nowMs: Int64)throws  -> Task'
  'public func targetFromJson(json: String)throws  -> Target'
  'public enum JobWrite'
  'public var jobs: [JobWrite]'
  'public func claimedJob(job: QueuedJob, owner: String, now: Int64, leaseMs: UInt64)throws  -> QueuedJob'
  'public func manifest() -> String'
  'public func statusIsTerminal(status: Status) -> Bool'
  'open class TransitionRules'
  'open class StatusMapping'
  'open class ManualClock'
  'open class SystemClock'
  '*/providerClass: String, '
  '*/httpStatus: UInt16?, '
  '*/retryAfterMs: UInt64?'
  'public func panicForTests(inFuture: Bool)async throws  -> Bool'
  'public static func postgres(url: String, poolSize: UInt32? = nil)async throws  -> HubStore'
  'public static func postgres(url: String, poolSize: UInt32? = nil, capacity: UInt32? = nil, maxBatch: UInt32? = nil)async throws  -> History'
  'public static func postgres(url: String, poolSize: UInt32? = nil, clock: Clock? = nil, events: EventSink? = nil, limits: Limits? = nil)async throws  -> SessionEngine'
  'open func heartbeat()async throws  -> UInt64'
  'public var heartbeatMs: UInt64?'
  'public var pollMs: UInt64?'
)
missing=0
for e in "${expect[@]}"; do
  grep -qF -- "$e" "$swift" || { echo "Swift bindings lack: $e" >&2; missing=1; }
done
grep -q 'module tasksync_ffiFFI' "$dir/tasksync_ffiFFI.modulemap" || { echo "bad modulemap" >&2; missing=1; }
exit $missing
