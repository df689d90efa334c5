// Replays tests/scenarios/diff.json through the generated Kotlin bindings on the JVM, with a
// task store and a provider implemented in Kotlin (`suspend` foreign traits), then drives the
// outbound queue (status change -> worker -> Kotlin provider) and checks error mapping, then
// sessions (Sessions.kt), history (History.kt), dead letters (DeadLetters.kt) and a Kotlin job
// store under the core's conformance suites (JobStore.kt), the PostgreSQL store under the same
// suites and shared by two hub stores (Postgres.kt), then targets and the retry policies
// (Retry.kt), transitions and clocks, the core's operation manifest (Manifest.kt), and the
// folder source, pulls and a built-in provider against the loopback fakes (Pull.kt).
package tasksync.test

import java.io.File
import kotlinx.coroutines.runBlocking
import uniffi.tasksync_ffi.*

@Suppress("UNCHECKED_CAST")
fun Any?.obj() = this as Map<String, Any?>

@Suppress("UNCHECKED_CAST")
fun Any?.arr() = (this as List<Any?>?) ?: emptyList()

class KtStore : TaskStore {
    val tasks = LinkedHashMap<String, Task>()
    val versions = HashMap<String, ULong>()

    override suspend fun snapshot(scope: String) =
        ScopeSnapshot(versions[scope] ?: 0uL, tasks.values.filter { it.scope == scope })

    override suspend fun scopeVersion(scope: String) = versions[scope] ?: 0uL

    override suspend fun get(id: String) = tasks[id]

    override suspend fun findIdentities(source: String, externalIds: List<String>) =
        tasks.values.filter { it.source == source && it.externalId in externalIds }
            .map { Identity(it.externalId, it.id, it.scope) }

    override suspend fun apply(changes: ChangeSet): Applied = applyChangeSet(tasks, versions, changes)
}

/**
 * A change set's guards and task writes on `tasks`/`versions`, all or nothing (checked and
 * applied on a copy, in order); `beforeCommit` runs once every check has passed (a queue store
 * enqueues the set's jobs there). The Kotlin stores of these tests share it.
 */
fun applyChangeSet(
    tasks: MutableMap<String, Task>,
    versions: MutableMap<String, ULong>,
    changes: ChangeSet,
    beforeCommit: () -> Unit = {},
): Applied {
    for (g in changes.guards) {
        if ((versions[g.scope] ?: 0uL) != g.expectedVersion) throw TasksyncException.Conflict("scope ${g.scope} moved")
    }
    val next = LinkedHashMap(tasks)
    val touched = changes.guards.map { it.scope }.toMutableList()
    for (w in changes.tasks) {
        val scope = when (w) {
            is TaskWrite.Insert -> {
                val t = w.task
                if (next.containsKey(t.id) || next.values.any { it.source == t.source && it.externalId == t.externalId }) {
                    throw TasksyncException.Conflict("task ${t.id} exists")
                }
                next[t.id] = t
                t.scope
            }
            is TaskWrite.Update -> {
                if (next[w.task.id]?.version != w.expectedVersion) throw TasksyncException.Conflict("moved")
                next[w.task.id] = w.task
                w.task.scope
            }
            is TaskWrite.Delete -> {
                if (next[w.id]?.version != w.expectedVersion) throw TasksyncException.Conflict("moved")
                next.remove(w.id)
                w.scope
            }
        }
        if (scope !in touched) touched.add(scope)
    }
    beforeCommit()
    tasks.clear()
    tasks.putAll(next)
    return Applied(touched.map { s ->
        val v = (versions[s] ?: 0uL) + 1uL
        versions[s] = v
        ScopeVersion(s, v)
    })
}

class KtProvider(private val name: String, var listing: Listing?) : Provider {
    val pushes = ArrayList<StatusPush>()
    var reject = false

    override fun name() = name

    override suspend fun list(scope: String): Listing =
        listing ?: throw ProviderException.Unavailable(name, 503u, "down")

    override suspend fun push(change: StatusPush): PushReceipt {
        if (reject) throw ProviderException.Rejected(name, 422u, "no")
        pushes.add(change)
        return PushReceipt("{\"ok\":true}")
    }

    override suspend fun refreshToken() {}
}

