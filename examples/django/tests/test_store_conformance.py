"""The core's conformance suites against the ORM stores, on the configured database (the run
does it once on SQLite and once on PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import tasksync
from django.db import connection
from tasksync.contrib.django import history, store
from tasksync.contrib.django.history import DjangoHistoryStore
from tasksync.contrib.django.store import DjangoQueueStore, DjangoTaskStore

pytestmark = pytest.mark.usefixtures("clean_hub")


def fresh_tasks() -> DjangoTaskStore:
    store.reset()
    return DjangoTaskStore()


class FreshOnFirstCall:
    """A store whose tables are emptied on its first call.

    The job and history suites build every case's store before running the first case, and
    the ORM stores share the tables; the cases run one after another, so emptying the tables
    when a store is first used gives each case a fresh store.
    """

    def __init__(self, inner: object, reset: Callable[[], None]) -> None:
        self._inner = inner
        self._reset: Callable[[], None] | None = reset

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        if not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            reset, self._reset = self._reset, None
            if reset is not None:
                reset()
            return attr(*args, **kwargs)

        return call


def fresh_queue() -> DjangoQueueStore:
    store.reset()
    return DjangoQueueStore()


def lazy_queue() -> FreshOnFirstCall:
    return FreshOnFirstCall(DjangoQueueStore(), store.reset)


def lazy_history() -> FreshOnFirstCall:
    return FreshOnFirstCall(DjangoHistoryStore(), history.reset)


def test_the_database_is_the_one_configured() -> None:
    import os

    want = "postgresql" if os.environ.get("TASKSYNC_DB") == "postgres" else "sqlite"
    assert connection.vendor == want


def test_task_store_conforms() -> None:
    assert tasksync.run_store_conformance(fresh_tasks) == []


def test_queue_store_conforms_as_a_task_store() -> None:
    assert tasksync.run_store_conformance(fresh_queue) == []


def test_queue_store_conforms_as_a_job_store() -> None:
    assert tasksync.run_job_store_conformance(lazy_queue) == []


def test_history_store_conforms() -> None:
    assert tasksync.run_history_store_conformance(lazy_history) == []


def test_a_conflict_writes_nothing() -> None:
    s = DjangoTaskStore()
    engine = tasksync.SyncEngine(s)
    listing = {
        "source": "p",
        "complete": True,
        "items": [{"external_id": "a", "kind": "step", "title": "A"}],
    }
    stale = engine.preview("wo", listing)
    engine.execute(engine.preview("wo", listing), confirmed=True)
    with pytest.raises(tasksync.StalePlanError):
        engine.execute(stale, confirmed=True)
    snap = s.snapshot("wo")
    assert snap["version"] == 1 and [t["title"] for t in snap["tasks"]] == ["A"]


def test_a_task_store_without_jobs_refuses_a_set_with_jobs() -> None:
    s = DjangoTaskStore()
    changes = {
        "guards": [],
        "tasks": [],
        "jobs": [{"id": "job-1"}],
    }
    with pytest.raises(tasksync.StoreError):
        s.apply(changes)
    assert s.scope_version("wo") == 0


def test_history_is_recorded_through_the_django_history_store() -> None:
    history = tasksync.History(DjangoHistoryStore())
    history.start()
    engine = tasksync.SyncEngine(DjangoTaskStore(), history=history)
    listing = {
        "source": "p",
        "complete": True,
        "items": [{"external_id": "a", "kind": "step", "title": "A"}],
    }
    engine.execute(engine.preview("wo", listing), confirmed=True, context={"actor": {"user": "al"}})
    history.close()  # flushes the queue
    runs, _ = history.runs(kind="execute")
    (run,) = runs
    assert run.scope == "wo" and run.status == "completed"
    items, _ = history.items(run.id)
    assert len(items) == 1
