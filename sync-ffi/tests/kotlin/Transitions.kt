// The core's state machine, status mappings and clocks through the generated Kotlin bindings:
// `TransitionRules` (default, from the core's JSON form, `plan`), `StatusMapping` both ways,
// `statusIsTerminal`, and `ManualClock`/`SystemClock` as the `Clock` engines take.
package tasksync.test

import uniffi.tasksync_ffi.*

suspend fun transitionsAndClocks() {
    val rules = TransitionRules()
    check(rules.allows(Status.DRAFT, Status.PENDING) && !rules.allows(Status.DRAFT, Status.COMPLETED)) { "default edges" }
    val task = taskFromDesired("s", "files", DesiredTask("a", "task", "A", null, null, emptyMap(), null), 0)
    check(rules.plan(task, Status.PENDING).single().to == Status.PENDING) { "plan" }
    refuses<TasksyncException.InvalidTransition>("draft to completed") { rules.plan(task, Status.COMPLETED) }
    val same = TransitionRules.fromJson(rules.toJson())
    check(same.allows(Status.DRAFT, Status.PENDING)) { "json round trip" }
    refuses<TasksyncException.InvalidInput>("an unknown key in rules") { TransitionRules.fromJson("""{"allowed": [], "colour": 1}""") }
    check(statusIsTerminal(Status.COMPLETED) && !statusIsTerminal(Status.PENDING)) { "terminal" }

    val todo = StatusMapping(ProviderKind.MS_TODO)
    val mapped = todo.toProvider(Status.COMPLETED, """{"status": "notStarted"}""", 0)
    check(todo.fromProvider(mapped.payload) == Status.COMPLETED && todo.fromProvider(mapped.undo) == Status.PENDING) { "mapping $mapped" }
    refuses<TasksyncException.InvalidInput>("a payload that is not JSON") { todo.fromProvider("{not json") }

    val clock = uniffi.tasksync_ffi.ManualClock(5)
    clock.advance(10)
    check(clock.nowMs() == 15L) { "manual clock" }
    clock.set(1_000)
    val created = SessionEngine.memory(clock.asClock()).create("s", listOf(Cycle("a", "A")))
    check(created.createdAt == 1_000L) { "a session on the core's manual clock: $created" }
    check(SystemClock().nowMs() > 1_700_000_000_000L) { "system clock" }
}
