"""Bad input through the generated Python bindings: options records refuse unknown keywords,
sizes over the core's limits are refused and nothing is stored, a corrupt session from a Python
session store is a store error, and a Python clock that raises or answers a wrong type is a
typed error (no Rust panic on stderr)."""

from __future__ import annotations

import asyncio
import copy
import os
import tempfile
import unittest
from collections.abc import Callable
from typing import Any

import tasksync_ffi as ts
from hosts import FixedClock
from test_sessions import CYCLES, PySessionStore


def stderr_of(fn: Callable[[], Any]) -> str:
    """What `fn` writes to the process's stderr (file descriptor 2, where Rust panics go)."""
    with tempfile.TemporaryFile(mode="w+b") as sink:
        saved = os.dup(2)
        os.dup2(sink.fileno(), 2)
        try:
            fn()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        sink.seek(0)
        return sink.read().decode(errors="replace")


class RaisingClock(ts.Clock):
    def now_ms(self) -> int:
        raise RuntimeError("the clock is broken")


class WrongClock(ts.Clock):
    def now_ms(self) -> Any:
        return "soon"


class RowSessionStore(ts.SessionStore):
    """A host session store keeping each session as a document (a dict of its fields) and
    building the `Session` record from it on every read, as a store over a document database
    would; it refuses every write (the tests only read)."""

    def __init__(self, rows: dict[str, dict[str, Any]]) -> None:
        self.rows = rows

    async def get(self, id: str) -> ts.Session | None:
        row = self.rows.get(id)
        if row is None:
            return None
        fields = {**row, "cycles": [ts.Cycle(**c) for c in row["cycles"]]}
        return ts.Session(**fields)

    async def insert(self, session: ts.Session) -> None:
        raise AssertionError("never written")

    async def update(self, session: ts.Session, expected_version: int) -> None:
        raise AssertionError("never written")

    async def delete(self, id: str, expected_version: int) -> None:
        raise AssertionError("never deleted")


