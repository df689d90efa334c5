"""Every operation of the core's manifest (`sync_core::manifest`, read through `manifest()`)
has its symbol in the generated Python bindings: an explicit table maps each entry to the
binding's name for it, and an entry without a mapping, or whose symbol is missing, fails."""

from __future__ import annotations

import inspect
import json
import unittest

import tasksync_ffi as ts

# (module, core name) -> the binding's symbol: `name`, `Class.method` or `Record.field`.
SYMBOLS: dict[tuple[str, str], str] = {
    ("model", "Task.from_desired"): "task_from_desired",
    ("model", "hub_id"): "hub_id",
    ("model", "Status.is_terminal"): "status_is_terminal",
    ("store", "MemoryStore"): "HubStore.memory",
    ("store", "TaskStore"): "TaskStore",
    ("diff", "Policy"): "Policy",
    ("diff", "Plan"): "Plan",
    ("engine", "SyncEngine.preview"): "SyncEngine.preview",
    ("engine", "SyncEngine.execute"): "SyncEngine.execute",
    ("engine", "SyncEngine.verify"): "SyncEngine.verify",
    ("transition", "TransitionRules"): "TransitionRules",
    ("transition", "StatusMapping"): "StatusMapping",
    ("retry", "StatusService.change_status"): "StatusService.change_status",
    ("retry", "Target.sources"): "Target.sources",
    ("retry", "Worker.run_once"): "Worker.run_once",
    ("retry", "Worker.run"): "Worker.run",
    ("retry", "Worker.heartbeat"): "Worker.heartbeat",
    ("retry", "Worker.next_wake"): "Worker.next_wake",
    ("retry", "DeadLetters.list"): "DeadLetters.list",
    ("retry", "DeadLetters.retry"): "DeadLetters.retry",
    ("retry", "DeadLetters.discard"): "DeadLetters.discard",
    ("retry", "JobStore"): "JobStore",
    ("retry", "Job.claimed"): "claimed_job",
    ("retry", "sync_status"): "HubStore.sync_status",
    ("retry", "SyncStatus.of"): "sync_status_of",
    ("retry", "Backoff"): "Backoff",
    ("retry", "Breaker"): "Breaker",
    ("retry", "RateLimiter"): "RateLimiter",
    ("retry", "classify"): "classify",
    ("history", "History.runs"): "History.runs",
    ("history", "History.audit"): "History.audit",
    ("history", "HistoryStore"): "HistoryStore",
    ("session", "SessionEngine"): "SessionEngine",
    ("session", "SessionStore"): "SessionStore",
    ("event", "EventSink"): "EventSink",
    ("clock", "ManualClock"): "ManualClock",
    ("clock", "SystemClock"): "SystemClock",
    ("clock", "Clock"): "Clock",
    ("provider", "ProviderClient"): "Provider",
    ("provider", "ProviderError"): "ProviderError",
    ("error", "ErrorKind"): "TasksyncError",
    ("conformance", "task_store"): "run_task_store_conformance",
    ("conformance", "job_store"): "run_job_store_conformance",
    ("conformance", "session_store"): "run_session_store_conformance",
    ("conformance", "history_store"): "run_history_store_conformance",
    ("pull", "Puller"): "Puller",
    ("pull", "Puller.pull"): "Puller.pull",
    ("pull", "Puller.run"): "Puller.run",
    ("pull", "Puller.held"): "Puller.held",
    ("providers", "build"): "builtin_provider",
    ("fs", "FolderSource"): "FolderSource",
    ("fs", "FolderSource.read_report"): "FolderSource.read_report",
}


def present(symbol: str) -> bool:
    """Whether the bindings have `symbol` (a record's field counts as its constructor's
    keyword)."""
    head, _, member = symbol.partition(".")
    owner = getattr(ts, head, None)
    if owner is None:
        return False
    if not member:
        return True
    if hasattr(owner, member):
        return True
    return member in inspect.signature(owner.__init__).parameters


class Manifest(unittest.TestCase):
    def test_every_core_operation_has_its_python_symbol(self) -> None:
        entries = [(e["module"], e["name"]) for e in json.loads(ts.manifest())]
        self.assertGreaterEqual(len(entries), 40)
        unmapped = [e for e in entries if e not in SYMBOLS]
        self.assertEqual(unmapped, [], "manifest entries without a uniffi mapping")
        missing = {e: SYMBOLS[e] for e in entries if not present(SYMBOLS[e])}
        self.assertEqual(missing, {}, "manifest entries the uniffi bindings lack")

    def test_the_check_fails_for_a_missing_symbol(self) -> None:
        self.assertFalse(present("NoSuchClass"))
        self.assertFalse(present("Worker.no_such_method"))
        self.assertFalse(present("Target.no_such_field"))
        self.assertTrue(present("Target.sources"))


if __name__ == "__main__":
    unittest.main()
