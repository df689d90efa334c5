"""The shapes of the parts a host writes in Python: the core's traits as ``typing.Protocol``.

Each takes and returns the core's serde forms as plain dicts and lists; every method may be a
plain function or an ``async def`` (hence the ``Any`` results). Raising
``tasksync.ConflictError`` from a store reports a failed version check; any other exception
is a backend failure. The conformance suites (``run_store_conformance``,
``run_job_store_conformance``, ``run_session_store_conformance``,
``run_history_store_conformance``) check that an object keeps its contract. These classes are
for type checkers and readers: the binding checks that the methods exist, not the class.
"""

from __future__ import annotations

from typing import Any, Protocol


class TaskStore(Protocol):
    """Where hub tasks live (``sync_core::TaskStore``): every write is one atomic change set."""

    def snapshot(self, scope: str) -> Any: ...
    def scope_version(self, scope: str) -> Any: ...
    def get(self, id: str) -> Any: ...
    def find_identities(self, source: str, external_ids: list[str]) -> Any: ...
    def apply(self, changes: dict[str, Any]) -> Any: ...


class JobStore(Protocol):
    """Where sync jobs live (``sync_core::retry::JobStore``), storage only.

    ``claim`` picks due jobs in one atomic step and stores each as ``tasksync.claimed_job``
    makes it; job writes arrive in ``apply`` (see ``QueueStore``); the rest are reads.
    """

    def claim(self, owner: str, now: int, lease_ms: int, limit: int) -> Any: ...
    def job(self, id: str) -> Any: ...
    def jobs(self, query: dict[str, Any]) -> Any: ...
    def next_due(self) -> Any: ...


class QueueStore(TaskStore, JobStore, Protocol):
    """A task store that keeps jobs: ``apply`` writes a set's ``jobs`` (inserts, and updates
    checked against ``expected_version``) with its tasks, leaving at most one pending job per
    (task, target)."""


class SessionStore(Protocol):
    """Where sessions live (``sync_core::session::SessionStore``), compare-and-swap writes."""

    def get(self, id: str) -> Any: ...
    def insert(self, session: dict[str, Any]) -> Any: ...
    def update(self, session: dict[str, Any], expected_version: int) -> Any: ...
    def delete(self, id: str, expected_version: int) -> Any: ...


class HistoryStore(Protocol):
    """Where sync history and the audit log live (``sync_core::history::HistoryStore``)."""

    def write(self, batch: dict[str, Any]) -> Any: ...
    def run(self, id: str) -> Any: ...
    def runs(self, query: dict[str, Any]) -> Any: ...
    def items(self, query: dict[str, Any]) -> Any: ...
    def audit(self, query: dict[str, Any]) -> Any: ...


class Clock(Protocol):
    """A time source (``sync_core::Clock``): milliseconds since the epoch."""

    def now_ms(self) -> int: ...


class EventSink(Protocol):
    """Receives the core's events (``sync_core::EventSink``) as dicts; must not block."""

    def emit(self, event: dict[str, Any]) -> Any: ...


class ProviderClient(Protocol):
    """A listing source and push target (``sync_core::ProviderClient``); ``push`` and
    ``refresh_token`` are optional (a source that only lists has neither)."""

    name: str

    def list(self, scope: str) -> Any: ...
