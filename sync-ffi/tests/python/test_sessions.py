"""Sessions through the generated Python bindings: exact time accounting on a hand-moved clock,
the state machine's errors, the memory, SQLite and a Python session store (compare-and-swap),
session_changed events to a Python sink, and server_time."""

from __future__ import annotations

import asyncio
import copy
import json
import os
import tempfile
import unittest

import tasksync_ffi as ts
from hosts import FixedClock

CYCLES = [
    ts.Cycle(id="a", name="Alpha"),
    ts.Cycle(id="b", name="Beta"),
    ts.Cycle(id="c", name="Gamma"),
]


class PySessionStore(ts.SessionStore):
    """A host session store with the core's compare-and-swap contract."""

    def __init__(self) -> None:
        self.sessions: dict[str, ts.Session] = {}
        self.updates = 0

    async def get(self, id: str) -> ts.Session | None:
        return copy.deepcopy(self.sessions.get(id))

    async def insert(self, session: ts.Session) -> None:
        if session.id in self.sessions:
            raise ts.TasksyncError.Conflict(detail=f"session {session.id} exists")
        self.sessions[session.id] = copy.deepcopy(session)

    async def update(self, session: ts.Session, expected_version: int) -> None:
        stored = self.sessions.get(session.id)
        if stored is None or stored.version != expected_version:
            raise ts.TasksyncError.Conflict(detail=f"session {session.id} moved")
        self.sessions[session.id] = copy.deepcopy(session)
        self.updates += 1

    async def delete(self, id: str, expected_version: int) -> None:
        stored = self.sessions.get(id)
        if stored is None or stored.version != expected_version:
            raise ts.TasksyncError.Conflict(detail=f"session {id} moved")
        del self.sessions[id]


class Collect(ts.EventSink):
    """Keeps every event, parsed."""

    def __init__(self) -> None:
        self.events: list[dict] = []

    def emit(self, event_json: str) -> None:
        self.events.append(json.loads(event_json))


def times(state: ts.SessionState) -> list[int]:
    return [c.elapsed_ms for c in state.cycles]


async def whole_session(test: unittest.TestCase, make) -> None:
    """Create, start, switch twice, pause, resume, complete, delete with exact times."""
    clock = FixedClock(1_000)
    events = Collect()
    engine = make(clock, events)

    s = await engine.create("s1", CYCLES)
    test.assertEqual(s.status, ts.SessionStatus.CREATED)
    test.assertEqual((s.version, s.current, s.cycle_ms), (1, 0, [0, 0, 0]))

    clock.now = 2_000
    s = await engine.start("s1")
    test.assertEqual((s.status, s.started_at), (ts.SessionStatus.RUNNING, 2_000))
    clock.now = 2_300
    test.assertEqual(times(await engine.state("s1")), [300, 0, 0])

    clock.now = 2_500
    s = await engine.switch("s1")  # a: 500, to b
    test.assertEqual(s.current, 1)
    clock.now = 3_200
    s = await engine.switch("s1", "a")  # b: 700, back to a
    test.assertEqual((s.current, s.switch_count), (0, 2))
    clock.now = 3_300
    await engine.pause("s1")  # a: +100
    clock.now = 4_300
    paused = await engine.state("s1")
    test.assertEqual(paused.status, ts.SessionStatus.PAUSED)
    test.assertEqual(times(paused), [600, 700, 0])
    test.assertEqual((paused.running_ms, paused.paused_ms), (1_300, 1_000))
    test.assertEqual((paused.elapsed_ms, paused.at), (2_300, 4_300))

    clock.now = 5_000
    await engine.resume("s1")  # paused 1_700
    clock.now = 5_400
    s = await engine.complete("s1")  # a: +400
    test.assertEqual((s.status, s.completed_at), (ts.SessionStatus.COMPLETED, 5_400))
    clock.now = 9_000  # a completed session's time no longer moves
    done = await engine.state("s1")
    test.assertEqual(times(done), [1_000, 700, 0])
    test.assertEqual(
        (done.running_ms, done.paused_ms, done.elapsed_ms), (1_700, 1_700, 3_400)
    )
    test.assertEqual(done.current_cycle, "a")
    test.assertEqual((await engine.get("s1")).version, 7)

    last = await engine.delete("s1")
    test.assertEqual(last.version, 7)
    with test.assertRaises(ts.TasksyncError.NotFound):
        await engine.state("s1")

    ops = [(e["type"], e["operation"]) for e in events.events]
    test.assertEqual(
        ops,
        [
            ("session_changed", op)
            for op in [
                "create",
                "start",
                "switch",
                "switch",
                "pause",
                "resume",
                "complete",
                "delete",
            ]
        ],
    )
    test.assertEqual(events.events[4]["session"]["status"], "paused")
    test.assertEqual(events.events[6]["session"]["cycles"][0]["elapsed_ms"], 1_000)


