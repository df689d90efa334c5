"""tasksync: task synchronization with a Rust core.

Preview a sync (read-only), show the plan, execute it (atomic; refused if the scope moved on),
plus sessions, status transitions, retry policies, the outbound queue (status changes with
their sync jobs, the worker, dead letters) and the sync history with its audit log. Every error is a
:class:`TasksyncError` subclass whose ``code`` names the core's error kind.

Blocking methods release the GIL; each has an ``*_async`` coroutine twin. Stores, providers,
clocks and event sinks may be plain Python objects (sync or ``async def`` methods). The core's
``tracing`` events go to the ``logging`` logger ``tasksync``.
"""

from __future__ import annotations

from typing import Any

from tasksync._native import (
    MAX_DELAY_MS,
    MAX_ID_BYTES,
    MAX_TITLE_BYTES,
    AuditEntry,
    Backoff,
    Breaker,
    CancelledError,
    CancelToken,
    CollectingSink,
    ConflictError,
    ExecuteReport,
    History,
    IdentityConflictError,
    InternalError,
    InvalidInputError,
    InvalidStateError,
    InvalidTransitionError,
    Item,
    Job,
    JobQueue,
    ManualClock,
    MemoryHistoryStore,
    MemorySessionStore,
    MemoryStore,
    NotConfirmedError,
    NotFoundError,
    Plan,
    Policy,
    Provider,
    ProviderError,
    RateLimiter,
    Run,
    ServerTime,
    Session,
    SessionEngine,
    SessionState,
    SqliteHistoryStore,
    SqliteStore,
    StalePlanError,
    StatusChangeReport,
    StatusMapping,
    StatusService,
    StoreError,
    SyncEngine,
    SystemClock,
    TasksyncError,
    TickReport,
    TokenRefresher,
    TransitionRules,
    VerifyReport,
    Worker,
    classify,
    error_codes,
    hub_id,
    is_terminal,
    iso8601,
    run_history_store_conformance,
    run_job_store_conformance,
    run_session_store_conformance,
    run_store_conformance,
    server_time,
    statuses,
    sync_status_of,
    task_from_desired,
)

__all__ = [
    "MAX_DELAY_MS",
    "MAX_ID_BYTES",
    "MAX_TITLE_BYTES",
    "AuditEntry",
    "Backoff",
    "Breaker",
    "CancelToken",
    "CancelledError",
    "CollectingSink",
    "ConflictError",
    "ExecuteReport",
    "History",
    "IdentityConflictError",
    "InternalError",
    "InvalidInputError",
    "InvalidStateError",
    "InvalidTransitionError",
    "Item",
    "Job",
    "JobQueue",
    "ManualClock",
    "MemoryHistoryStore",
    "MemorySessionStore",
    "MemoryStore",
    "NotConfirmedError",
    "NotFoundError",
    "Plan",
    "Policy",
    "Provider",
    "ProviderError",
    "RateLimiter",
    "Run",
    "ServerTime",
    "Session",
    "SessionEngine",
    "SessionState",
    "SqliteHistoryStore",
    "SqliteStore",
    "StalePlanError",
    "StatusChangeReport",
    "StatusMapping",
    "StatusService",
    "StoreError",
    "SyncEngine",
    "SystemClock",
    "TasksyncError",
    "TickReport",
    "TokenRefresher",
    "TransitionRules",
    "VerifyReport",
    "Worker",
    "classify",
    "error_codes",
    "hub_id",
    "is_terminal",
    "iso8601",
    "provider_error",
    "run_history_store_conformance",
    "run_job_store_conformance",
    "run_session_store_conformance",
    "run_store_conformance",
    "server_time",
    "statuses",
    "sync_status_of",
    "task_from_desired",
]


def provider_error(class_: str, provider: str, **fields: Any) -> ProviderError:
    """A ``ProviderError`` a host provider raises to report a classified failure.

    ``class_`` is ``timeout``, ``rate_limited``, ``unavailable``, ``token_expired`` or
    ``rejected``; ``fields`` are that class's fields (``message``, ``status``,
    ``retry_after_ms``), as in the core's ``ProviderError``. An unknown class, an unknown or
    missing field is an ``InvalidInputError`` here, where the typo is, not a misclassified
    failure later.
    """
    detail = {"class": class_, "provider": provider, **fields}
    classify(detail, 1, 0)  # the core's check of the shape: raises on a bad one
    err = ProviderError(f"provider `{provider}`: {class_}")
    err.provider_error = detail
    return err
