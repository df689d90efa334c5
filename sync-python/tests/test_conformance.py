"""The core's store conformance suites, run against pure-Python stores (sync and async)."""

from __future__ import annotations

import tasksync
from pystores import AsyncPyTaskStore, PySessionStore, PyTaskStore


def test_python_task_store_conforms() -> None:
    assert tasksync.run_store_conformance(PyTaskStore) == []


def test_async_python_task_store_conforms() -> None:
    assert tasksync.run_store_conformance(AsyncPyTaskStore) == []


def test_builtin_stores_conform_through_the_binding() -> None:
    assert tasksync.run_store_conformance(tasksync.MemoryStore) == []
    assert tasksync.run_store_conformance(lambda: tasksync.SqliteStore(":memory:")) == []


def test_python_session_store_conforms() -> None:
    assert tasksync.run_session_store_conformance(PySessionStore) == []


def test_a_broken_store_is_reported_not_crashed() -> None:
    class Forgetful(PyTaskStore):
        def apply(self, changes: dict[str, object]) -> dict[str, object]:
            return {"scope_versions": []}  # writes nothing, claims success

    failures = tasksync.run_store_conformance(Forgetful)
    assert failures, "a store that drops writes must fail the suite"
    assert all(isinstance(name, str) and message for name, message in failures)
