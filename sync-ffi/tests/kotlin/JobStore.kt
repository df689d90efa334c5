// A queue store written in Kotlin (`TaskStore` and `JobStore`, `suspend` foreign traits, one
// object passed twice to `HubStore.foreignQueue`), storage only: `apply` writes a change set's
// job writes with its tasks (an insert's id must be free, an update's expected version must
// hold, at most one pending job per (task, target) after the set), `claim` stores each job as
// the binding's `claimedJob` makes it, and every queue rule is the core's. It passes the core's
// task and job store conformance suites (fencing included; the Kotlin session store of
// Sessions.kt the session suite), broken variants fail them with a message, and the status
// service, the worker and dead letters run on it.
package tasksync.test

import uniffi.tasksync_ffi.*

open class KtQueueStore : TaskStore, JobStore {
    private val lock = Any()
    val tasks = LinkedHashMap<String, Task>()
    val versions = HashMap<String, ULong>()
    val jobRows = LinkedHashMap<String, QueuedJob>()
    private val seq = HashMap<String, Int>()

    override suspend fun snapshot(scope: String) = synchronized(lock) {
        ScopeSnapshot(versions[scope] ?: 0uL, tasks.values.filter { it.scope == scope })
    }

    override suspend fun scopeVersion(scope: String) = synchronized(lock) { versions[scope] ?: 0uL }

    override suspend fun get(id: String) = synchronized(lock) { tasks[id] }

    override suspend fun findIdentities(source: String, externalIds: List<String>) = synchronized(lock) {
        tasks.values.filter { it.source == source && it.externalId in externalIds }
            .map { Identity(it.externalId, it.id, it.scope) }
    }

    /** Whether an update may replace `stored` (the version check; broken variants skip it). */
    open fun versionOk(stored: QueuedJob?, expected: ULong) = stored?.version == expected

    /** Whether the rows keep at most one pending job per (task, target). */
    open fun onePendingPerPair(rows: Collection<QueuedJob>): Boolean {
        val pairs = rows.filter { it.state == JobState.PENDING }.map { pair(it) }
        return pairs.size == pairs.toSet().size
    }

    override suspend fun apply(changes: ChangeSet): Applied = synchronized(lock) {
        // The job writes on a copy, in order; committed with the tasks, or nothing is.
        val rows = LinkedHashMap(jobRows)
        for (write in changes.jobs) {
            when (write) {
                is JobWrite.Insert -> {
                    if (rows.containsKey(write.job.id)) throw TasksyncException.Conflict("job ${write.job.id} exists")
                    rows[write.job.id] = write.job
                }
                is JobWrite.Update -> {
                    if (!versionOk(rows[write.job.id], write.expectedVersion)) throw TasksyncException.Conflict("job ${write.job.id} moved")
                    rows[write.job.id] = write.job
                }
            }
        }
        if (!onePendingPerPair(rows.values)) throw TasksyncException.Conflict("two pending jobs for one task and target")
        applyChangeSet(tasks, versions, changes) {
            for (id in rows.keys) if (id !in seq) seq[id] = seq.size
            jobRows.clear()
            jobRows.putAll(rows)
        }
    }

    private fun pair(j: QueuedJob) = "${j.taskId}\u001f${j.target}"

    override suspend fun claim(owner: String, now: Long, leaseMs: ULong, limit: UInt): List<QueuedJob> = synchronized(lock) {
        val running = jobRows.values.filter { it.state == JobState.RUNNING }
        val picked = running.filter { (it.leaseUntil ?: 0L) <= now }
            .sortedWith(compareBy({ it.leaseUntil ?: 0L }, { it.id }))
            .take(limit.toInt()).toMutableList()
        val busy = running.map { pair(it) }.toSet()
        val due = jobRows.values.filter { it.state == JobState.PENDING }
            .sortedWith(compareBy({ it.runAt }, { seq[it.id] }))
        for (job in due) {
            if (picked.size >= limit.toInt() || job.runAt > now) break
            if (pair(job) !in busy) picked.add(job)
        }
        picked.map { job ->
            val claimed = claimedJob(job, owner, now, leaseMs)
            jobRows[job.id] = claimed
            claimed
        }
    }

    override suspend fun job(id: String) = synchronized(lock) { jobRows[id] }

    override suspend fun jobs(query: JobQuery): List<QueuedJob> = synchronized(lock) {
        var rows = jobRows.values.sortedWith(compareBy({ it.createdAt }, { it.id }))
        val after = query.after?.let { jobRows[it] }
        if (after != null) {
            rows = rows.filter { it.createdAt > after.createdAt || (it.createdAt == after.createdAt && it.id > after.id) }
        }
        rows = rows.filter {
            (query.state == null || it.state == query.state) &&
                (query.target == null || it.target == query.target) &&
                (query.taskId == null || it.taskId == query.taskId)
        }
        rows.take(if (query.limit == 0u) 100 else query.limit.toInt())
    }

    override suspend fun nextDue(): Long? = synchronized(lock) {
        (jobRows.values.filter { it.state == JobState.PENDING }.map { it.runAt } +
            jobRows.values.filter { it.state == JobState.RUNNING }.mapNotNull { it.leaseUntil }).minOrNull()
    }
}

