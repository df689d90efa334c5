// The built-in parts through the generated Kotlin bindings: the folder source (examples/tasks
// as the core's listing of 28 tasks), pulls from it (executed, held with a `pull_held` event
// and executed by hand, a failed listing that writes nothing and is a failed run, the loop
// until a StopSignal with every run recorded as the host's actor), configurations refused
// naming the key, and one built-in provider end to end against the loopback fakes: Microsoft
// To Do listed across pages, a status change pushed through the Worker (method, path, token,
// Idempotency-Key and body as the fake saw them), a 401 renewed by a Kotlin `suspend`
// refresher and by a blocking one, a 404 dead-lettered, and the token nowhere in what was
// shown.
package tasksync.test

import java.io.File
import java.net.HttpURLConnection
import java.net.URI
import kotlinx.coroutines.async
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.delay
import uniffi.tasksync_ffi.*

class KtEvents : EventSink {
    val events = ArrayList<String>()
    override fun emit(eventJson: String) { synchronized(events) { events.add(eventJson) } }
}

suspend fun folderAndPull() {
    val examples = File("examples/tasks").absolutePath
    val report = FolderSource(examples).readReport()
    check(report.problems.isEmpty() && report.listing.complete) { "examples read cleanly: ${report.problems}" }
    check(report.listing.items.size == 28) { "examples hold 28 tasks: ${report.listing.items.size}" }
    val core = Json(report.listingJson).parse().obj()
    check(core["source"] == "files" && core["items"].arr().size == report.listing.items.size) { "core form $core" }
    refuses<TasksyncException.InvalidInput>("missing root") { FolderSource("/nonexistent/tasksync").readReport() }

    val history = History.memory()
    val store = HubStore.memory()
    val engine = SyncEngine(store, null, null, history)
    val executed = Puller(engine, FolderSource(examples).provider(), """{"scope": "s"}""").pull()
    check(executed.outcome == "executed" && executed.executed?.created == report.listing.items.size.toULong()) { "executed $executed" }

    // Another hub: the folder's tasks already belong to scope `s` of the first.
    val events = KtEvents()
    val other = HubStore.memory()
    val otherEngine = SyncEngine(other)
    val holding = Puller(otherEngine, FolderSource(examples).provider(), """{"scope": "t", "rule": {"auto_execute": false}}""", events)
    val held = holding.pull()
    check(held.outcome == "held" && held.reasons == listOf("auto_execute_off")) { "held $held" }
    check(other.snapshot("t").tasks.isEmpty()) { "a held plan writes nothing" }
    check(events.events.any { Json(it).parse().obj()["type"] == "pull_held" }) { "pull_held emitted: ${events.events}" }
    val plan = holding.held() ?: error("held plan kept")
    check(otherEngine.execute(plan, true).created == report.listing.items.size.toULong()) { "executed by hand" }

    val failing = Puller(engine, FolderSource("/nonexistent/tasksync").provider(), """{"scope": "u"}""")
    refuses<TasksyncException.Provider>("failed listing") { failing.pull() }
    check(store.snapshot("u").tasks.isEmpty()) { "a failed listing writes nothing" }
    history.shutdown()
    val failed = history.runs(status = RunStatus.FAILED).runs.single()
    check(failed.kind == RunKind.PREVIEW && failed.scope == "u") { "failed run $failed" }

    pullLoop(examples)

    try {
        Puller(engine, FolderSource(examples).provider(), """{"scope": "s", "every": 5}""")
        error("an unknown key was accepted")
    } catch (e: TasksyncException.InvalidInput) {
        check(e.message!!.contains("every")) { "names the key: ${e.message}" }
    }
    try {
        builtinProvider("""{"kind": "mstodo", "base_url": "http://127.0.0.1:9", "token": "t", "tenant": "x"}""")
        error("an unknown key was accepted")
    } catch (e: TasksyncException.InvalidInput) {
        check(e.message!!.contains("tenant")) { "names the key: ${e.message}" }
    }
}

/** `Puller.run` until a StopSignal, every pull recorded with the host's actor. */
suspend fun pullLoop(examples: String) = coroutineScope {
    val store = HubStore.memory()
    val history = History.memory()
    val puller = Puller(SyncEngine(store, null, null, history), FolderSource(examples).provider(), """{"scope": "s", "interval_ms": 1000}""")
    val stop = StopSignal()
    val context = RunContext(actor = Actor(user = "scheduler"), sourceId = "examples")
    val loop = async { puller.run(stop, context) }
    while (store.snapshot("s").tasks.isEmpty()) delay(10)
    stop.stop()
    val totals = loop.await()
    check(totals.executed == 1uL && totals.failed == 0uL && totals.pulls == totals.executed + totals.unchanged) { "totals $totals" }
    check(store.snapshot("s").tasks.size == 28) { "the loop's pull executed" }
    history.shutdown()
    val runs = history.runs().runs
    check(runs.isNotEmpty() && runs.all { it.context.actor.user == "scheduler" && it.context.sourceId == "examples" }) { "runs as the actor: $runs" }
}

class KtBlockingRefresher(private val secret: String) : BlockingTokenRefresher {
    val calls = ArrayList<String>()
    override fun refresh(provider: String): String { calls.add(provider); return secret }
}

class KtRefresher(private val secret: String) : TokenRefresher {
    val calls = ArrayList<String>()
    override suspend fun refresh(provider: String): String { calls.add(provider); return secret }
}

