"""The PostgreSQL store through the generated Python bindings, on the machine's server
(DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres): the core's task, job,
session and history suites on `HubStore.postgres`, `SessionEngine.postgres` and
`History.postgres` (each case on a fresh database), one database shared by two hub stores (as
two processes would: tasks, jobs, sessions, history, and the provider gates, so a 429 seen by
one worker pauses the provider for the other), and the URL's password kept out of errors.

Each test creates its own databases (random names, with `psql`) and drops them at the end."""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import unittest
from typing import Awaitable, Callable
from urllib.parse import urlsplit, urlunsplit

import tasksync_ffi as ts
from hosts import FixedClock, PyProvider

SERVER_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")


def psql(sql: str) -> None:
    subprocess.run(
        ["psql", SERVER_URL, "-v", "ON_ERROR_STOP=1", "-q", "-c", sql],
        check=True,
        capture_output=True,
    )


class Databases:
    """Fresh databases on the test server, every one dropped by `drop_all`."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def new(self) -> str:
        name = "tasksync_ffi_" + secrets.token_hex(6)
        psql(f'CREATE DATABASE "{name}"')
        self.names.append(name)
        return urlunsplit(urlsplit(SERVER_URL)._replace(path="/" + name))

    def drop_all(self) -> None:
        """Drops every one, each even if dropping another failed (then raises the first)."""
        failures: list[Exception] = []
        for name in self.names:
            try:
                psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            except Exception as e:
                failures.append(e)
        self.names.clear()
        if failures:
            raise failures[0]


async def failures(
    cases: list[str],
    run: Callable[[str, object], Awaitable[str | None]],
    make: Callable[[], Awaitable[object]],
) -> dict[str, str]:
    out: dict[str, str] = {}
    for name in cases:
        message = await run(name, await make())
        if message is not None:
            out[name] = message
    return out


LISTING = ts.Listing(
    source="files",
    items=[
        ts.DesiredTask(external_id=f"e{i}", kind="task", title=f"T{i}", fields={})
        for i in range(3)
    ],
    complete=True,
)
TARGET = ts.Target(name="files", kind=ts.ProviderKind.PROCESS_STEP, max_attempts=None)


class LimitedProvider(PyProvider):
    """Answers every push with a 429 asking to wait a minute."""

    async def push(self, change: ts.StatusPush) -> ts.PushReceipt:
        self.pushes.append(change)
        raise ts.ProviderError.RateLimited(provider=self.name(), retry_after_ms=60_000)


class Postgres(unittest.TestCase):
    def setUp(self) -> None:
        self.dbs = Databases()

    def tearDown(self) -> None:
        self.dbs.drop_all()

    def test_the_store_passes_the_task_and_job_suites(self) -> None:
        async def run() -> None:
            async def make() -> ts.HubStore:
                return await ts.HubStore.postgres(self.dbs.new(), pool_size=2)

            self.assertEqual(
                await failures(
                    ts.task_store_conformance_cases(), ts.run_task_store_conformance, make
                ),
                {},
            )
            self.assertEqual(
                await failures(
                    ts.job_store_conformance_cases(), ts.run_job_store_conformance, make
                ),
                {},
            )

        asyncio.run(run())

    def test_the_store_passes_the_session_and_history_suites(self) -> None:
        async def run() -> None:
            async def sessions() -> ts.SessionEngine:
                return await ts.SessionEngine.postgres(self.dbs.new(), pool_size=2)

            async def history() -> ts.History:
                return await ts.History.postgres(self.dbs.new(), pool_size=2)

            self.assertEqual(
                await failures(
                    ts.session_store_conformance_cases(),
                    ts.run_session_store_conformance,
                    sessions,
                ),
                {},
            )
            self.assertEqual(
                await failures(
                    ts.history_store_conformance_cases(),
                    ts.run_history_store_conformance,
                    history,
                ),
                {},
            )

        asyncio.run(run())

    def test_two_hub_stores_share_tasks_jobs_sessions_and_history(self) -> None:
        async def run() -> None:
            url = self.dbs.new()
            first = await ts.HubStore.postgres(url)
            self.assertTrue(first.keeps_jobs())
            history = await ts.History.postgres(url)
            engine = ts.SyncEngine(first, history=history)
            await engine.execute(await engine.preview("s", LISTING, ts.default_policy()), True)
            await history.shutdown()
            clock = FixedClock(1_000)
            task_id = ts.hub_id("files", "e0")
            report = await ts.StatusService(first, [TARGET], clock).change_status(
                task_id, ts.Status.PENDING, "kim"
            )
            sessions = await ts.SessionEngine.postgres(url, clock=clock)
            await sessions.create("s1", [ts.Cycle(id="a", name="A")])

            second = await ts.HubStore.postgres(url)
            snap = await second.snapshot("s")
            self.assertEqual((snap.version, len(snap.tasks)), (2, 3))
            [job] = await second.jobs(ts.JobQuery(task_id=task_id))
            self.assertEqual((job.id, job.state), (report.jobs[0].id, ts.JobState.PENDING))
            again = await ts.SessionEngine.postgres(url, clock=clock)
            self.assertEqual((await again.get("s1")).status, ts.SessionStatus.CREATED)
            reader = await ts.History.postgres(url)
            runs = await reader.runs()
            self.assertEqual([r.kind for r in runs.runs], [ts.RunKind.EXECUTE, ts.RunKind.PREVIEW])

        asyncio.run(run())

    def test_a_429_seen_by_one_worker_pauses_the_provider_for_the_other(self) -> None:
        async def run() -> None:
            url = self.dbs.new()
            # Two hub stores: two pools, as two processes on the database would have.
            one, other = await ts.HubStore.postgres(url), await ts.HubStore.postgres(url)
            engine = ts.SyncEngine(one)
            await engine.execute(await engine.preview("s", LISTING, ts.default_policy()), True)
            clock = FixedClock(1_000)
            service = ts.StatusService(one, [TARGET], clock)
            first = ts.hub_id("files", "e0")
            await service.change_status(first, ts.Status.PENDING, "kim")
            config = ts.WorkerConfig(batch=1, concurrency=1)
            limited = LimitedProvider("files")
            worker_a = ts.Worker(one, [limited], ts.WorkerConfig(id="a", batch=1), clock)
            tick = await worker_a.run_once()
            self.assertEqual((tick.claimed, tick.retried), (1, 1))
            self.assertEqual(len(limited.pushes), 1)

            second = ts.hub_id("files", "e1")
            await service.change_status(second, ts.Status.PENDING, "kim")
            counting = PyProvider("files")
            config.id = "b"
            worker_b = ts.Worker(other, [counting], config, clock)
            tick = await worker_b.run_once()
            # Same instant, other pool: the provider is paused, so nothing is sent.
            self.assertEqual(counting.pushes, [])
            self.assertEqual(tick.succeeded, 0)
            self.assertGreaterEqual(tick.deferred, 1)
            [job] = await other.jobs(ts.JobQuery(task_id=second))
            self.assertEqual((job.state, job.attempts), (ts.JobState.PENDING, 0))
            self.assertIn('outcome="deferred"', worker_b.metrics_prometheus())

        asyncio.run(run())

    def test_the_password_never_shows_in_errors(self) -> None:
        async def run() -> None:
            secret = "s3cr3t-Pa55word"
            unreachable = f"postgres://postgres:{secret}@127.0.0.1:1/tasksync"
            makers: list[Callable[[], Awaitable[object]]] = [
                lambda: ts.HubStore.postgres(unreachable),
                lambda: ts.History.postgres(unreachable),
                lambda: ts.SessionEngine.postgres(unreachable),
            ]
            for make in makers:
                with self.assertRaises(ts.TasksyncError.Store) as err:
                    await make()
                self.assertNotIn(secret, str(err.exception))
                self.assertNotIn(secret, repr(err.exception))
            url = self.dbs.new().replace("postgres@", f"postgres:{secret}@", 1)
            store = await ts.HubStore.postgres(url)  # trust authentication ignores it
            self.assertNotIn(secret, repr(store))

        asyncio.run(run())


if __name__ == "__main__":
    unittest.main()
