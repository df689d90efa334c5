// A queue store written in Kotlin (`TaskStore` and `JobStore`, `suspend` foreign traits, one
// object passed twice to `HubStore.foreignQueue`): it passes the core's task and job store
// conformance suites (and the Kotlin session store of Sessions.kt the session suite), a broken
// variant fails one with a message, and the status service and the worker run on it.
package tasksync.test

import uniffi.tasksync_ffi.*

open class KtQueueStore : TaskStore, JobStore {
    private val lock = Any()
    val tasks = LinkedHashMap<String, Task>()
    val versions = HashMap<String, ULong>()
    val jobRows = LinkedHashMap<String, QueuedJob>()
    private val seq = HashMap<String, Int>()
    private val latest = sortedMapOf<String, String>() // "task\u001ftarget" -> job id

    override suspend fun snapshot(scope: String) = synchronized(lock) {
        ScopeSnapshot(versions[scope] ?: 0uL, tasks.values.filter { it.scope == scope })
    }

    override suspend fun scopeVersion(scope: String) = synchronized(lock) { versions[scope] ?: 0uL }

    override suspend fun get(id: String) = synchronized(lock) { tasks[id] }

    override suspend fun findIdentities(source: String, externalIds: List<String>) = synchronized(lock) {
        tasks.values.filter { it.source == source && it.externalId in externalIds }
            .map { Identity(it.externalId, it.id, it.scope) }
    }

    override suspend fun apply(changes: ChangeSet): Applied = synchronized(lock) {
        val ids = changes.jobs.map { it.id }
        if (ids.toSet().size != ids.size || ids.any { it in jobRows }) throw TasksyncException.Conflict("job exists")
        applyChangeSet(tasks, versions, changes) { for (job in changes.jobs) enqueue(job.copy()) }
    }

    private fun pair(j: QueuedJob) = "${j.taskId}\u001f${j.target}"

    private fun enqueue(job: QueuedJob) {
        for (other in jobRows.values) {
            if (pair(other) == pair(job) && other.state == JobState.PENDING) {
                other.state = JobState.SUPERSEDED
                other.updatedAt = job.createdAt
            }
        }
        seq[job.id] = seq.size
        jobRows[job.id] = job
        latest[pair(job)] = job.id
    }

    open fun leaseOk(job: QueuedJob, owner: String) = job.state == JobState.RUNNING && job.leaseOwner == owner

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
        for (job in picked) {
            job.state = JobState.RUNNING
            job.attempts += 1u
            job.leaseOwner = owner
            job.leaseUntil = now + leaseMs.toLong()
            job.updatedAt = now
        }
        picked.map { it.copy() }
    }

    override suspend fun finish(owner: String, now: Long, results: List<Finish>): List<Boolean> = synchronized(lock) {
        results.map { r ->
            val id = when (r) {
                is Finish.Succeeded -> r.id
                is Finish.Retry -> r.id
                is Finish.Defer -> r.id
                is Finish.Dead -> r.id
            }
            val job = jobRows[id]
            if (job == null || !leaseOk(job, owner)) return@map false
            job.leaseOwner = null
            job.leaseUntil = null
            job.updatedAt = now
            // Put back behind a newer intent of its pair, the job is superseded instead.
            val newer = jobRows.values.any { pair(it) == pair(job) && it.state == JobState.PENDING }
            val again = if (newer) JobState.SUPERSEDED else JobState.PENDING
            when (r) {
                is Finish.Succeeded -> { job.state = JobState.SUCCEEDED; job.result = r.remote }
                is Finish.Retry -> { job.state = again; job.runAt = r.runAt; job.lastError = r.error }
                is Finish.Defer -> {
                    job.state = again
                    job.runAt = r.runAt
                    job.attempts = if (job.attempts > 0u) job.attempts - 1u else 0u
                }
                is Finish.Dead -> {
                    job.state = JobState.DEAD
                    job.lastError = r.error
                    if (r.revert) revert(job, now)
                }
            }
            true
        }
    }

    private fun revert(job: QueuedJob, now: Long) {
        val task = tasks[job.taskId] ?: return
        if (task.status != job.to) return
        tasks[task.id] = task.copy(status = job.from, version = task.version + 1uL, updatedAt = now)
        versions[task.scope] = (versions[task.scope] ?: 0uL) + 1uL
    }

    override suspend fun job(id: String) = synchronized(lock) { jobRows[id]?.copy() }

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
        rows.take(if (query.limit == 0u) 100 else query.limit.toInt()).map { it.copy() }
    }

    private fun settle(id: String, now: Long, discard: Boolean): QueuedJob = synchronized(lock) {
        val job = jobRows[id] ?: throw TasksyncException.NotFound("no job `$id`")
        if (job.state != JobState.DEAD) throw TasksyncException.InvalidState("job `$id` is not dead")
        val newer = latest[pair(job)] != id ||
            jobRows.values.any { pair(it) == pair(job) && it.state == JobState.PENDING }
        job.updatedAt = now
        when {
            discard -> job.state = JobState.DISCARDED
            newer -> job.state = JobState.SUPERSEDED
            else -> { job.state = JobState.PENDING; job.attempts = 0u; job.runAt = now }
        }
        job.copy()
    }

    override suspend fun requeue(id: String, now: Long) = settle(id, now, false)

    override suspend fun discard(id: String, now: Long) = settle(id, now, true)

    override suspend fun nextDue(): Long? = synchronized(lock) {
        (jobRows.values.filter { it.state == JobState.PENDING }.map { it.runAt } +
            jobRows.values.filter { it.state == JobState.RUNNING }.mapNotNull { it.leaseUntil }).minOrNull()
    }

    override suspend fun syncStatus(taskId: String): List<TargetSyncStatus> = synchronized(lock) {
        latest.entries.filter { it.key.substringBefore('\u001f') == taskId }.map { (key, id) ->
            TargetSyncStatus(key.substringAfter('\u001f'), syncStatusOf(jobRows.getValue(id).state))
        }
    }
}