fun status(s: String) = Status.valueOf(s.uppercase())

fun fields(raw: Any?) = (raw as Map<*, *>?)?.entries?.associate { it.key as String to Json.write(it.value) } ?: emptyMap()

fun content(r: Map<String, Any?>) = TaskContent(
    r["kind"] as String, r["title"] as String, (r["status"] as String?)?.let(::status),
    r["parent"] as String?, fields(r["fields"]),
)

fun listing(r: Map<String, Any?>) = Listing(
    r["source"] as String,
    r["items"].arr().map { it.obj() }.map {
        DesiredTask(
            it["external_id"] as String, it["kind"] as String, it["title"] as String,
            (it["status"] as String?)?.let(::status), it["parent"] as String?, fields(it["fields"]),
            (it["modified_at"] as Long?),
        )
    },
    r["complete"] as Boolean,
)

fun policy(r: Map<String, Any?>): Policy {
    var p = defaultPolicy()
    for ((k, v) in r) {
        p = when (k) {
            "writable" -> p.copy(writable = v?.arr()?.map { status(it as String) })
            "protected" -> p.copy(protected = v.arr().map { status(it as String) })
            "overwrite" -> p.copy(overwrite = v as Boolean)
            "force_deletes" -> p.copy(forceDeletes = v as Boolean)
            "strategy" -> p.copy(strategy = ConflictStrategy.valueOf((v as String).uppercase()))
            else -> error("unknown policy key $k")
        }
    }
    return p
}

fun code(reason: SkipReason): String = when (reason) {
    is SkipReason.NotWritable -> "not_writable"
    is SkipReason.Protected -> "protected"
    is SkipReason.DuplicateInListing -> "duplicate_in_listing"
    is SkipReason.OwnedByOtherScope -> "owned_by_other_scope"
    is SkipReason.IncompleteListing -> "incomplete_listing"
    is SkipReason.MassDeletion -> "mass_deletion"
    is SkipReason.HeldByMassDeletion -> "held_by_mass_deletion"
}

fun check(ok: Boolean, what: () -> String) {
    if (!ok) throw AssertionError(what())
}

suspend fun replay(case: Map<String, Any?>) {
    val name = case["name"] as String
    val src = case["listing"].obj()
    val store = KtStore()
    for (s in case["stored"].arr().map { it.obj() }) {
        val source = (s["source"] as String?) ?: (src["source"] as String)
        val own = content(s)
        val scope = (s["scope"] as String?) ?: "s"
        store.tasks[hubId(source, s["external_id"] as String)] = Task(
            hubId(source, s["external_id"] as String), source, s["external_id"] as String, scope,
            own.kind, own.title, status(s["hub_status"] as String), own.parent, own.fields,
            s["base"]?.let { content(it.obj()) } ?: own, 1uL, 100L, 100L,
        )
        store.versions[scope] = (store.versions[scope] ?: 0uL) + 1uL
    }
    val provider = KtProvider(src["source"] as String, listing(src))
    val engine = SyncEngine(HubStore.foreign(store))
    val rawPolicy = (case["policy"] as Map<String, Any?>?) ?: emptyMap()
    val plan = engine.previewFrom(provider, "s", policy(rawPolicy))
    val e = case["expect"].obj()

    check(plan.creates().map { it.externalId }.sorted() == e["creates"].arr().map { it as String }.sorted()) { "$name: creates" }
    val updates = plan.updates().associate { u -> u.externalId to u.changes.map { it.field } }
    check(updates == ((e["updates"] as Map<*, *>?) ?: emptyMap<String, Any>())) { "$name: updates $updates" }
    check(plan.deletes().map { it.externalId }.sorted() == e["deletes"].arr()) { "$name: deletes" }
    check(plan.rebases().map { it.after.externalId } == e["rebases"].arr()) { "$name: rebases" }
    val skipped = plan.skipped().associate { it.externalId to code(it.reason) }
    check(skipped == ((e["skipped"] as Map<*, *>?) ?: emptyMap<String, Any>())) { "$name: skipped $skipped" }
    val conflicts = plan.conflicts().groupBy({ it.externalId }, { "${it.field}:${it.resolution.name.lowercase()}" })
    check(conflicts == ((e["conflicts"] as Map<*, *>?) ?: emptyMap<String, Any>())) { "$name: conflicts $conflicts" }
    val counts = plan.counts()
    val byName = mapOf(
        "creates" to counts.creates, "updates" to counts.updates, "deletes" to counts.deletes,
        "unchanged" to counts.unchanged, "skipped" to counts.skipped, "conflicts" to counts.conflicts,
    )
    for ((k, want) in (e["counts"] as Map<String, Any?>?) ?: emptyMap()) {
        check(byName[k] == (want as Long).toULong()) { "$name: counts.$k" }
    }

    engine.execute(plan, true)
    val again = engine.previewFrom(provider, "s", policy(rawPolicy + ("overwrite" to false)))
    check(again.isEmpty()) { "$name: second preview not empty" }
    check(again.conflicts().size.toLong() == ((e["after_execute_conflicts"] as Long?) ?: 0L)) { name }
}