/** The fakes binary, started with stdin held open; its JSON line. */
class KtFakes {
    private val proc: Process
    val info: Map<String, Any?>

    init {
        val bin = System.getenv("TASKSYNC_FAKES") ?: "target/debug/examples/fakes"
        if (!File(bin).exists()) {
            val build = ProcessBuilder("cargo", "build", "-q", "-p", "sync-providers", "--example", "fakes").inheritIO().start()
            check(build.waitFor() == 0) { "building the fakes failed" }
        }
        proc = ProcessBuilder(bin).redirectError(ProcessBuilder.Redirect.INHERIT).start()
        info = Json(proc.inputStream.bufferedReader().readLine() ?: error("fakes printed nothing")).parse().obj()
    }

    fun close() { proc.outputStream.close(); proc.waitFor() }

    fun control(kind: String, method: String, path: String, body: String? = null): Any? {
        val base = URI(info[kind] as String)
        val conn = URI("${base.scheme}://${base.authority}/_fake/$path").toURL().openConnection() as HttpURLConnection
        conn.requestMethod = method
        if (body != null) {
            conn.doOutput = true
            conn.setRequestProperty("content-type", "application/json")
            conn.outputStream.use { it.write(body.toByteArray()) }
        }
        val text = conn.inputStream.bufferedReader().readText()
        return if (text.isBlank()) null else Json(text).parse()
    }
}

suspend fun builtinMsTodo() {
    val fakes = KtFakes()
    try {
        val token = fakes.info["token"] as String
        val fresh = fakes.info["fresh"] as String
        val config = """{"kind": "mstodo", "base_url": "${fakes.info["mstodo"]}", "token": "$token"}"""
        val refresher = KtRefresher(fresh)
        val provider = builtinProvider(config, refresher)
        check(provider.name() == "mstodo") { "name" }

        val listing = listFrom(provider, "list-1")
        val reads = fakes.control("mstodo", "GET", "seen").arr().size
        check(listing.items.size > 2 && reads > 1) { "paged listing: ${listing.items.size} items in $reads reads" }

        val store = HubStore.memory()
        val history = History.memory()
        val engine = SyncEngine(store, null, null, history)
        engine.execute(engine.preview("s", listing, defaultPolicy()), true)
        val service = StatusService(store, listOf(Target("mstodo", ProviderKind.MS_TODO, null)), null, null, history)
        val tasks = store.snapshot("s").tasks
        val task = tasks.first { it.status == Status.PENDING }
        val other = tasks.first { it.status == Status.IN_PROGRESS }
        val job = service.changeStatus(task.id, Status.IN_PROGRESS, "kim").jobs.single()
        val events = KtEvents()
        val worker = Worker(store, listOf(provider, KtProvider("files", null)), WorkerConfig("w1"), null, events)
        check(worker.runOnce().succeeded == 1uL) { "pushed" }
        val push = fakes.control("mstodo", "GET", "seen").arr().last().obj()
        check(push["method"] == "PATCH" && (push["body"] as String).contains("\"status\":\"inProgress\"")) { "push $push" }
        val pushHeaders = push["headers"].obj()
        check(Regex("^/v1\\.0/me/todo/lists/list-1/tasks/t\\d+$").matches(push["path"] as String)) { "path ${push["path"]}" }
        check(pushHeaders["authorization"] == "Bearer $token" && pushHeaders["idempotency-key"] == job.id) { "headers $pushHeaders" }

        // 401: the Kotlin refresher renews, the job goes through with the fresh token.
        fakes.control("mstodo", "POST", "credential", """{"token": "$fresh"}""")
        service.changeStatus(task.id, Status.COMPLETED, "kim")
        var delivered = false
        repeat(3) { if (!delivered) delivered = worker.runOnce().succeeded == 1uL }
        check(delivered && refresher.calls.isNotEmpty()) { "delivered after renewal: ${refresher.calls}" }
        val renewed = fakes.control("mstodo", "GET", "seen").arr().last().obj()["headers"].obj()
        check(renewed["authorization"] == "Bearer $fresh") { "fresh token used" }
        // A blocking Kotlin refresher renews a listing the same way.
        val blocking = KtBlockingRefresher(fresh)
        check(listFrom(builtinProvider(config, blockingRefresher = blocking), "list-1").items.size == 5 && blocking.calls == listOf("mstodo")) { "blocking refresher ${blocking.calls}" }

        // 404 on a push: dead letter.
        fakes.control("mstodo", "POST", "fault", """{"status": 404, "headers": {}, "body": "{}", "delay_ms": 0}""")
        service.changeStatus(other.id, Status.COMPLETED, "kim")
        check(worker.runOnce().dead == 1uL) { "dead-lettered" }
        val dead = store.deadLetters(10u).single()

        // The token nowhere.
        val shown = ArrayList<String>()
        try { listFrom(builtinProvider(config), "list-1"); error("expired token listed") } catch (e: TasksyncException.Provider) {
            check(e.providerClass == "token_expired") { "class ${e.providerClass}" }
            shown += e.toString(); shown += e.message ?: ""
        }
        history.shutdown()
        shown += history.runs().runs.map { it.toString() }
        shown += history.audit(null, null, null, 100u).entries.map { it.toString() }
        shown += dead.toString(); shown += job.toString(); shown += events.events
        shown += worker.metricsPrometheus(); shown += provider.toString()
        for (s in shown) check(!s.contains(token) && !s.contains(fresh)) { "credential shown: $s" }
    } finally {
        fakes.close()
    }
}