class Sessions(unittest.TestCase):
    def test_exact_times_on_the_memory_store(self) -> None:
        asyncio.run(
            whole_session(self, lambda c, e: ts.SessionEngine.memory(clock=c, events=e))
        )

    def test_exact_times_on_a_python_session_store(self) -> None:
        store = PySessionStore()
        asyncio.run(
            whole_session(self, lambda c, e: ts.SessionEngine.foreign(store, c, e))
        )
        self.assertEqual(store.updates, 6)
        self.assertEqual(store.sessions, {})

    def test_exact_times_on_sqlite_and_the_file_keeps_sessions(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "hub.db")
            asyncio.run(
                whole_session(self, lambda c, e: ts.SessionEngine.sqlite(path, c, e))
            )

            async def reopen() -> None:
                clock = FixedClock(10)
                first = ts.SessionEngine.sqlite(path, clock)
                await first.create("kept", CYCLES[:1])
                await first.start("kept")
                clock.now = 60
                second = ts.SessionEngine.sqlite(path, clock)
                state = await second.state("kept")
                self.assertEqual(
                    (state.status, times(state)), (ts.SessionStatus.RUNNING, [50])
                )

            asyncio.run(reopen())

    def test_the_state_machine_refuses_with_invalid_state_and_changes_nothing(
        self,
    ) -> None:
        async def run() -> None:
            clock = FixedClock(1_000)
            engine = ts.SessionEngine.memory(clock)
            await engine.create("s1", CYCLES)
            for op in (engine.pause, engine.resume, engine.switch):
                with self.assertRaises(ts.TasksyncError.InvalidState) as err:
                    await op("s1")
                self.assertIn("it is created", str(err.exception))
            await engine.start("s1")
            with self.assertRaises(ts.TasksyncError.InvalidState):
                await engine.start("s1")
            with self.assertRaises(ts.TasksyncError.InvalidInput):
                await engine.switch("s1", "nope")
            await engine.complete("s1")
            with self.assertRaises(ts.TasksyncError.InvalidState) as err:
                await engine.pause("s1")
            self.assertIn("it is completed", str(err.exception))
            self.assertEqual((await engine.get("s1")).version, 3)

        asyncio.run(run())

    def test_bad_input_and_missing_sessions(self) -> None:
        async def run() -> None:
            engine = ts.SessionEngine.memory(FixedClock(0))
            for cycles in (
                [],
                [ts.Cycle(id="a", name="x"), ts.Cycle(id="a", name="y")],
            ):
                with self.assertRaises(ts.TasksyncError.InvalidInput):
                    await engine.create("s", cycles)
            with self.assertRaises(ts.TasksyncError.NotFound):
                await engine.get("s")
            await engine.create("s", CYCLES)
            with self.assertRaises(ts.TasksyncError.Conflict):
                await engine.create("s", CYCLES)

        asyncio.run(run())

    def test_a_python_store_returning_a_broken_session_is_a_store_error(self) -> None:
        async def run() -> None:
            store = PySessionStore()
            engine = ts.SessionEngine.foreign(store, FixedClock(0))
            await engine.create("s", CYCLES)
            store.sessions["s"].current = 7
            with self.assertRaises(ts.TasksyncError.Store) as err:
                await engine.start("s")
            self.assertIn("inconsistent session", str(err.exception))

        asyncio.run(run())

    def test_server_time_reads_the_given_clock(self) -> None:
        self.assertEqual(ts.server_time(FixedClock(1_234)), ts.ServerTime(now_ms=1_234))
        self.assertGreater(ts.server_time().now_ms, 1_600_000_000_000)


if __name__ == "__main__":
    unittest.main()