class BadInput(unittest.TestCase):
    def test_options_records_refuse_unknown_keywords(self) -> None:
        policy = ts.default_policy()
        for make in (
            lambda: ts.Policy(**{**vars(policy), "force_delete": True}),
            lambda: ts.Limits(**{**vars(ts.default_limits()), "max_items": 1}),
            lambda: ts.Cycle(id="a", name="A", colour="red"),
        ):
            with self.assertRaises(TypeError):
                make()

    def test_a_ten_megabyte_session_id_is_refused_and_nothing_is_stored(self) -> None:
        async def run() -> None:
            store = PySessionStore()
            engine = ts.SessionEngine.foreign(store, FixedClock(0))
            huge = "s" * (10 * 1024 * 1024)
            with self.assertRaises(ts.TasksyncError.InvalidInput) as err:
                await engine.create(huge, CYCLES)
            self.assertIn("session id is 10485760 bytes long", str(err.exception))
            self.assertLess(len(str(err.exception)), 500)
            with self.assertRaises(ts.TasksyncError.InvalidInput):
                await engine.start(huge)
            self.assertEqual(store.sessions, {})

        asyncio.run(run())

    def test_cycle_counts_are_limited_and_the_limit_can_be_raised(self) -> None:
        async def run() -> None:
            many = [ts.Cycle(id=str(i), name="c") for i in range(1001)]
            engine = ts.SessionEngine.memory(FixedClock(0))
            with self.assertRaises(ts.TasksyncError.InvalidInput) as err:
                await engine.create("s", many)
            self.assertIn("max_cycles", str(err.exception))
            limits = ts.default_limits()
            limits.max_cycles = 2000
            raised = ts.SessionEngine.memory(FixedClock(0), None, limits)
            self.assertEqual(len((await raised.create("s", many)).cycles), 1001)

        asyncio.run(run())

    def test_listing_size_is_limited_and_configurable(self) -> None:
        async def run() -> None:
            items = [
                ts.DesiredTask(
                    external_id=str(i),
                    kind="task",
                    title="t",
                    status=None,
                    parent=None,
                    fields={},
                    modified_at=None,
                )
                for i in range(3)
            ]
            listing = ts.Listing(source="files", items=items, complete=True)
            limits = ts.default_limits()
            limits.max_listing_items = 2
            engine = ts.SyncEngine(ts.HubStore.memory(), None, None, None, limits)
            with self.assertRaises(ts.TasksyncError.InvalidInput) as err:
                await engine.preview("s", listing, ts.default_policy())
            self.assertIn("max_listing_items", str(err.exception))

        asyncio.run(run())

    def test_a_corrupt_session_from_a_python_store_is_a_store_error(self) -> None:
        corruptions: dict[str, Callable[[ts.Session], None]] = {
            "current out of range": lambda s: setattr(s, "current", 2**64 - 1),
            "too few cycle times": lambda s: setattr(s, "cycle_ms", [0]),
            "no cycles": lambda s: setattr(s, "cycles", []),
            "overflowing times": lambda s: setattr(s, "cycle_ms", [2**64 - 1] * 3),
            "negative span": lambda s: setattr(s, "started_at", 2**62),
            "version at its end": lambda s: setattr(s, "version", 2**64 - 1),
        }

        async def run() -> None:
            for case, corrupt in corruptions.items():
                store = PySessionStore()
                engine = ts.SessionEngine.foreign(store, FixedClock(1_000))
                await engine.create("s", CYCLES)
                await engine.start("s")
                corrupt(store.sessions["s"])
                bad = copy.deepcopy(store.sessions["s"])
                for op in (engine.switch, engine.pause, engine.complete, engine.state, engine.get):
                    with self.assertRaises(ts.TasksyncError.Store, msg=case):
                        await op("s")
                self.assertEqual(store.sessions["s"], bad, case)

        asyncio.run(run())

    def test_corrupt_rows_of_a_document_session_store_are_typed_errors_without_a_panic(
        self,
    ) -> None:
        """A host store keeping sessions as documents (dicts) builds each `Session` from its
        row: a row with an unknown key (of the session or of a cycle) or a value of the wrong
        type never becomes a session, and a row that does is still checked by the core."""
        max_u64 = 2**64 - 1
        corruptions: dict[str, dict[str, Any]] = {
            "an unknown key": {"colour": "red"},
            "an unknown cycle key": {"cycles": [{"id": "a", "name": "A", "colour": "red"}] * 3},
            "a wrong type": {"current": "one"},
            "a negative time": {"paused_ms": -5},
            "current out of range": {"current": 9},
            "index at the end of u64": {"current": max_u64},
            "overflowing times": {"cycle_ms": [max_u64] * 3},
        }

        async def make_row() -> dict[str, Any]:
            engine = ts.SessionEngine.memory(FixedClock(1_000))
            await engine.create("s", CYCLES)
            await engine.start("s")
            row = dict(vars(await engine.get("s")))
            row["cycles"] = [dict(vars(c)) for c in row["cycles"]]
            return row

        async def run() -> None:
            good = await make_row()
            for case, change in corruptions.items():
                store = RowSessionStore({"s": {**copy.deepcopy(good), **change}})
                before = copy.deepcopy(store.rows)
                engine = ts.SessionEngine.foreign(store, FixedClock(2_000))
                for op in (engine.switch, engine.pause, engine.complete, engine.state, engine.get):
                    with self.assertRaises(ts.TasksyncError.Store, msg=case):
                        await op("s")
                self.assertEqual(store.rows, before, case)
            # The same store serves a consistent row.
            engine = ts.SessionEngine.foreign(RowSessionStore({"s": good}), FixedClock(2_000))
            self.assertEqual((await engine.state("s")).running_ms, 1_000)

        err = stderr_of(lambda: asyncio.run(run()))
        self.assertNotIn("panicked", err)

    def test_a_failing_python_clock_is_a_typed_error_without_a_panic(self) -> None:
        for clock in (RaisingClock(), WrongClock()):
            store = PySessionStore()
            engine = ts.SessionEngine.foreign(store, clock)

            def create(engine: ts.SessionEngine = engine) -> None:
                async def run() -> None:
                    with self.assertRaises(ts.TasksyncError.Store) as err:
                        await engine.create("s", CYCLES)
                    self.assertIn("the host clock failed", str(err.exception))

                asyncio.run(run())

            err = stderr_of(create)
            self.assertNotIn("panicked", err)
            self.assertEqual(store.sessions, {})
            with self.assertRaises(ts.TasksyncError.Store):
                ts.server_time(clock)


if __name__ == "__main__":
    unittest.main()
