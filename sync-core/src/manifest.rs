//! The manifest of the core's public operations, by module: what every binding must offer.
//!
//! Each binding's test suite enumerates [`OPERATIONS`] and maps every entry to the binding's
//! own name for it (a class, function or method, in the binding's naming style); an entry the
//! binding lacks fails that suite, so a capability missing from one language is a red test.
//! Add an entry here when the core gains an operation a host should be able to call.
//!
//! Invariants: `(module, name)` pairs are unique; `module` is the core module that owns the
//! operation (its file in each binding has the same name); `name` is snake_case, `Type` or
//! `Type.method` as in Rust. Two modules name the built-in crates instead: `providers`
//! (`sync-providers`: the HTTP adapters from a configuration) and `fs` (`sync-fs`: the
//! Markdown folder source); each binding mirrors them in files of those names.

/// One public operation of the core.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Operation {
    /// The core module that owns it (`retry`, `history`, ...).
    pub module: &'static str,
    /// The operation: a type, `Type.method`, or a function, named as in Rust.
    pub name: &'static str,
}

const fn op(module: &'static str, name: &'static str) -> Operation {
    Operation { module, name }
}

/// Every public operation a binding must offer.
pub const OPERATIONS: &[Operation] = &[
    // model: records and identities
    op("model", "Task.from_desired"),
    op("model", "hub_id"),
    op("model", "Status.is_terminal"),
    // store: where tasks live
    op("store", "MemoryStore"),
    op("store", "TaskStore"),
    // diff and engine: preview, confirm, execute
    op("diff", "Policy"),
    op("diff", "Plan"),
    op("engine", "SyncEngine.preview"),
    op("engine", "SyncEngine.execute"),
    op("engine", "SyncEngine.verify"),
    // transition: the status state machine and provider mappings
    op("transition", "TransitionRules"),
    op("transition", "StatusMapping"),
    // retry: the outbound queue
    op("retry", "StatusService.change_status"),
    op("retry", "Target.sources"),
    op("retry", "Worker.run_once"),
    op("retry", "Worker.run"),
    op("retry", "Worker.heartbeat"),
    op("retry", "Worker.next_wake"),
    // pull: a provider's listing into the hub, on its own only under the host's rule
    op("pull", "Puller"),
    op("pull", "Puller.pull"),
    op("pull", "Puller.run"),
    op("pull", "Puller.held"),
    // providers: every built-in adapter from a configuration, with a host token refresher
    op("providers", "build"),
    // fs: the Markdown folder source, as a listing and as a provider
    op("fs", "FolderSource"),
    op("fs", "FolderSource.read_report"),
    op("retry", "DeadLetters.list"),
    op("retry", "DeadLetters.retry"),
    op("retry", "DeadLetters.discard"),
    op("retry", "JobStore"),
    op("retry", "Job.claimed"),
    op("retry", "sync_status"),
    op("retry", "SyncStatus.of"),
    op("retry", "Backoff"),
    op("retry", "Breaker"),
    op("retry", "RateLimiter"),
    op("retry", "classify"),
    // history: runs, items and audit
    op("history", "History.runs"),
    op("history", "History.audit"),
    op("history", "HistoryStore"),
    // session: the real-time session engine
    op("session", "SessionEngine"),
    op("session", "SessionStore"),
    // event: what hosts subscribe to
    op("event", "EventSink"),
    // clock: time sources
    op("clock", "ManualClock"),
    op("clock", "SystemClock"),
    op("clock", "Clock"),
    // provider: push targets and listing sources
    op("provider", "ProviderClient"),
    op("provider", "ProviderError"),
    // error: one code per thing a caller can act on
    op("error", "ErrorKind"),
    // conformance: the suites a host store must pass
    op("conformance", "task_store"),
    op("conformance", "job_store"),
    op("conformance", "session_store"),
    op("conformance", "history_store"),
];

/// [`OPERATIONS`] as JSON (`[{"module", "name"}]`), as bindings hand it to their tests.
pub fn to_json() -> String {
    serde_json::to_string(OPERATIONS).unwrap_or_else(|_| "[]".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_unique_and_name_core_modules() {
        let modules = [
            "model",
            "store",
            "diff",
            "engine",
            "transition",
            "retry",
            "history",
            "session",
            "event",
            "clock",
            "provider",
            "error",
            "conformance",
            "pull",
            // The built-in crates.
            "providers",
            "fs",
        ];
        let mut seen = std::collections::HashSet::new();
        for entry in OPERATIONS {
            assert!(modules.contains(&entry.module), "{entry:?}");
            assert!(
                seen.insert((entry.module, entry.name)),
                "duplicate {entry:?}"
            );
        }
        assert!(to_json().contains("\"module\":\"retry\""));
    }
}
