"""The queue's rules through the generated Python bindings: a `WorkerConfig` left empty takes
the core's defaults (the first call and 5 retries after 1, 2, 4, 8 and 16 s, then dead), a
worker budget applies when the target sets none, durations of 2^63 ms and more are refused or
clamped, a discarded job shows as `DISCARDED`, a change no target receives says why, and the
provider gates of a built-in store are shared by its workers (a 429 one sees pauses the
provider for another), while each worker on a host store keeps its own."""

from __future__ import annotations

import asyncio
import os
import tempfile
import unittest

import tasksync_ffi as ts
from hosts import FixedClock, PyQueueStore

LISTING = ts.Listing(
    source="files",
    items=[
        ts.DesiredTask(external_id=x, kind="task", title=x.upper(), fields={})
        for x in ("a", "b")
    ],
    complete=True,
)
NO_BUDGET = ts.Target(name="files", kind=ts.ProviderKind.PROCESS_STEP, max_attempts=None)
HUGE = [2**63, 2**64 - 1]
DAY = 86_400_000


class Failing(ts.Provider):
    """A provider that answers every push with `error` and notes when it was called."""

    def __init__(self, clock: FixedClock, error: ts.ProviderError) -> None:
        self.clock = clock
        self.error = error
        self.calls: list[int] = []

    def name(self) -> str:
        return "files"

    async def list(self, scope: str) -> ts.Listing:
        return LISTING

    async def push(self, change: ts.StatusPush) -> ts.PushReceipt:
        self.calls.append(self.clock.now)
        raise self.error

    async def refresh_token(self) -> None:
        return None


def unavailable() -> ts.ProviderError:
    return ts.ProviderError.Unavailable(provider="files", status=503, detail="busy")


async def seeded(store: ts.HubStore) -> ts.HubStore:
    """`store`, holding the draft tasks a and b."""
    engine = ts.SyncEngine(store)
    await engine.execute(await engine.preview("s", LISTING, ts.default_policy()), True)
    return store


async def stores() -> list[ts.HubStore]:
    """A memory, a SQLite and a Python queue store, each holding the draft tasks a and b."""
    py = PyQueueStore()
    path = os.path.join(tempfile.mkdtemp(), "hub.db")
    kinds = [ts.HubStore.memory(), ts.HubStore.sqlite(path), ts.HubStore.foreign_queue(py, py)]
    return [await seeded(store) for store in kinds]


async def drain(worker: ts.Worker, clock: FixedClock) -> None:
    for _ in range(1_000):
        if (await worker.run_once()).claimed:
            continue
        wake = await worker.next_wake()
        if wake is None:
            return
        clock.now = max(wake, clock.now)
    raise AssertionError("the queue never drained")


class Defaults(unittest.TestCase):
    def test_an_empty_config_retries_after_1_2_4_8_16_s_then_dies(self) -> None:
        async def run() -> None:
            for store in await stores():
                clock = FixedClock(1_000_000)
                service = ts.StatusService(store, [NO_BUDGET], clock)
                a = ts.hub_id("files", "a")
                (job,) = (await service.change_status(a, ts.Status.PENDING, None)).jobs
                self.assertIsNone(job.max_attempts)
                provider = Failing(clock, unavailable())
                await drain(ts.Worker(store, [provider], ts.WorkerConfig(), clock), clock)
                calls = provider.calls
                gaps = [b - a for a, b in zip(calls, calls[1:])]
                self.assertEqual(calls[0], 1_000_000)
                self.assertEqual(gaps, [1_000, 2_000, 4_000, 8_000, 16_000])
                dead = await store.job(job.id)
                assert dead is not None
                self.assertEqual((dead.state, dead.attempts), (ts.JobState.DEAD, 6))

        asyncio.run(run())

    def test_the_worker_budget_applies_when_the_target_sets_none(self) -> None:
        async def run() -> None:
            store = await seeded(ts.HubStore.memory())
            clock = FixedClock(1_000)
            own = ts.Target(name="files", kind=ts.ProviderKind.PROCESS_STEP, max_attempts=2)
            a, b = ts.hub_id("files", "a"), ts.hub_id("files", "b")
            await ts.StatusService(store, [NO_BUDGET], clock).change_status(
                a, ts.Status.PENDING, None
            )
            await ts.StatusService(store, [own], clock).change_status(
                b, ts.Status.PENDING, None
            )
            config = ts.WorkerConfig(backoff=ts.Backoff(max_attempts=3))
            worker = ts.Worker(store, [Failing(clock, unavailable())], config, clock)
            await drain(worker, clock)
            jobs = await store.jobs(ts.JobQuery())
            got = {j.task_id: (j.state, j.attempts) for j in jobs}
            self.assertEqual(got, {a: (ts.JobState.DEAD, 3), b: (ts.JobState.DEAD, 2)})
            with self.assertRaises(ts.TasksyncError.InvalidInput):
                bad = ts.Target(name="files", kind=ts.ProviderKind.PROCESS_STEP, max_attempts=0)
                ts.StatusService(store, [bad], None)

        asyncio.run(run())


class Recording(ts.Provider):
    """Delivers and records the ids it was sent."""

    def __init__(self) -> None:
        self.pushed: list[str] = []

    def name(self) -> str:
        return "files"

    async def list(self, scope: str) -> ts.Listing:
        return LISTING

    async def push(self, change: ts.StatusPush) -> ts.PushReceipt:
        self.pushed.append(change.idempotency_key)
        return ts.PushReceipt(remote="{}")

    async def refresh_token(self) -> None:
        return None


