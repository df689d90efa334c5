"""Every operation of the core's manifest is offered by the binding: each entry maps to a
Python name (explicitly, below), and that name exists. A core operation added without a
Python counterpart, or a counterpart removed, fails here."""

from __future__ import annotations

import tasksync

# (core module, core operation) -> the binding's name for it, a dotted path in `tasksync`.
PYTHON_NAMES: dict[tuple[str, str], str] = {
    ("model", "Task.from_desired"): "task_from_desired",
    ("model", "hub_id"): "hub_id",
    ("model", "Status.is_terminal"): "is_terminal",
    ("store", "MemoryStore"): "MemoryStore",
    ("store", "TaskStore"): "TaskStore",
    ("diff", "Policy"): "Policy",
    ("diff", "Plan"): "Plan",
    ("engine", "SyncEngine.preview"): "SyncEngine.preview",
    ("engine", "SyncEngine.execute"): "SyncEngine.execute",
    ("engine", "SyncEngine.verify"): "SyncEngine.verify",
    ("transition", "TransitionRules"): "TransitionRules",
    ("transition", "StatusMapping"): "StatusMapping",
    ("retry", "StatusService.change_status"): "StatusService.change_status",
    # A target's `sources` is a key of the target dicts `StatusService` takes.
    ("retry", "Target.sources"): "StatusService",
    ("retry", "Worker.run_once"): "Worker.run_once",
    ("retry", "Worker.run"): "Worker.run",
    ("retry", "Worker.heartbeat"): "Worker.heartbeat",
    ("retry", "Worker.next_wake"): "Worker.next_wake",
    ("retry", "DeadLetters.list"): "JobQueue.dead_letters",
    ("retry", "DeadLetters.retry"): "JobQueue.requeue",
    ("retry", "DeadLetters.discard"): "JobQueue.discard",
    ("retry", "JobStore"): "JobStore",
    ("retry", "Job.claimed"): "claimed_job",
    ("retry", "sync_status"): "JobQueue.sync_status",
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
    ("provider", "ProviderClient"): "ProviderClient",
    ("provider", "ProviderError"): "ProviderError",
    ("pull", "Puller"): "Puller",
    ("pull", "Puller.pull"): "Puller.pull",
    ("pull", "Puller.run"): "Puller.run",
    ("pull", "Puller.held"): "Puller.held",
    ("providers", "build"): "Provider.builtin",
    ("fs", "FolderSource"): "FolderSource",
    ("fs", "FolderSource.read_report"): "FolderSource.read_report",
    ("error", "ErrorKind"): "error_codes",
    ("conformance", "task_store"): "run_store_conformance",
    ("conformance", "job_store"): "run_job_store_conformance",
    ("conformance", "session_store"): "run_session_store_conformance",
    ("conformance", "history_store"): "run_history_store_conformance",
}


def resolve(path: str) -> object:
    obj: object = tasksync
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


def test_every_core_operation_has_a_python_name_that_exists() -> None:
    operations = [(op["module"], op["name"]) for op in tasksync.manifest()]
    assert operations, "the manifest is empty"
    unmapped = [op for op in operations if op not in PYTHON_NAMES]
    assert unmapped == [], f"core operations without a Python name: {unmapped}"
    missing = []
    for op in operations:
        try:
            resolve(PYTHON_NAMES[op])
        except AttributeError:
            missing.append((op, PYTHON_NAMES[op]))
    assert missing == [], f"Python names that do not exist: {missing}"


def test_the_table_names_no_operation_the_core_dropped() -> None:
    operations = {(op["module"], op["name"]) for op in tasksync.manifest()}
    assert set(PYTHON_NAMES) - operations == set()


def test_public_names_are_exported_from_the_package() -> None:
    for path in PYTHON_NAMES.values():
        assert path.split(".")[0] in tasksync.__all__, path
