// Sessions through the generated Kotlin bindings: a Kotlin session store (`suspend` foreign
// trait, compare-and-swap), a Kotlin clock moved by hand (exact time accounting), a Kotlin event
// sink, the state machine's errors, and the SQLite store.
package tasksync.test

import java.nio.file.Files
import uniffi.tasksync_ffi.*

class ManualClock(var now: Long) : Clock {
    override fun nowMs() = now
}

class KtSink : EventSink {
    val events = ArrayList<String>()
    override fun emit(eventJson: String) {
        events.add(eventJson)
    }
}

class KtSessionStore : SessionStore {
    val sessions = HashMap<String, Session>()
    var updates = 0

    override suspend fun get(id: String) = sessions[id]

    override suspend fun insert(session: Session) {
        if (sessions.containsKey(session.id)) throw TasksyncException.Conflict("session ${session.id} exists")
        sessions[session.id] = session
    }

    override suspend fun update(session: Session, expectedVersion: ULong) {
        if (sessions[session.id]?.version != expectedVersion) throw TasksyncException.Conflict("session ${session.id} moved")
        sessions[session.id] = session
        updates++
    }

    override suspend fun delete(id: String, expectedVersion: ULong) {
        if (sessions[id]?.version != expectedVersion) throw TasksyncException.Conflict("session $id moved")
        sessions.remove(id)
    }
}

val CYCLES = listOf(Cycle("a", "Alpha"), Cycle("b", "Beta"), Cycle("c", "Gamma"))

fun times(s: SessionState) = s.cycles.map { it.elapsedMs.toLong() }

inline fun <reified E : Throwable> refuses(what: String, block: () -> Unit) {
    try {
        block()
    } catch (e: Throwable) {
        check(e is E) { "$what: expected ${E::class.simpleName}, got $e" }
        return
    }
    throw AssertionError("$what went through")
}

suspend fun wholeSession(label: String, make: (Clock, EventSink) -> SessionEngine) {
    val clock = ManualClock(1_000)
    val sink = KtSink()
    val engine = make(clock, sink)
    val created = engine.create("s1", CYCLES)
    check(created.status == SessionStatus.CREATED && created.version == 1uL) { "$label: created" }
    clock.now = 2_000
    engine.start("s1")
    clock.now = 2_500
    check(engine.switch("s1").current == 1uL) { "$label: switched to b" }
    clock.now = 3_200
    check(engine.switch("s1", "a").current == 0uL) { "$label: back to a" }
    clock.now = 3_300
    engine.pause("s1")
    clock.now = 4_300
    val paused = engine.state("s1")
    check(times(paused) == listOf(600L, 700L, 0L)) { "$label: paused times ${times(paused)}" }
    check(paused.runningMs == 1_300uL && paused.pausedMs == 1_000uL && paused.elapsedMs == 2_300uL) { "$label: $paused" }
    refuses<TasksyncException.InvalidState>("$label: pause while paused") { engine.pause("s1") }
    clock.now = 5_000
    engine.resume("s1")
    clock.now = 5_400
    check(engine.complete("s1").completedAt == 5_400L) { "$label: completed" }
    clock.now = 9_000
    val done = engine.state("s1")
    check(times(done) == listOf(1_000L, 700L, 0L)) { "$label: final times ${times(done)}" }
    check(done.runningMs == 1_700uL && done.pausedMs == 1_700uL && done.switchCount == 2uL) { "$label: $done" }
    check(engine.delete("s1").version == 7uL) { "$label: deleted at version 7" }
    refuses<TasksyncException.NotFound>("$label: state after delete") { engine.state("s1") }
    val ops = sink.events.map { Json(it).parse().obj()["operation"] }
    check(ops == listOf("create", "start", "switch", "switch", "pause", "resume", "complete", "delete")) { "$label: events $ops" }
}

suspend fun sessions() {
    wholeSession("memory") { c, e -> SessionEngine.memory(c, e) }
    val store = KtSessionStore()
    wholeSession("kotlin store") { c, e -> SessionEngine.foreign(store, c, e) }
    check(store.updates == 6 && store.sessions.isEmpty()) { "kotlin store: ${store.updates} updates" }
    val dir = Files.createTempDirectory("tasksync-ffi")
    try {
        wholeSession("sqlite") { c, e -> SessionEngine.sqlite(dir.resolve("hub.db").toString(), c, e) }
    } finally {
        dir.toFile().deleteRecursively()
    }
    val engine = SessionEngine.memory(ManualClock(0))
    refuses<TasksyncException.InvalidInput>("no cycles") { engine.create("x", emptyList()) }
    check(serverTime(ManualClock(1_234)).nowMs == 1_234L) { "server time" }
    badInput()
}

