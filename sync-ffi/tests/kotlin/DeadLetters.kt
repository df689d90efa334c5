// Dead letters by hand and a host history store through the generated Kotlin bindings: a retry
// audited as `JOB_RETRIED` with its actor, a job that is not dead refused with `InvalidState`,
// and a Kotlin `HistoryStore` whose `write` throws never failing a sync (counted as lost).
package tasksync.test

import uniffi.tasksync_ffi.*

/// A history store that is down: every call throws.
class DownHistoryStore : HistoryStore {
    var writes = 0
    override fun write(batch: String) { writes++; throw TasksyncException.Store("history down") }
    override fun run(id: String): String? = throw TasksyncException.Store("history down")
    override fun runs(query: String): String = throw TasksyncException.Store("history down")
    override fun items(query: String): String = throw TasksyncException.Store("history down")
    override fun audit(query: String): String = throw TasksyncException.Store("history down")
}

suspend fun deadLetters() {
    val store = HubStore.memory()
    val listing = Listing("files", listOf(DesiredTask("a", "task", "A", null, null, emptyMap(), null)), true)
    val down = DownHistoryStore()
    val lossy = History.foreign(down)
    val engine = SyncEngine(store, null, null, lossy)
    check(engine.execute(engine.preview("s", listing, defaultPolicy()), true).created == 1uL) { "sync despite the store" }
    lossy.shutdown()
    check(down.writes > 0 && lossy.stats().lost > 0uL && lossy.stats().written == 0uL) { "lost ${lossy.stats()}" }
    refuses<TasksyncException.Store>("query on a down store") { lossy.runs() }

    val history = History.memory()
    val clock = ManualClock(1_000)
    val provider = KtProvider("files", listing)
    provider.reject = true
    val service = StatusService(store, listOf(Target("files", ProviderKind.PROCESS_STEP, null)), clock)
    val worker = Worker(store, listOf(provider), WorkerConfig("w1", 30000uL, 64u, 4u, DeadPolicy.KEEP_FLAGGED), clock)
    service.changeStatus(hubId("files", "a"), Status.PENDING, null)
    check(worker.runOnce().dead == 1uL) { "rejected job dead" }
    val dead = DeadLetters(store, history, clock)
    val job = dead.list().single()
    clock.now = 2_000
    check(dead.retry(job.id, Actor("kim", null, null)).state == JobState.PENDING) { "retried" }
    refuses<TasksyncException.InvalidState>("discard of a pending job") { dead.discard(job.id, Actor("kim", null, null)) }
    history.shutdown()
    val entry = history.audit(entityId = job.id).entries.single()
    check(entry.action == AuditAction.JOB_RETRIED && entry.actor.user == "kim" && entry.at == 2_000L) { "audit $entry" }
}
