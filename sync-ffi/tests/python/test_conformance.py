"""The core's store conformance suites run through the generated Python bindings against
stores written in Python: the task and job suites on a Python queue store
(`HubStore.foreign_queue`), the session suite on the Python session store, the history suite on
the Python history store (blocking and `async def`). Broken variants of the stores must fail
at least one case with a message, so the runners can fail."""

from __future__ import annotations

import asyncio
import copy
import json
import unittest
from typing import Awaitable, Callable

import tasksync_ffi as ts
from hosts import PyQueueStore, PyTaskStore
from test_history_foreign import AsyncPyHistoryStore, PyHistoryStore
from test_sessions import PySessionStore


async def failures(
    cases: list[str],
    run: Callable[[str, object], Awaitable[str | None]],
    make: Callable[[], Awaitable[object]],
) -> dict[str, str]:
    """Runs every case on a fresh store; the failures by case name."""
    out: dict[str, str] = {}
    for name in cases:
        message = await run(name, await make())
        if message is not None:
            out[name] = message
    return out


async def queue_store(store: PyQueueStore) -> ts.HubStore:
    return ts.HubStore.foreign_queue(store, store)


class JobVersionBlind(PyQueueStore):
    """Broken: a job update skips the version check (a late writer overwrites a newer claim)."""

    def _version_ok(self, stored: ts.QueuedJob | None, expected: int) -> bool:
        return stored is not None


class PairBlind(PyQueueStore):
    """Broken: a change set may leave two pending jobs for one (task, target)."""

    def _one_pending_per_pair(self, rows: dict[str, ts.QueuedJob]) -> bool:
        return True


class GuardBlind(PyTaskStore):
    """Broken: `apply` ignores the scope guards."""

    async def apply(self, changes: ts.ChangeSet) -> ts.Applied:
        changes = copy.copy(changes)
        changes.guards = []
        return await super().apply(changes)


class VersionBlind(PySessionStore):
    """Broken: `update` ignores the expected version (no compare-and-swap)."""

    async def update(self, session: ts.Session, expected_version: int) -> None:
        self.sessions[session.id] = copy.deepcopy(session)


class OldestFirst(PyHistoryStore):
    """Broken: lists runs oldest first."""

    def runs(self, query: str) -> str:
        page = json.loads(super().runs(query))
        page["items"].reverse()
        return json.dumps(page)


class Conformance(unittest.TestCase):
    def test_python_task_store_passes_the_task_suite(self) -> None:
        async def run() -> None:
            cases = ts.task_store_conformance_cases()
            self.assertGreaterEqual(len(cases), 10)

            async def plain() -> ts.HubStore:
                return ts.HubStore.foreign(PyTaskStore())

            async def queue() -> ts.HubStore:
                return await queue_store(PyQueueStore())

            for make in (plain, queue):
                self.assertEqual(
                    await failures(cases, ts.run_task_store_conformance, make), {}
                )

        asyncio.run(run())

    def test_python_queue_store_passes_the_job_suite(self) -> None:
        async def run() -> None:
            cases = ts.job_store_conformance_cases()
            self.assertGreaterEqual(len(cases), 10)
            self.assertIn("outbox_is_atomic", cases)
            for fencing in ("a_late_result_of_a_lost_lease_changes_nothing", "job_writes_are_checked"):
                self.assertIn(fencing, cases)

            async def make() -> ts.HubStore:
                return await queue_store(PyQueueStore())

            self.assertEqual(
                await failures(cases, ts.run_job_store_conformance, make), {}
            )

            async def memory() -> ts.HubStore:
                return ts.HubStore.memory()

            self.assertEqual(
                await failures(cases, ts.run_job_store_conformance, memory), {}
            )

        asyncio.run(run())

    def test_python_session_store_passes_the_session_suite(self) -> None:
        async def run() -> None:
            cases = ts.session_store_conformance_cases()
            self.assertGreaterEqual(len(cases), 3)

            async def make() -> ts.SessionEngine:
                return ts.SessionEngine.foreign(PySessionStore())

            self.assertEqual(
                await failures(cases, ts.run_session_store_conformance, make), {}
            )

        asyncio.run(run())

    def test_python_history_stores_pass_the_history_suite(self) -> None:
        async def run() -> None:
            cases = ts.history_store_conformance_cases()
            self.assertGreaterEqual(len(cases), 5)

            async def blocking() -> ts.History:
                return await ts.History.foreign(PyHistoryStore())

            async def non_blocking() -> ts.History:
                return await ts.History.foreign_async(AsyncPyHistoryStore())

            for make in (blocking, non_blocking):
                self.assertEqual(
                    await failures(cases, ts.run_history_store_conformance, make), {}
                )

        asyncio.run(run())

    def test_broken_stores_fail_with_a_message(self) -> None:
        async def run() -> None:
            for broken, words in (
                (JobVersionBlind, "a job update at a stale version was accepted"),
                (PairBlind, "a second pending job for one (task, target) was accepted"),
            ):

                async def make(broken: type[PyQueueStore] = broken) -> ts.HubStore:
                    return await queue_store(broken())

                found = await failures(
                    ts.job_store_conformance_cases(), ts.run_job_store_conformance, make
                )
                self.assertIn("job_writes_are_checked", found, broken.__name__)
                self.assertIn(words, found["job_writes_are_checked"])

            async def guard_blind() -> ts.HubStore:
                return ts.HubStore.foreign(GuardBlind())

            found = await failures(
                ts.task_store_conformance_cases(), ts.run_task_store_conformance, guard_blind
            )
            self.assertIn("scope_guard_is_checked", found)
            self.assertTrue(found["scope_guard_is_checked"])

            async def version_blind() -> ts.SessionEngine:
                return ts.SessionEngine.foreign(VersionBlind())

            found = await failures(
                ts.session_store_conformance_cases(),
                ts.run_session_store_conformance,
                version_blind,
            )
            self.assertTrue(found, "a store without compare-and-swap passed")
            self.assertTrue(all(found.values()))

            async def oldest_first() -> ts.History:
                return await ts.History.foreign(OldestFirst())

            found = await failures(
                ts.history_store_conformance_cases(),
                ts.run_history_store_conformance,
                oldest_first,
            )
            self.assertTrue(found, "a store listing oldest first passed")
            self.assertTrue(all(found.values()))

        asyncio.run(run())

    def test_unknown_case_and_a_store_without_jobs_are_invalid_input(self) -> None:
        async def run() -> None:
            with self.assertRaises(ts.TasksyncError.InvalidInput):
                await ts.run_task_store_conformance("no_such_case", ts.HubStore.memory())
            name = ts.job_store_conformance_cases()[0]
            with self.assertRaises(ts.TasksyncError.InvalidInput):
                await ts.run_job_store_conformance(name, ts.HubStore.foreign(PyTaskStore()))

        asyncio.run(run())


if __name__ == "__main__":
    unittest.main()