/** Broken: `finish` ignores who holds the lease. */
class LeaseBlindStore : KtQueueStore() {
    override fun leaseOk(job: QueuedJob, owner: String) = job.state == JobState.RUNNING
}

suspend fun failures(cases: List<String>, run: suspend (String) -> String?): Map<String, String> =
    cases.mapNotNull { name -> run(name)?.let { name to it } }.toMap()

suspend fun jobStore() {
    val queue = { s: KtQueueStore -> HubStore.foreignQueue(s, s) }
    val taskCases = taskStoreConformanceCases()
    val jobCases = jobStoreConformanceCases()
    check(taskCases.size >= 10 && jobCases.size >= 10) { "suites too small" }
    val taskFailures = failures(taskCases) { runTaskStoreConformance(it, queue(KtQueueStore())) }
    check(taskFailures.isEmpty()) { "task suite: $taskFailures" }
    val jobFailures = failures(jobCases) { runJobStoreConformance(it, queue(KtQueueStore())) }
    check(jobFailures.isEmpty()) { "job suite: $jobFailures" }
    val broken = failures(jobCases) { runJobStoreConformance(it, queue(LeaseBlindStore())) }
    check(broken["expired_lease_is_recovered"]?.contains("lost") == true) { "a lease-blind store passed: $broken" }
    val sessionFailures = failures(sessionStoreConformanceCases()) {
        runSessionStoreConformance(it, SessionEngine.foreign(KtSessionStore(), null, null))
    }
    check(sessionFailures.isEmpty()) { "session suite: $sessionFailures" }
    try {
        runJobStoreConformance(jobCases[0], HubStore.foreign(KtStore()))
        error("a store without jobs ran the job suite")
    } catch (e: TasksyncException.InvalidInput) {
    }

    // The queue on the Kotlin store: status change -> job in the Kotlin store -> worker.
    val kt = KtQueueStore()
    val store = queue(kt)
    val provider = KtProvider("files", Listing("files", listOf(DesiredTask("a", "task", "A", null, null, emptyMap(), null)), true))
    val engine = SyncEngine(store)
    engine.execute(engine.previewFrom(provider, "s", defaultPolicy()), true)
    val id = hubId("files", "a")
    val service = StatusService(store, listOf(Target("files", ProviderKind.PROCESS_STEP, null)))
    val job = service.changeStatus(id, Status.PENDING, "kim").jobs.single()
    check(kt.jobRows[job.id]?.state == JobState.PENDING) { "the job is in the Kotlin store" }
    val worker = Worker(store, listOf(provider), WorkerConfig("w1", 30000uL, 64u, 4u, DeadPolicy.KEEP_FLAGGED))
    check(worker.runOnce().succeeded == 1uL) { "delivered" }
    check(kt.jobRows[job.id]?.state == JobState.SUCCEEDED) { "succeeded in the Kotlin store" }
    check(store.syncStatus(id).single().status == SyncStatus.SYNCED) { "synced" }
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
