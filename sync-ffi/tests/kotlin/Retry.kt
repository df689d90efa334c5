// The queue's targets and policies through the generated Kotlin bindings, over the core's
// types: bad targets refused by the core (empty name, zero attempts, unknown keys in the JSON
// form), a cross-source target receiving another source's tasks, `taskFromDesired`, the
// backoff schedule and `classify`, the circuit breaker and the rate limiter.
package tasksync.test

import uniffi.tasksync_ffi.*

val STEP = ProviderKind.PROCESS_STEP

fun desired(id: String, status: Status? = null) = DesiredTask(id, "task", id.uppercase(), status, null, emptyMap(), null)

suspend fun targets() {
    val clock = ManualClock(5_000)
    val store = HubStore.memory()
    val engine = SyncEngine(store, clock)
    engine.execute(engine.preview("s", Listing("files", listOf(desired("a")), true), defaultPolicy()), true)
    engine.execute(engine.preview("n", Listing("notes", listOf(desired("n", Status.PENDING)), true), defaultPolicy()), true)

    // taskFromDesired: the task a sync creates (before any status change).
    val made = taskFromDesired("n", "notes", desired("n", Status.PENDING), 5_000)
    check(made == store.get(hubId("notes", "n"))) { "taskFromDesired $made" }
    val draft = taskFromDesired("s", "files", desired("a"), 1)
    check(draft.status == Status.DRAFT && draft.version == 1uL && draft.id == hubId("files", "a")) { "draft $draft" }
    refuses<TasksyncException.InvalidInput>("a field that is not JSON") {
        taskFromDesired("s", "files", desired("x").copy(fields = mapOf("p" to "{")), 0)
    }

    // Bad targets: the core's refusal, naming what is wrong; nothing enqueued.
    val good = Target("files", STEP)
    for ((bad, message) in listOf(
        Target("", STEP) to "`name` must not be empty",
        Target("files", STEP, 0u) to "`max_attempts` must be at least 1",
        Target("files", STEP, null, listOf("")) to "`sources` must not contain an empty name",
    )) {
        try {
            StatusService(store, listOf(good, bad))
            error("bad target $bad accepted")
        } catch (e: TasksyncException.InvalidInput) {
            check(e.message?.contains(message) == true) { "message for $bad: ${e.message}" }
        }
    }
    check(store.jobs(JobQuery()).isEmpty()) { "a refused service enqueued" }
    val parsed = targetFromJson("""{"name": "todo", "kind": "ms_todo", "maxAttempts": 3, "sources": ["files"]}""")
    check(parsed == Target("todo", ProviderKind.MS_TODO, 3u, listOf("files"))) { "json target $parsed" }
    for ((text, message) in listOf(
        """{"name": "t", "kind": "ms_todo", "colour": "red"}""" to "unknown key `colour` in target; known keys: name, kind",
        """{"name": "", "kind": "ms_todo"}""" to "`name` must not be empty",
        """{"name": "t", "kind": "ms_todo", "max_attempts": 0}""" to "at least 1",
        """{"name": "t", "kind": "fax"}""" to "unknown value `fax`",
    )) {
        try {
            targetFromJson(text)
            error("json target $text accepted")
        } catch (e: TasksyncException.InvalidInput) {
            check(e.message?.contains(message) == true) { "message for $text: ${e.message}" }
        }
    }

    // Cross-source: `todo` mirrors files and notes, `files` only its own source.
    val todo = Target("todo", ProviderKind.MS_TODO, null, listOf("files", "notes"))
    val service = StatusService(store, listOf(good, todo), clock)
    val a = hubId("files", "a")
    val n = hubId("notes", "n")
    check(service.changeStatus(a, Status.PENDING, null).jobs.map { it.target }.sorted() == listOf("files", "todo")) { "files task to both" }
    val fromNotes = service.changeStatus(n, Status.IN_PROGRESS, null)
    check(fromNotes.jobs.map { it.target } == listOf("todo")) { "notes task to todo only: ${fromNotes.jobs}" }
    check(fromNotes.targets.single { it.target == "files" }.skipped?.contains("`notes`") == true) { "skip reason" }
    val files = KtProvider("files", null)
    val mirror = KtProvider("todo", null)
    val worker = Worker(store, listOf(files, mirror), WorkerConfig(), clock)
    check(worker.runOnce().succeeded == 3uL) { "three pushes" }
    check(files.pushes.size == 1 && mirror.pushes.map { it.taskId }.toSet() == setOf(a, n)) { "routed by target" }
    check(mirror.pushes.single { it.taskId == n }.payload.replace(" ", "").contains("\"status\":\"inProgress\"")) { "ms_todo payload" }

}

