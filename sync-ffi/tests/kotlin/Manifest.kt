// Every operation of the core's manifest (`sync_core::manifest`, read through `manifest()`)
// has its symbol in the generated Kotlin bindings: an explicit table maps each entry to the
// binding's name for it, looked up by reflection; an entry without a mapping, or whose symbol
// is missing, fails.
package tasksync.test

import uniffi.tasksync_ffi.*

/** (module, core name) to the Kotlin symbol: `function`, `Class` or `Class.member`. */
val KOTLIN_SYMBOLS = mapOf(
    "model" to "Task.from_desired" to "taskFromDesired",
    "model" to "hub_id" to "hubId",
    "model" to "Status.is_terminal" to "statusIsTerminal",
    "store" to "MemoryStore" to "HubStore.memory",
    "store" to "TaskStore" to "TaskStore",
    "diff" to "Policy" to "Policy",
    "diff" to "Plan" to "Plan",
    "engine" to "SyncEngine.preview" to "SyncEngine.preview",
    "engine" to "SyncEngine.execute" to "SyncEngine.execute",
    "engine" to "SyncEngine.verify" to "SyncEngine.verify",
    "transition" to "TransitionRules" to "TransitionRules",
    "transition" to "StatusMapping" to "StatusMapping",
    "retry" to "StatusService.change_status" to "StatusService.changeStatus",
    "retry" to "Target.sources" to "Target.sources",
    "retry" to "Worker.run_once" to "Worker.runOnce",
    "retry" to "Worker.run" to "Worker.run",
    "retry" to "Worker.heartbeat" to "Worker.heartbeat",
    "retry" to "Worker.next_wake" to "Worker.nextWake",
    "retry" to "DeadLetters.list" to "DeadLetters.list",
    "retry" to "DeadLetters.retry" to "DeadLetters.retry",
    "retry" to "DeadLetters.discard" to "DeadLetters.discard",
    "retry" to "JobStore" to "JobStore",
    "retry" to "Job.claimed" to "claimedJob",
    "retry" to "sync_status" to "HubStore.syncStatus",
    "retry" to "SyncStatus.of" to "syncStatusOf",
    "retry" to "Backoff" to "Backoff",
    "retry" to "Breaker" to "Breaker",
    "retry" to "RateLimiter" to "RateLimiter",
    "retry" to "classify" to "classify",
    "history" to "History.runs" to "History.runs",
    "history" to "History.audit" to "History.audit",
    "history" to "HistoryStore" to "HistoryStore",
    "session" to "SessionEngine" to "SessionEngine",
    "session" to "SessionStore" to "SessionStore",
    "event" to "EventSink" to "EventSink",
    "clock" to "ManualClock" to "ManualClock",
    "clock" to "SystemClock" to "SystemClock",
    "clock" to "Clock" to "Clock",
    "provider" to "ProviderClient" to "Provider",
    "provider" to "ProviderError" to "ProviderException",
    "error" to "ErrorKind" to "TasksyncException",
    "conformance" to "task_store" to "runTaskStoreConformance",
    "conformance" to "job_store" to "runJobStoreConformance",
    "conformance" to "session_store" to "runSessionStoreConformance",
    "conformance" to "history_store" to "runHistoryStoreConformance",
    "pull" to "Puller" to "Puller",
    "pull" to "Puller.pull" to "Puller.pull",
    "pull" to "Puller.run" to "Puller.run",
    "pull" to "Puller.held" to "Puller.held",
    "providers" to "build" to "builtinProvider",
    "fs" to "FolderSource" to "FolderSource",
    "fs" to "FolderSource.read_report" to "FolderSource.readReport",
)

const val PKG = "uniffi.tasksync_ffi"

fun classOf(name: String): Class<*>? = try { Class.forName("$PKG.$name") } catch (e: ClassNotFoundException) { null }

/** A JVM method named `name` (Kotlin mangles the names of functions taking unsigned types: `name-hash`). */
fun named(m: java.lang.reflect.Method, name: String) = m.name == name || m.name.startsWith("$name-")

fun hasMember(c: Class<*>, member: String): Boolean {
    val getter = "get" + member.replaceFirstChar { it.uppercase() }
    val companion = classOf("${c.simpleName}\$Companion")
    return listOfNotNull(c, companion).any { k -> k.methods.any { named(it, member) || named(it, getter) } }
}

/** Whether the Kotlin bindings have `symbol`. */
fun kotlinHas(symbol: String): Boolean {
    val parts = symbol.split(".", limit = 2)
    if (parts.size == 2) return classOf(parts[0])?.let { hasMember(it, parts[1]) } ?: false
    if (classOf(symbol) != null) return true
    return classOf("Tasksync_ffiKt")?.methods?.any { named(it, symbol) } ?: false
}

fun manifestCoverage() {
    val entries = Json(manifest()).parse().arr().map { it.obj() }.map { (it["module"] as String) to (it["name"] as String) }
    check(entries.size >= 40) { "manifest too small: ${entries.size}" }
    val unmapped = entries.filter { it !in KOTLIN_SYMBOLS }
    check(unmapped.isEmpty()) { "manifest entries without a Kotlin mapping: $unmapped" }
    val missing = entries.filter { !kotlinHas(KOTLIN_SYMBOLS.getValue(it)) }.map { KOTLIN_SYMBOLS.getValue(it) }
    check(missing.isEmpty()) { "manifest entries the Kotlin bindings lack: $missing" }
    check(!kotlinHas("NoSuchClass") && !kotlinHas("Worker.noSuchMethod") && !kotlinHas("noSuchFunction")) { "the lookup finds anything" }
}