class SharedGates(unittest.TestCase):
    def test_a_429_on_one_worker_pauses_the_provider_for_the_others_on_the_store(self) -> None:
        async def run() -> None:
            limited = ts.ProviderError.RateLimited(provider="files", retry_after_ms=60_000)
            for store, shared in zip(await stores(), (True, True, False)):
                clock = FixedClock(1_000)
                service = ts.StatusService(store, [NO_BUDGET], clock)
                for x in ("a", "b"):
                    await service.change_status(ts.hub_id("files", x), ts.Status.PENDING, None)
                one = ts.Worker(store, [Failing(clock, limited)], ts.WorkerConfig(batch=1), clock)
                self.assertEqual((await one.run_once()).retried, 1)
                recording = Recording()
                config = ts.WorkerConfig(id="other", batch=1, heartbeat_ms=10, poll_ms=50)
                other = ts.Worker(store, [recording], config, clock)
                tick = await other.run_once()
                if shared:
                    self.assertEqual((tick.succeeded, tick.deferred), (0, 1))
                    self.assertEqual(recording.pushed, [])
                    clock.now += 60_001
                    self.assertEqual((await other.run_once()).succeeded, 1)
                else:
                    self.assertEqual(tick.succeeded, 1)
                self.assertEqual(len(recording.pushed), 1)
                self.assertEqual(await other.heartbeat(), 0)  # nothing in flight

        asyncio.run(run())


class Durations(unittest.TestCase):
    def test_huge_durations_are_refused_in_the_config(self) -> None:
        store = ts.HubStore.memory()
        self.assertEqual(ts.max_delay_ms(), DAY)
        for value in HUGE:
            for field, config in (
                ("lease_ms", ts.WorkerConfig(lease_ms=value)),
                ("breaker.open_ms", ts.WorkerConfig(breaker=ts.BreakerConfig(open_ms=value))),
                ("backoff.max_ms", ts.WorkerConfig(backoff=ts.Backoff(max_ms=value))),
                ("backoff.base_ms", ts.WorkerConfig(backoff=ts.Backoff(base_ms=value))),
                ("heartbeat_ms", ts.WorkerConfig(heartbeat_ms=value)),
                ("poll_ms", ts.WorkerConfig(poll_ms=value)),
            ):
                with self.assertRaises(ts.TasksyncError.InvalidInput) as caught:
                    ts.Worker(store, [], config, None)
                self.assertIn(f"`{field}`", str(caught.exception))

    def test_a_huge_retry_after_waits_a_day(self) -> None:
        async def run() -> None:
            for value in HUGE:
                store = await seeded(ts.HubStore.memory())
                clock = FixedClock(1_000_000)
                service = ts.StatusService(store, [NO_BUDGET], clock)
                a, b = ts.hub_id("files", "a"), ts.hub_id("files", "b")
                (ja,) = (await service.change_status(a, ts.Status.PENDING, None)).jobs
                (jb,) = (await service.change_status(b, ts.Status.PENDING, None)).jobs
                limited = ts.ProviderError.RateLimited(provider="files", retry_after_ms=value)
                config = ts.WorkerConfig(batch=1, concurrency=1)
                worker = ts.Worker(store, [Failing(clock, limited)], config, clock)
                self.assertEqual((await worker.run_once()).retried, 1)
                self.assertEqual((await worker.run_once()).deferred, 1, "the provider paused")
                for job in (ja, jb):
                    stored = await store.job(job.id)
                    assert stored is not None
                    self.assertEqual(stored.run_at, 1_000_000 + DAY, value)

        asyncio.run(run())


class Statuses(unittest.TestCase):
    def test_a_discarded_job_shows_as_discarded(self) -> None:
        async def run() -> None:
            for store in await stores():
                clock = FixedClock(0)
                a = ts.hub_id("files", "a")
                service = ts.StatusService(store, [NO_BUDGET], clock)
                (job,) = (await service.change_status(a, ts.Status.PENDING, None)).jobs
                refused = ts.ProviderError.Rejected(provider="files", status=403, detail="no")
                worker = ts.Worker(store, [Failing(clock, refused)], ts.WorkerConfig(), clock)
                self.assertEqual((await worker.run_once()).dead, 1)
                (status,) = await store.sync_status(a)
                self.assertEqual(status.status, ts.SyncStatus.FAILED)
                await store.discard(job.id, clock)
                (status,) = await store.sync_status(a)
                self.assertEqual(status.status, ts.SyncStatus.DISCARDED)
            self.assertEqual(ts.sync_status_of(ts.JobState.DISCARDED), ts.SyncStatus.DISCARDED)

        asyncio.run(run())

    def test_a_change_no_target_receives_says_why(self) -> None:
        async def run() -> None:
            store = await seeded(ts.HubStore.memory())
            todo = ts.Target(name="todo", kind=ts.ProviderKind.MS_TODO, max_attempts=None)
            a = ts.hub_id("files", "a")
            report = await ts.StatusService(store, [todo], None).change_status(
                a, ts.Status.PENDING, None
            )
            self.assertEqual(report.jobs, [])
            (decision,) = report.targets
            self.assertEqual((decision.target, decision.job_id), ("todo", None))
            self.assertIn("`files`", decision.skipped or "")
            mirror = ts.Target(
                name="todo", kind=ts.ProviderKind.MS_TODO, max_attempts=None, sources=["files"]
            )
            sent = await ts.StatusService(store, [mirror], None).change_status(
                a, ts.Status.IN_PROGRESS, None
            )
            self.assertEqual([t.job_id for t in sent.targets], [sent.jobs[0].id])

        asyncio.run(run())


if __name__ == "__main__":
    unittest.main()
