// Errors the same in every binding, on the JVM: a caught Rust panic is the core's internal
// error (TasksyncException.Internal), and a provider failure keeps the core's structured parts
// (class, HTTP status, retry delay) as fields of TasksyncException.Provider.
package tasksync.test

import uniffi.tasksync_ffi.*

/** A provider whose list throws the given ProviderException. */
class FailingProvider(private val raised: ProviderException) : Provider {
    override fun name() = "mstodo"
    override suspend fun list(scope: String): Listing = throw raised
    override suspend fun push(change: StatusPush): PushReceipt = throw raised
    override suspend fun refreshToken() {}
}

suspend fun errors() {
    for (inFuture in listOf(false, true)) {
        try {
            panicForTests(inFuture)
            error("a panic went through")
        } catch (e: TasksyncException.Internal) {
            check(e.detail.startsWith("internal error (a bug in tasksync): Rust panic: ")) { e.detail }
        }
    }

    val engine = SyncEngine(HubStore.memory())
    val cases = listOf(
        Triple(ProviderException.Rejected("mstodo", 422u, "no"), "rejected", Pair<UShort?, ULong?>(422u, null)),
        Triple(ProviderException.RateLimited("mstodo", 2000uL), "rate_limited", Pair<UShort?, ULong?>(null, 2000uL)),
        Triple(ProviderException.Unavailable("mstodo", 0u, "down"), "unavailable", Pair<UShort?, ULong?>(null, null)),
        Triple(ProviderException.TokenExpired("mstodo"), "token_expired", Pair<UShort?, ULong?>(null, null)),
    )
    for ((raised, cls, expected) in cases) {
        val provider = FailingProvider(raised)
        for (path in listOf("preview", "list")) {
            try {
                if (path == "preview") engine.previewFrom(provider, "s", defaultPolicy()) else listFrom(provider, "s")
                error("$cls went through $path")
            } catch (e: TasksyncException.Provider) {
                check(e.provider == "mstodo" && e.providerClass == cls) { "$path: $e" }
                check(e.httpStatus == expected.first && e.retryAfterMs == expected.second) {
                    "$path $cls: ${e.httpStatus} ${e.retryAfterMs}"
                }
            }
        }
    }
}
