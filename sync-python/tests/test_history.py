"""Sync history from Python: recording into every history store, the pump on a thread and as an
asyncio task, queries with cursors and filters, the audit log, cancel tokens, run context, and
a failing history store that never fails the sync."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import tasksync
from pyqueue import FailingHistoryStore, PyHistoryStore, PyQueueStore

CONTEXT = {"actor": {"user": "alice", "ip": "203.0.113.7", "user_agent": "pytest"}}


def listing(n: int, prefix: str = "e") -> dict[str, Any]:
    items = [{"external_id": f"{prefix}{i}", "kind": "task", "title": f"T{i}"} for i in range(n)]
    return {"source": "files", "items": items, "complete": True}


@pytest.fixture(params=["memory", "sqlite", "postgres", "postgres-shared", "python"])
def history_store(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    if request.param == "memory":
        return tasksync.MemoryHistoryStore()
    if request.param == "sqlite":
        return tasksync.SqliteHistoryStore(str(tmp_path / "history.db"))
    if request.param == "postgres":
        return tasksync.PostgresHistoryStore(request.getfixturevalue("pg_url"))
    if request.param == "postgres-shared":
        return tasksync.PostgresStore(request.getfixturevalue("pg_url")).history()
    return PyHistoryStore()


def test_runs_items_and_audit_are_recorded(history_store: Any) -> None:
    history = tasksync.History(history_store)
    history.start()
    clock = tasksync.ManualClock(1_000)
    engine = tasksync.SyncEngine(tasksync.MemoryStore(), clock=clock, history=history)
    for scope in ("wo-1", "wo-2", "wo-3"):
        plan = engine.preview(scope, listing(3, prefix=scope), context=CONTEXT)
        clock.advance(10)
        engine.execute(plan, confirmed=True, context=CONTEXT)
        clock.advance(10)
    history.close()
    assert history.stats()["lost"] == 0

    runs, cursor = history.runs(kind="execute", limit=2)
    assert [r.scope for r in runs] == ["wo-3", "wo-2"] and cursor is not None
    rest, end = history.runs(kind="execute", limit=2, after=cursor)
    assert [r.scope for r in rest] == ["wo-1"] and end is None
    run = runs[0]
    assert run.status == "completed" and run.totals["created"] == 3
    assert run.context["actor"]["user"] == "alice"
    assert history.run(run.id) == run
    items, more = history.items(run.id, limit=2)
    assert [i.outcome for i in items] == ["created", "created"] and more is not None
    assert len(history.items(run.id, after=more)[0]) == 1
    assert len(history.runs(kind="preview")[0]) == 3
    assert history.runs(scope="wo-2", status="completed")[0][0].scope == "wo-2"
    entries, _ = history.audit(entity_id=run.id)
    assert entries and all(e.entity_id == run.id for e in entries)
    with pytest.raises(tasksync.InvalidInputError):
        history.runs(after="not a cursor")
    with pytest.raises(tasksync.InvalidInputError):
        history.runs(status="exploded")


def test_cancelled_run_writes_nothing() -> None:
    history = tasksync.History(tasksync.MemoryHistoryStore())
    history.start()
    store = tasksync.MemoryStore()
    engine = tasksync.SyncEngine(store, history=history)
    plan = engine.preview("wo-1", listing(2))
    token = tasksync.CancelToken()
    token.cancel()
    assert token.cancelled
    with pytest.raises(tasksync.CancelledError):
        engine.execute(plan, confirmed=True, cancel=token)
    assert store.scope_version("wo-1") == 0
    history.close()
    (run,), _ = history.runs(kind="execute")
    assert run.status == "cancelled"


def test_a_failing_history_store_never_fails_the_sync() -> None:
    failing = FailingHistoryStore()
    history = tasksync.History(failing)
    history.start()
    store = tasksync.MemoryStore()
    engine = tasksync.SyncEngine(store, history=history)
    report = engine.execute(engine.preview("wo-1", listing(2)), confirmed=True)
    assert report.created == 2 and store.scope_version("wo-1") == 1
    history.close()
    assert failing.attempts > 0 and history.stats()["lost"] > 0


def test_pump_as_an_asyncio_task() -> None:
    store = PyHistoryStore()
    history = tasksync.History(store)
    engine = tasksync.SyncEngine(tasksync.MemoryStore(), history=history)

    async def main() -> None:
        pump = asyncio.ensure_future(history.pump())
        plan = await engine.preview_async("wo-1", listing(1), context=CONTEXT)
        await engine.execute_async(plan, confirmed=True)
        history.close()
        await pump

    asyncio.run(main())
    assert {r["kind"] for r in store.runs_by_id.values()} == {"preview", "execute"}
    with pytest.raises(tasksync.InvalidStateError):
        history.start()  # the pump ran already


def test_status_changes_and_dead_letter_actions_are_audited() -> None:
    history = tasksync.History(tasksync.MemoryHistoryStore())
    history.start()
    store = PyQueueStore()
    clock = tasksync.ManualClock(1_000)
    engine = tasksync.SyncEngine(store, clock=clock)
    items = [{"external_id": "e1", "kind": "task", "title": "T", "status": "pending"}]
    engine.execute(
        engine.preview("wo", {"source": "mstodo", "items": items, "complete": True}),
        confirmed=True,
    )
    task_id = tasksync.hub_id("mstodo", "e1")
    targets = [{"name": "mstodo", "kind": "ms_todo"}]
    service = tasksync.StatusService(store, targets=targets, clock=clock, history=history)
    job = service.change_status(task_id, "completed", actor="bob").jobs[0]
    store.job_rows[job["id"]]["state"] = "dead"  # as a worker would after the last attempt
    sink = tasksync.CollectingSink()
    queue = tasksync.JobQueue(store, clock=clock, history=history, events=sink)
    queue.requeue(job["id"], actor="carol")
    store.job_rows[job["id"]]["state"] = "dead"
    clock.advance(5)
    queue.discard(job["id"])
    history.close()
    (changed,), _ = history.audit(entity_id=task_id)
    assert changed.action == "status_changed" and changed.actor["user"] == "bob"
    (discarded, retried), _ = history.audit(entity_id=job["id"])
    assert retried.action == "job_retried" and retried.actor["user"] == "carol"
    assert retried.details == {"task_id": task_id, "target": "mstodo", "state": "pending"}
    assert discarded.action == "job_discarded" and discarded.details["state"] == "discarded"
    events = [(e["job_id"], e["state"], e["sync_status"], e["at"]) for e in sink.take()]
    assert events == [
        (job["id"], "pending", "pending", 1_000),
        (job["id"], "discarded", "discarded", 1_005),
    ]


def test_python_history_store_conforms() -> None:
    assert tasksync.run_history_store_conformance(PyHistoryStore) == []
    assert tasksync.run_history_store_conformance(tasksync.MemoryHistoryStore) == []
    assert (
        tasksync.run_history_store_conformance(lambda: tasksync.SqliteHistoryStore(":memory:"))
        == []
    )