suspend fun queue() {
    val store = HubStore.memory()
    val provider = KtProvider("files", Listing("files", listOf(DesiredTask("a", "task", "A", null, null, emptyMap(), null)), true))
    val engine = SyncEngine(store)
    engine.execute(engine.previewFrom(provider, "s", defaultPolicy()), true)
    val id = hubId("files", "a")
    val service = StatusService(store, listOf(Target("files", ProviderKind.PROCESS_STEP, null)))
    val report = service.changeStatus(id, Status.PENDING, "kim")
    check(report.jobs.size == 1 && report.jobs[0].state == JobState.PENDING) { "one pending job" }
    val worker = Worker(store, listOf(provider), WorkerConfig("w1", 30000uL, 64u, 4u, DeadPolicy.KEEP_FLAGGED))
    val tick = worker.runOnce()
    check(tick.succeeded == 1uL) { "tick $tick" }
    check(provider.pushes.single().status == Status.PENDING) { "pushed" }
    check(store.syncStatus(id).single().status == SyncStatus.SYNCED) { "synced" }

    provider.reject = true
    service.changeStatus(id, Status.IN_PROGRESS, null)
    check(worker.runOnce().dead == 1uL) { "rejected job dead" }
    val dead = store.deadLetters(0u).single()
    check(store.requeue(dead.id, null).state == JobState.PENDING) { "requeued" }
    provider.reject = false
    check(worker.runOnce().succeeded == 1uL) { "delivered after requeue" }

    // Errors: one exception class per kind.
    val plan = engine.previewFrom(provider, "s", defaultPolicy())
    try {
        engine.execute(plan, false)
        error("unconfirmed execute went through")
    } catch (e: TasksyncException.NotConfirmed) {
    }
    try {
        StatusService(HubStore.foreign(KtStore()), emptyList())
        error("a host store was accepted for the queue")
    } catch (e: TasksyncException.InvalidInput) {
    }
}

fun main(args: Array<String>) = runBlocking {
    val cases = Json(File(args[0]).readText()).parse().obj()["cases"].arr().map { it.obj() }
    check(cases.size >= 15) { "scenario file too small" }
    for (c in cases) replay(c)
    println("kotlin: ${cases.size} shared scenarios passed")
    queue()
    println("kotlin: queue and errors passed")
    sessions()
    println("kotlin: sessions passed")
    history()
    println("kotlin: history passed")
    deadLetters()
    println("kotlin: dead letters and a host history store passed")
    jobStore()
    println("kotlin: a Kotlin job store passed the task and job conformance suites and ran the queue")
    postgres()
    println("kotlin: the PostgreSQL store passed the task, job and session suites and shared its gates")
    targets()
    policies()
    println("kotlin: targets (checked by the core, cross-source), taskFromDesired and the retry policies passed")
    transitionsAndClocks()
    manifestCoverage()
    println("kotlin: transition rules, status mappings, the core's clocks and every operation of the core's manifest passed")
    errors()
    println("kotlin: a panic and provider failures arrived as the core's errors")
    folderAndPull()
    println("kotlin: the folder source (28 tasks) and pulls (executed, held, failed listing, the loop as the host's actor) passed")
    builtinMsTodo()
    println("kotlin: a built-in provider (Microsoft To Do fake) listed, pushed, renewed (suspend and blocking refreshers), dead-lettered, no token shown")
}
