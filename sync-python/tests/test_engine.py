"""Preview, execute, check and verify through the binding, sync and asyncio, on every store."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import pytest
import tasksync
from pystores import AsyncPyTaskStore, PyTaskStore


def listing(n: int, source: str = "files") -> dict[str, Any]:
    items = [{"external_id": f"e{i}", "kind": "task", "title": f"T{i}"} for i in range(n)]
    return {"source": source, "items": items, "complete": True}


@pytest.fixture(params=["memory", "sqlite", "postgres", "python", "python-async"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    kind = request.param
    if kind == "memory":
        return tasksync.MemoryStore()
    if kind == "sqlite":
        return tasksync.SqliteStore(str(tmp_path / "hub.db"))
    if kind == "postgres":
        return tasksync.PostgresStore(request.getfixturevalue("pg_url"))
    if kind == "python":
        return PyTaskStore()
    return AsyncPyTaskStore()


def test_preview_execute_then_nothing_left(store: Any) -> None:
    clock = tasksync.ManualClock(1_000)
    sink = tasksync.CollectingSink()
    engine = tasksync.SyncEngine(store, clock=clock, events=sink)
    assert engine.check_sync_needed("wo-1", listing(3))
    plan = engine.preview("wo-1", listing(3))
    assert plan.counts["creates"] == 3 and plan.scope == "wo-1" and plan.scope_version == 0
    assert "Plan(" in repr(plan)
    with pytest.raises(tasksync.NotConfirmedError) as err:
        engine.execute(plan)
    assert err.value.code == "not_confirmed"
    report = engine.execute(plan, confirmed=True)
    assert (report.created, report.scope_version) == (3, 1)
    assert not engine.check_sync_needed("wo-1", listing(3))
    assert engine.verify("wo-1", listing(3)).consistent
    # Run events (history progress) come too; the sync itself is one `sync_executed`.
    events = [e for e in sink.take() if e["type"] == "sync_executed"]
    assert len(events) == 1
    assert events[0]["created"] == 3 and events[0]["at"] == 1_000


def test_a_stale_plan_is_refused_and_writes_nothing(store: Any) -> None:
    engine = tasksync.SyncEngine(store)
    first = engine.preview("s", listing(2))
    second = engine.preview("s", listing(3))
    engine.execute(first, confirmed=True)
    with pytest.raises(tasksync.StalePlanError) as err:
        engine.execute(second, confirmed=True)
    assert err.value.code == "stale_plan"
    assert isinstance(err.value, tasksync.TasksyncError)
    assert engine.preview("s", listing(2)).is_empty()


def test_a_plan_survives_json_and_its_token_guards_it() -> None:
    engine = tasksync.SyncEngine(tasksync.MemoryStore())
    plan = engine.preview("s", listing(2))
    text = plan.to_json()
    assert tasksync.Plan.from_json(text) == plan
    tampered = text.replace('"T1"', '"evil"')
    with pytest.raises(tasksync.InvalidInputError):
        engine.execute(tampered, confirmed=True)
    assert engine.execute(text, confirmed=True).created == 2


def test_draft_only_policy_keeps_formal_tasks(store: Any) -> None:
    engine = tasksync.SyncEngine(store)
    engine.execute(engine.preview("s", listing(2)), confirmed=True)
    changed = listing(1)
    plan = engine.preview("s", changed, tasksync.Policy(protected=["draft"]))
    assert plan.counts["deletes"] == 0 and plan.counts["skipped"] == 1


def test_async_variants(store: Any) -> None:
    engine = tasksync.SyncEngine(store)

    async def run() -> None:
        assert await engine.check_sync_needed_async("s", listing(4))
        plan = await engine.preview_async("s", listing(4))
        report = await engine.execute_async(plan, confirmed=True)
        assert report.created == 4
        assert (await engine.verify_async("s", listing(4))).consistent
        assert not await engine.check_sync_needed_async("s", listing(4))

    asyncio.run(run())


def test_async_host_store_from_a_blocking_call_inside_a_running_loop() -> None:
    engine = tasksync.SyncEngine(AsyncPyTaskStore())

    async def run() -> int:
        # A blocking call from inside a coroutine: the store's coroutines must not wait on
        # this (blocked) loop.
        return engine.execute(engine.preview("s", listing(2)), confirmed=True).created

    assert asyncio.run(run()) == 2


def test_host_clock_and_event_sink() -> None:
    class Clock:
        def now_ms(self) -> int:
            return 42

    class Sink:
        def __init__(self) -> None:
            self.events: list[dict[str, Any]] = []

        def emit(self, event: dict[str, Any]) -> None:
            self.events.append(event)

    sink = Sink()
    engine = tasksync.SyncEngine(tasksync.MemoryStore(), clock=Clock(), events=sink)
    engine.execute(engine.preview("s", listing(1)), confirmed=True)
    assert sink.events[0]["at"] == 42 and sink.events[0]["scope"] == "s"


def test_a_failing_sink_does_not_fail_the_sync(caplog: pytest.LogCaptureFixture) -> None:
    class Broken:
        def emit(self, event: dict[str, Any]) -> None:
            raise RuntimeError("sink down")

    engine = tasksync.SyncEngine(tasksync.MemoryStore(), events=Broken())
    with caplog.at_level(logging.WARNING, logger="tasksync"):
        assert engine.execute(engine.preview("s", listing(1)), confirmed=True).created == 1
    assert any("sink down" in r.getMessage() for r in caplog.records)


def test_sqlite_store_persists_across_opens(tmp_path: Path) -> None:
    path = str(tmp_path / "hub.db")
    engine = tasksync.SyncEngine(tasksync.SqliteStore(path))
    engine.execute(engine.preview("s", listing(3)), confirmed=True)
    again = tasksync.SqliteStore(path)
    snap = again.snapshot("s")
    assert snap["version"] == 1 and len(snap["tasks"]) == 3
    task = again.get(tasksync.hub_id("files", "e0"))
    assert task is not None and task["title"] == "T0" and task["status"] == "draft"


def test_a_host_store_failure_is_a_store_error_and_nothing_partial() -> None:
    class Failing(PyTaskStore):
        def apply(self, changes: dict[str, Any]) -> dict[str, Any]:
            raise OSError("disk full")

    store = Failing()
    engine = tasksync.SyncEngine(store)
    with pytest.raises(tasksync.StoreError) as err:
        engine.execute(engine.preview("s", listing(2)), confirmed=True)
    assert "disk full" in str(err.value) and err.value.code == "store"
    assert store.tasks == {}


def test_core_logs_reach_python_logging(caplog: pytest.LogCaptureFixture) -> None:
    engine = tasksync.SyncEngine(tasksync.MemoryStore())
    with caplog.at_level(logging.INFO, logger="tasksync"):
        engine.preview("s", listing(1))
    messages = [r.getMessage() for r in caplog.records if r.name == "tasksync"]
    assert any("sync previewed" in m and "creates=1" in m for m in messages)


def test_record_attributes_are_their_serde_fields() -> None:
    """Each attribute (read field by field) equals the record's full form, and dir() lists
    exactly its fields."""
    engine = tasksync.SyncEngine(tasksync.MemoryStore(), clock=tasksync.ManualClock(1_000))
    plan = engine.preview("wo-1", listing(5))
    report = engine.execute(plan, confirmed=True)
    changed = listing(5)
    changed["items"][0]["title"] = "renamed"
    del changed["items"][1]
    second = engine.preview("wo-1", changed)
    for record in (plan, report, second, engine.verify("wo-1", changed)):
        full = record.to_dict()
        assert sorted(dir(record)) == sorted(full)
        for name, value in full.items():
            assert getattr(record, name) == value, name
        with pytest.raises(AttributeError, match="no attribute 'nope'"):
            record.nope  # noqa: B018
    assert [u["external_id"] for u in second.updates] == ["e0"]
    assert len(second.deletes) == 1
