// The PostgreSQL store on the JVM, on the machine's server (DATABASE_URL, default
// postgres://postgres@127.0.0.1:5432/postgres): the core's task, job and session suites on
// `HubStore.postgres` / `SessionEngine.postgres` (each case on a fresh database), and two hub
// stores on one database (two pools, as two processes would have) sharing the jobs and the
// provider gates: a 429 seen by one worker pauses the provider for the other. Every database
// is made here (random name, with `psql`) and dropped at the end.
package tasksync.test

import java.net.URI
import java.security.SecureRandom
import uniffi.tasksync_ffi.*

val serverUrl: String = System.getenv("DATABASE_URL") ?: "postgres://postgres@127.0.0.1:5432/postgres"

fun psql(sql: String) {
    val process = ProcessBuilder("psql", serverUrl, "-v", "ON_ERROR_STOP=1", "-q", "-c", sql)
        .redirectErrorStream(true)
        .start()
    val out = process.inputStream.bufferedReader().readText()
    check(process.waitFor() == 0) { "psql failed: $out" }
}

/** Fresh databases on the test server, every one dropped by `close`. */
class Databases : AutoCloseable {
    private val names = ArrayList<String>()
    private val random = SecureRandom()

    fun new(): String {
        val name = "tasksync_kt_" + (1..12).map { "0123456789abcdef"[random.nextInt(16)] }.joinToString("")
        psql("CREATE DATABASE \"$name\"")
        names.add(name)
        val server = URI(serverUrl)
        return URI(server.scheme, server.userInfo, server.host, server.port, "/$name", server.query, null).toString()
    }

    /** Drops every database, each even if dropping another failed (the first failure is thrown). */
    override fun close() {
        val failures = names.mapNotNull { name ->
            runCatching { psql("DROP DATABASE IF EXISTS \"$name\" WITH (FORCE)") }.exceptionOrNull()
        }
        names.clear()
        failures.firstOrNull()?.let { throw it }
    }
}

/** Answers every push with a 429 asking to wait a minute. */
class LimitedProvider(private val name: String) : Provider {
    var calls = 0

    override fun name() = name

    override suspend fun list(scope: String): Listing = Listing(name, emptyList(), true)

    override suspend fun push(change: StatusPush): PushReceipt {
        calls += 1
        throw ProviderException.RateLimited(name, 60_000uL)
    }

    override suspend fun refreshToken() {}
}

suspend fun postgres() {
    Databases().use { dbs ->
        // Each case's store is closed after it (its connections with it), not left to the GC.
        val taskFailures = failures(taskStoreConformanceCases()) { case ->
            HubStore.postgres(dbs.new(), 2u).use { runTaskStoreConformance(case, it) }
        }
        check(taskFailures.isEmpty()) { "task suite on PostgreSQL: $taskFailures" }
        val jobFailures = failures(jobStoreConformanceCases()) { case ->
            HubStore.postgres(dbs.new(), 2u).use { runJobStoreConformance(case, it) }
        }
        check(jobFailures.isEmpty()) { "job suite on PostgreSQL: $jobFailures" }
        val sessionFailures = failures(sessionStoreConformanceCases()) { case ->
            SessionEngine.postgres(dbs.new(), 2u, null, null, null).use { runSessionStoreConformance(case, it) }
        }
        check(sessionFailures.isEmpty()) { "session suite on PostgreSQL: $sessionFailures" }

        // Two hub stores on one database: the tasks, the jobs and the provider gates are shared.
        val url = dbs.new()
        val one = HubStore.postgres(url)
        val other = HubStore.postgres(url)
        val items = (0..2).map { DesiredTask("e$it", "task", "T$it", null, null, emptyMap(), null) }
        val engine = SyncEngine(one)
        engine.execute(engine.previewFrom(KtProvider("files", Listing("files", items, true)), "s", defaultPolicy()), true)
        check(other.snapshot("s").tasks.size == 3) { "the other store sees the tasks" }
        val clock = ManualClock(1_000)
        val service = StatusService(one, listOf(Target("files", ProviderKind.PROCESS_STEP, null)), clock)
        service.changeStatus(hubId("files", "e0"), Status.PENDING, "kim")
        val limited = LimitedProvider("files")
        val tickA = Worker(one, listOf(limited), WorkerConfig(id = "a", batch = 1u), clock).runOnce()
        check(tickA.retried == 1uL && limited.calls == 1) { "the 429 was seen: $tickA" }
        val second = hubId("files", "e1")
        service.changeStatus(second, Status.PENDING, "kim")
        val counting = KtProvider("files", null)
        val workerB = Worker(other, listOf(counting), WorkerConfig(id = "b", batch = 1u), clock)
        val tickB = workerB.runOnce()
        check(counting.pushes.isEmpty() && tickB.succeeded == 0uL) { "the provider was paused for the other worker: $tickB" }
        val job = other.jobs(JobQuery(taskId = second)).single()
        check(job.state == JobState.PENDING && job.attempts == 0u) { "deferred, not attempted: $job" }
        one.close()
        other.close()
    }
}