/** A Kotlin clock that throws: a typed error of the operation, never a panic. */
class BrokenClock : Clock {
    override fun nowMs(): Long = throw IllegalStateException("the clock is broken")
}

suspend fun badInput() {
    val store = KtSessionStore()
    val engine = SessionEngine.foreign(store, ManualClock(0))
    val huge = "s".repeat(10 * 1024 * 1024)
    refuses<TasksyncException.InvalidInput>("a 10 MB session id") { engine.create(huge, CYCLES) }
    check(store.sessions.isEmpty()) { "a refused session was stored" }
    val many = (0..1000).map { Cycle(it.toString(), "c") }
    refuses<TasksyncException.InvalidInput>("1001 cycles") { engine.create("s", many) }
    val raised = SessionEngine.foreign(store, ManualClock(0), null, defaultLimits().copy(maxCycles = 2_000uL))
    check(raised.create("s", many).cycles.size == 1001) { "raised cycle limit" }
    corruptSessions()
    val broken = SessionEngine.foreign(store, BrokenClock())
    refuses<TasksyncException.Store>("a throwing clock") { broken.create("t", CYCLES) }
    check(!store.sessions.containsKey("t")) { "a session was stored without a clock" }
    refuses<TasksyncException.Store>("server time of a throwing clock") { serverTime(BrokenClock()) }
}

/** A session store whose rows are documents the host parses; a row it cannot read throws. */
class KtDocumentStore(val row: Session?, val unreadable: String? = null) : SessionStore {
    override suspend fun get(id: String): Session? {
        if (unreadable != null) throw IllegalArgumentException(unreadable)
        return row
    }
    override suspend fun insert(session: Session) = throw AssertionError("a corrupt session is never written")
    override suspend fun update(session: Session, expectedVersion: ULong) = throw AssertionError("a corrupt session is never written")
    override suspend fun delete(id: String, expectedVersion: ULong) = throw AssertionError("a corrupt session is never deleted")
}

/**
 * Corrupt sessions from a Kotlin store: each is refused by the core's consistency check with
 * `TasksyncException.Store` before any operation uses it (never a panic, nothing written); a
 * row the host cannot read (an unknown key in its document) is a typed error too.
 */
suspend fun corruptSessions() {
    val clock = ManualClock(1_000)
    val source = SessionEngine.memory(clock)
    source.create("s", CYCLES)
    clock.now = 1_500
    source.start("s")
    clock.now = 2_000
    val running = source.switch("s")
    val max = ULong.MAX_VALUE
    val corruptions = mapOf(
        "current out of range" to running.copy(current = 5_000uL),
        "current at the end of u64" to running.copy(current = max),
        "overflowing times" to running.copy(cycleMs = listOf(max, max, max)),
        "too few cycle times" to running.copy(cycleMs = listOf(0uL)),
        "no cycles" to running.copy(cycles = emptyList(), cycleMs = emptyList()),
        "started after last seen" to running.copy(startedAt = 1L shl 62),
        "running without a segment" to running.copy(segmentStartedAt = null),
        "version at its end" to running.copy(version = max),
    )
    for ((case, corrupt) in corruptions) {
        val engine = SessionEngine.foreign(KtDocumentStore(corrupt), ManualClock(3_000))
        for ((op, call) in listOf<Pair<String, suspend () -> Any>>(
            "switch" to { engine.switch("s") }, "pause" to { engine.pause("s") },
            "complete" to { engine.complete("s") }, "state" to { engine.state("s") },
            "get" to { engine.get("s") }, "delete" to { engine.delete("s") },
        )) {
            try {
                call()
                error("$case: $op went through")
            } catch (e: TasksyncException.Store) {
                check(e.message?.contains("inconsistent session") == true) { "$case: $op: ${e.message}" }
            }
        }
    }
    val unreadable = SessionEngine.foreign(KtDocumentStore(null, "unknown key `colour` in session"), ManualClock(3_000))
    try {
        unreadable.state("s")
        error("an unreadable row went through")
    } catch (e: TasksyncException) {
        check(e.message?.contains("unknown key `colour`") == true) { "the host's reason: ${e.message}" }
    }
}
