"""Sessions through the binding: the engine on memory, SQLite and Python stores."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import tasksync
from pystores import PySessionStore

CYCLES = [{"id": "a", "name": "Plan"}, {"id": "b", "name": "Build"}, {"id": "c", "name": "Check"}]


@pytest.fixture(params=["memory", "sqlite", "python"])
def store(request: pytest.FixtureRequest) -> Any:
    if request.param == "memory":
        return tasksync.MemorySessionStore()
    if request.param == "sqlite":
        return tasksync.SqliteStore(":memory:")
    return PySessionStore()


def test_a_session_walks_its_cycles_with_exact_time(store: Any) -> None:
    clock = tasksync.ManualClock(0)
    sink = tasksync.CollectingSink()
    engine = tasksync.SessionEngine(store, clock=clock, events=sink)
    engine.create("s1", CYCLES)
    engine.start("s1")
    clock.advance(1_000)
    engine.switch("s1", None)
    clock.advance(500)
    engine.pause("s1")
    clock.advance(10_000)
    engine.resume("s1")
    clock.advance(250)
    engine.switch("s1", "a")
    state = engine.state("s1")
    assert state.status == "running" and state.current_cycle == "a"
    assert [c["elapsed_ms"] for c in state.cycles] == [1_000, 750, 0]
    assert state.running_ms == 1_750 and state.paused_ms == 10_000
    assert "SessionState(" in repr(state)
    done = engine.complete("s1")
    assert done.status == "completed"
    with pytest.raises(tasksync.InvalidStateError) as err:
        engine.switch("s1", None)
    assert err.value.code == "invalid_state"
    ops = [e["operation"] for e in sink.take()]
    assert ops == ["create", "start", "switch", "pause", "resume", "switch", "complete"]
    engine.delete("s1")
    with pytest.raises(tasksync.NotFoundError):
        engine.get("s1")


def test_session_async_variants() -> None:
    engine = tasksync.SessionEngine(clock=tasksync.ManualClock(5))

    async def run() -> tasksync.SessionState:
        await engine.create_async("s", CYCLES)
        await engine.start_async("s")
        await engine.switch_async("s", "c")
        return await engine.state_async("s")

    assert asyncio.run(run()).current_cycle == "c"


def test_server_time_uses_the_clock() -> None:
    assert tasksync.server_time(tasksync.ManualClock(77)).now_ms == 77
    assert tasksync.server_time().now_ms > 0


def test_duplicate_session_is_a_conflict() -> None:
    engine = tasksync.SessionEngine()
    engine.create("x", CYCLES)
    with pytest.raises(tasksync.TasksyncError):
        engine.create("x", CYCLES)
