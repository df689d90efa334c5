// Sync history through the generated Kotlin bindings: runs recorded with a run context, the
// pump on the binding's runtime (`History.memory()` is a suspend constructor), pagination, a
// run's items, and a cancel token.
package tasksync.test

import uniffi.tasksync_ffi.*

suspend fun history() {
    val history = History.memory()
    val clock = ManualClock(1_000)
    val store = HubStore.memory()
    val engine = SyncEngine(store, clock, null, history)
    val listing = Listing("files", listOf(DesiredTask("a", "task", "A", null, null, emptyMap(), null)), true)
    val kim = RunContext(Actor("kim", null, null), null, null)
    val plan = engine.previewWith("s", listing, defaultPolicy(), kim)
    clock.now = 2_000
    check(engine.executeWith(plan, true).created == 1uL) { "executed" }

    val token = CancelToken()
    token.cancel()
    refuses<TasksyncException.Cancelled>("cancelled execute") {
        engine.executeWith(engine.preview("s", listing, defaultPolicy()), true, kim, token)
    }
    history.shutdown()

    // Newest first: the cancelled execute, the preview it was given, the execute, kim's preview.
    val runs = history.runs().runs
    check(runs.map { it.kind to it.status } == listOf(
        RunKind.EXECUTE to RunStatus.CANCELLED, RunKind.PREVIEW to RunStatus.COMPLETED,
        RunKind.EXECUTE to RunStatus.COMPLETED, RunKind.PREVIEW to RunStatus.COMPLETED,
    )) { "runs $runs" }
    check(runs[0].context.actor.user == "kim" && runs[3].context.actor.user == "kim") { "kim's runs" }
    val first = history.runs(limit = 1u)
    val second = history.runs(after = first.next, limit = 1u)
    check(first.runs.single().id == runs[0].id && second.runs.single().id == runs[1].id) { "pages $first $second" }
    val done = history.runs(kind = RunKind.EXECUTE, status = RunStatus.COMPLETED).runs.single()
    val items = history.items(done.id).items
    check(items.map { it.externalId to it.outcome } == listOf("a" to ItemOutcome.CREATED)) { "items $items" }
    refuses<TasksyncException.InvalidInput>("bad cursor") { history.runs(after = "nope") }
}
