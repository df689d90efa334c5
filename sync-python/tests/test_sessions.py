"""Sessions through the binding: the engine on memory, SQLite, PostgreSQL and Python stores."""

from __future__ import annotations

import asyncio
import copy
from typing import Any

import pytest
import tasksync
from pystores import PySessionStore

CYCLES = [{"id": "a", "name": "Plan"}, {"id": "b", "name": "Build"}, {"id": "c", "name": "Check"}]


@pytest.fixture(params=["memory", "sqlite", "postgres", "python"])
def store(request: pytest.FixtureRequest) -> Any:
    if request.param == "memory":
        return tasksync.MemorySessionStore()
    if request.param == "sqlite":
        return tasksync.SqliteStore(":memory:")
    if request.param == "postgres":
        return tasksync.PostgresStore(request.getfixturevalue("pg_url"))
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


# Ways a host store's copy of a running session can be wrong: (case, damage, what the error says).
CORRUPTIONS: list[tuple[str, Any, str]] = [
    ("current index out of range", lambda s: s.update(current=7), "current cycle 7 of 3"),
    ("current index negative", lambda s: s.update(current=-1), "expected usize"),
    ("times that overflow", lambda s: s.update(cycle_ms=[2**64 - 1, 2, 0]), "overflow"),
    ("a time beyond 64 bits", lambda s: s.update(paused_ms=2**64), "64-bit"),
    ("an instant beyond i64", lambda s: s.update(last_seen=2**63), "expected i64"),
    (
        "a start at the earliest instant",
        lambda s: s.update(created_at=-(2**63), started_at=-(2**63)),
        "accounted for",
    ),
    (
        "an unknown key",
        lambda s: s.update(colour="red"),
        "unknown key `colour` in the session the session store returned",
    ),
    (
        "an unknown key in a cycle",
        lambda s: s["cycles"][0].update(colour="red"),
        "unknown key `colour`",
    ),
    ("a missing key", lambda s: s.pop("cycle_ms"), "cycle_ms"),
    ("a wrong type", lambda s: s.update(version="1"), "expected u64"),
    ("a version that cannot grow", lambda s: s.update(version=2**64 - 1), "version"),
    ("no cycles", lambda s: s.update(cycles=[], cycle_ms=[], current=0), "no cycles"),
    ("a status with the wrong times", lambda s: s.update(status="paused"), "status paused"),
    ("an empty dict", lambda s: s.clear(), "missing field `id`"),
]


@pytest.mark.parametrize(("case", "damage", "why"), CORRUPTIONS, ids=[c[0] for c in CORRUPTIONS])
def test_a_corrupt_session_from_a_host_store_is_a_store_error(
    case: str, damage: Any, why: str
) -> None:
    store = PySessionStore()
    clock = tasksync.ManualClock(1_000)
    engine = tasksync.SessionEngine(store, clock=clock)
    engine.create("s", CYCLES)
    engine.start("s")
    clock.advance(500)
    good = copy.deepcopy(store.sessions["s"])
    damage(store.sessions["s"])
    before = copy.deepcopy(store.sessions["s"])
    for op in (
        lambda: engine.get("s"),
        lambda: engine.state("s"),
        lambda: engine.switch("s", None),
        lambda: engine.pause("s"),
        lambda: engine.complete("s"),
        lambda: engine.delete("s"),
        lambda: asyncio.run(engine.state_async("s")),
    ):
        with pytest.raises(tasksync.StoreError, match=why) as err:
            op()
        assert err.value.code == "store"
        assert not isinstance(err.value, tasksync.InternalError)
    assert store.sessions["s"] == before  # refused before any write
    store.sessions["s"] = good
    assert engine.switch("s", None).current == 1  # the repaired session works again