fun policies() {
    // Backoff and classify.
    check((1u..6u).map { backoffDelayMs(Backoff(), it) } == listOf(1_000uL, 2_000uL, 4_000uL, 8_000uL, 16_000uL, 16_000uL)) { "default schedule" }
    val short = Backoff(baseMs = 100uL, maxAttempts = 3u)
    val timeout = ProviderException.Timeout("p", "slow")
    check(classify(null, 1u, 0, short) == Outcome.Succeeded) { "success" }
    check(classify(timeout, 1u, 1_000, short) == Outcome.RetryAt(1_100)) { "retry at the backoff" }
    check(classify(ProviderException.RateLimited("p", 5_000uL), 1u, 0, short) == Outcome.RetryAt(5_000)) { "Retry-After wins" }
    check(classify(ProviderException.TokenExpired("p"), 1u, 0, short) == Outcome.RefreshToken) { "refresh" }
    val gaveUp = classify(timeout, 3u, 0, short)
    check(gaveUp is Outcome.Dead && gaveUp.reason.contains("gave up after 3 attempts")) { "out of attempts: $gaveUp" }
    check(classify(ProviderException.Rejected("p", 422u, "no"), 1u, 0) is Outcome.Dead) { "rejected" }
    refuses<TasksyncException.InvalidInput>("zero attempts") { classify(timeout, 1u, 0, Backoff(maxAttempts = 0u)) }
    refuses<TasksyncException.InvalidInput>("a base of 2^63 ms") { backoffDelayMs(Backoff(baseMs = 1uL shl 63), 1u) }

    // Breaker: distinct jobs open it, a trial closes it.
    val breaker = Breaker(BreakerConfig(2u, 500uL))
    check(breaker.tryAcquire(0) == null) { "closed" }
    breaker.onFailure(0, "job-1")
    breaker.onFailure(0, "job-1")
    check(breaker.state() == BreakerState.Closed(1u)) { "one job counts once: ${breaker.state()}" }
    breaker.onFailure(10, "job-2")
    check(breaker.state() == BreakerState.Open(510)) { "open: ${breaker.state()}" }
    check(breaker.tryAcquire(100) == 510L) { "wait until 510" }
    check(breaker.tryAcquire(510) == null && breaker.state() == BreakerState.HalfOpen) { "trial" }
    breaker.onSuccess()
    check(breaker.state() == BreakerState.Closed(0u)) { "closed again" }
    refuses<TasksyncException.InvalidInput>("a zero threshold") { Breaker(BreakerConfig(failureThreshold = 0u)) }
    val byDefault = Breaker()
    repeat(5) { byDefault.onFailure(0, "j$it") }
    check(byDefault.state() == BreakerState.Open(30_000)) { "the core's default: ${byDefault.state()}" }

    // Rate limiter: burst, refill, a 429 pause (clamped to a day).
    val limiter = RateLimiter(0, RateLimiterConfig(2.0, 2u))
    check(limiter.tryAcquire(0) == null && limiter.tryAcquire(0) == null) { "burst" }
    check(limiter.tryAcquire(0) == 500L) { "refill in 500 ms" }
    check(limiter.tryAcquire(500) == null) { "refilled" }
    limiter.pause(500, 10_000uL)
    check(limiter.tryAcquire(5_000) == 10_500L) { "paused" }
    limiter.pause(20_000, ULong.MAX_VALUE)
    check(limiter.tryAcquire(20_000) == 20_000L + maxDelayMs().toLong()) { "a huge pause waits a day" }
    refuses<TasksyncException.InvalidInput>("a zero rate") { RateLimiter(0, RateLimiterConfig(perSecond = 0.0)) }
}