/** Broken: a job update skips the version check (a late writer overwrites a newer claim). */
class VersionBlindStore : KtQueueStore() {
    override fun versionOk(stored: QueuedJob?, expected: ULong) = stored != null
}

/** Broken: a set may leave two pending jobs for one (task, target). */
class PairBlindStore : KtQueueStore() {
    override fun onePendingPerPair(rows: Collection<QueuedJob>) = true
}

suspend fun failures(cases: List<String>, run: suspend (String) -> String?): Map<String, String> =
    cases.mapNotNull { name -> run(name)?.let { name to it } }.toMap()

suspend fun jobStore() {
    val queue = { s: KtQueueStore -> HubStore.foreignQueue(s, s) }
    val taskCases = taskStoreConformanceCases()
    val jobCases = jobStoreConformanceCases()
    check(taskCases.size >= 10 && jobCases.size >= 10) { "suites too small" }
    check("job_writes_are_checked" in jobCases && "a_late_result_of_a_lost_lease_changes_nothing" in jobCases) { "fencing cases: $jobCases" }
    val taskFailures = failures(taskCases) { runTaskStoreConformance(it, queue(KtQueueStore())) }
    check(taskFailures.isEmpty()) { "task suite: $taskFailures" }
    val jobFailures = failures(jobCases) { runJobStoreConformance(it, queue(KtQueueStore())) }
    check(jobFailures.isEmpty()) { "job suite: $jobFailures" }
    val versionBlind = failures(jobCases) { runJobStoreConformance(it, queue(VersionBlindStore())) }
    check(versionBlind["job_writes_are_checked"]?.contains("stale version was accepted") == true) { "a version-blind store passed: $versionBlind" }
    val pairBlind = failures(jobCases) { runJobStoreConformance(it, queue(PairBlindStore())) }
    check(pairBlind["job_writes_are_checked"]?.contains("second pending job") == true) { "a pair-blind store passed: $pairBlind" }
    val sessionFailures = failures(sessionStoreConformanceCases()) {
        runSessionStoreConformance(it, SessionEngine.foreign(KtSessionStore(), null, null))
    }
    check(sessionFailures.isEmpty()) { "session suite: $sessionFailures" }
    try {
        runJobStoreConformance(jobCases[0], HubStore.foreign(KtStore()))
        error("a store without jobs ran the job suite")
    } catch (e: TasksyncException.InvalidInput) {
    }

    // claimedJob: the core's claim write.
    val kt = KtQueueStore()
    val store = queue(kt)
    val provider = KtProvider("files", Listing("files", listOf(DesiredTask("a", "task", "A", null, null, emptyMap(), null)), true))
    val engine = SyncEngine(store)
    engine.execute(engine.previewFrom(provider, "s", defaultPolicy()), true)
    val id = hubId("files", "a")
    val service = StatusService(store, listOf(Target("files", ProviderKind.PROCESS_STEP, null)))
    val job = service.changeStatus(id, Status.PENDING, "kim").jobs.single()
    check(job.version == 1uL && job.lease == 0uL && job.taskVersion == 2uL) { "enqueued $job" }
    val claimed = claimedJob(job, "w9", 1_000, 5_000uL)
    check(claimed.state == JobState.RUNNING && claimed.leaseOwner == "w9" && claimed.leaseUntil == 6_000L) { "claimed $claimed" }
    check(claimed.attempts == 1u && claimed.lease == 1uL && claimed.version == 2uL) { "claim counters $claimed" }
    check(kt.jobRows[job.id]?.state == JobState.PENDING) { "claimedJob writes nothing" }

    // The queue on the Kotlin store: status change -> job in the Kotlin store -> worker.
    val worker = Worker(store, listOf(provider), WorkerConfig("w1", 30000uL, 64u, 4u, DeadPolicy.KEEP_FLAGGED))
    check(worker.runOnce().succeeded == 1uL) { "delivered" }
    val done = kt.jobRows.getValue(job.id)
    check(done.state == JobState.SUCCEEDED && done.version == 3uL && done.lease == 1uL) { "succeeded in the Kotlin store: $done" }
    check(store.syncStatus(id).single().status == SyncStatus.SYNCED) { "synced" }
    provider.reject = true
    service.changeStatus(id, Status.IN_PROGRESS, null)
    check(worker.runOnce().dead == 1uL) { "rejected" }
    check(store.syncStatus(id).single().status == SyncStatus.FAILED) { "failed" }
    val dead = store.deadLetters(0u).single()
    check(store.requeue(dead.id, null).state == JobState.PENDING) { "requeued by the core" }
    provider.reject = false
    check(worker.runOnce().succeeded == 1uL && store.deadLetters(0u).isEmpty()) { "delivered after requeue" }
    try {
        store.requeue("no-such-job", null)
        error("requeue of an unknown job")
    } catch (e: TasksyncException.NotFound) {
    }
    try {
        store.requeue(job.id, null)
        error("requeue of a job that is not dead")
    } catch (e: TasksyncException.InvalidState) {
        check(e.message?.contains("succeeded") == true) { "state named: ${e.message}" }
    }
}
