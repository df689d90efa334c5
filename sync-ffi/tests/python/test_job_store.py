"""The outbound queue on a job store written in Python (`HubStore.foreign_queue`, `async def`
methods driven by the worker), storage only: a status change writes its job into the Python
store with the task, a claim stores what `claimed_job` makes, the worker delivers the job to a
Python provider and the core writes the result back (versioned), dead letters are listed,
requeued and retried by the core, a dead job with the revert policy puts the Python task back
in the same write, a claim the store failed to keep never lets a result land, and what the
Python store raises or returns wrongly arrives as the right TasksyncError."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import io
import unittest

import tasksync_ffi as ts
from hosts import FixedClock, PyProvider, PyQueueStore

LISTING = ts.Listing(
    source="files",
    items=[ts.DesiredTask(external_id="a", kind="task", title="A", fields={"p": "1"})],
    complete=True,
)
TARGET = ts.Target(name="files", kind=ts.ProviderKind.PROCESS_STEP, max_attempts=None)
TASK = ts.hub_id("files", "a")


def config(policy: ts.DeadPolicy = ts.DeadPolicy.KEEP_FLAGGED) -> ts.WorkerConfig:
    return ts.WorkerConfig(
        id="w1", lease_ms=30_000, batch=8, concurrency=2, dead_policy=policy
    )


async def synced(py_store: PyQueueStore) -> ts.HubStore:
    store = ts.HubStore.foreign_queue(py_store, py_store)
    engine = ts.SyncEngine(store)
    await engine.execute(await engine.preview("s", LISTING, ts.default_policy()), True)
    return store


class ClaimDown(PyQueueStore):
    async def claim(self, owner: str, now: int, lease_ms: int, limit: int) -> list:
        raise ts.TasksyncError.Store(detail="job table locked")


class Garbled(PyQueueStore):
    async def claim(self, owner: str, now: int, lease_ms: int, limit: int) -> list:
        jobs = await super().claim(owner, now, lease_ms, limit)
        for job in jobs:
            job.payload = "{not json"
        return jobs


class Unclaimed(PyQueueStore):
    """Returns the jobs it claims without storing the claim (a lost write)."""

    async def claim(self, owner: str, now: int, lease_ms: int, limit: int) -> list:
        saved = copy.deepcopy(self.job_rows)
        jobs = await super().claim(owner, now, lease_ms, limit)
        self.job_rows = saved
        return jobs


class Crashing(PyQueueStore):
    async def next_due(self) -> int | None:
        raise RuntimeError("a bug in the host store")


class HostJobStore(unittest.TestCase):
    def test_status_change_worker_and_dead_letters_through_the_python_store(self) -> None:
        async def run() -> None:
            py_store = PyQueueStore()
            store = await synced(py_store)
            self.assertTrue(store.keeps_jobs())
            clock = FixedClock(1_000)
            provider = PyProvider("files", LISTING)
            service = ts.StatusService(store, [TARGET], clock)
            worker = ts.Worker(store, [provider], config(), clock)

            report = await service.change_status(TASK, ts.Status.PENDING, "kim")
            [job] = report.jobs
            # The job landed in the Python store, in the same apply as the status.
            self.assertEqual(py_store.job_rows[job.id].state, ts.JobState.PENDING)
            self.assertEqual(py_store.tasks[TASK].status, ts.Status.PENDING)
            self.assertEqual(py_store.job_rows[job.id].actor, "kim")
            self.assertEqual(await worker.next_wake(), 1_000)

            self.assertEqual((job.version, job.lease), (1, 0))
            claimed = ts.claimed_job(job, "w9", 1_000, 5_000)
            self.assertEqual(
                (claimed.state, claimed.lease_owner, claimed.lease_until),
                (ts.JobState.RUNNING, "w9", 6_000),
            )
            self.assertEqual((claimed.attempts, claimed.lease, claimed.version), (1, 1, 2))
            self.assertEqual(py_store.job_rows[job.id].state, ts.JobState.PENDING)

            self.assertEqual((await worker.run_once()).succeeded, 1)
            self.assertEqual(provider.pushes[0].idempotency_key, job.id)
            done = py_store.job_rows[job.id]
            self.assertEqual((done.state, done.version, done.lease), (ts.JobState.SUCCEEDED, 3, 1))
            [status] = await store.sync_status(TASK)
            self.assertEqual(status.status, ts.SyncStatus.SYNCED)
            self.assertEqual(await store.job(job.id), py_store.job_rows[job.id])
            self.assertEqual(len(await store.jobs(ts.JobQuery(task_id=TASK))), 1)

            provider.reject = True
            await service.change_status(TASK, ts.Status.IN_PROGRESS, None)
            self.assertEqual((await worker.run_once()).dead, 1)
            [dead] = await store.dead_letters(0)
            self.assertIn("422", dead.last_error or "")
            [status] = await store.sync_status(TASK)
            self.assertEqual(status.status, ts.SyncStatus.FAILED)
            requeued = await store.requeue(dead.id, clock)
            self.assertEqual((requeued.state, requeued.attempts), (ts.JobState.PENDING, 0))
            self.assertEqual((await worker.run_once()).dead, 1)

            history = await ts.History.memory()
            letters = ts.DeadLetters(store, history=history, clock=clock)
            [dead] = await letters.list(None, 10)
            provider.reject = False
            retried = await letters.retry(dead.id, ts.Actor(user="ops"))
            self.assertEqual(retried.state, ts.JobState.PENDING)
            self.assertEqual((await worker.run_once()).succeeded, 1)
            self.assertEqual(await store.dead_letters(0), [])
            self.assertIsNone(await worker.next_wake())
            await history.shutdown()

        asyncio.run(run())

    def test_a_dead_job_reverts_the_python_task(self) -> None:
        async def run() -> None:
            py_store = PyQueueStore()
            store = await synced(py_store)
            clock = FixedClock(1_000)
            provider = PyProvider("files", LISTING)
            provider.reject = True
            service = ts.StatusService(store, [TARGET], clock)
            worker = ts.Worker(
                store, [provider], config(ts.DeadPolicy.REVERT_STATUS), clock
            )
            before = py_store.tasks[TASK].status
            await service.change_status(TASK, ts.Status.PENDING, None)
            self.assertEqual(py_store.tasks[TASK].status, ts.Status.PENDING)
            self.assertEqual((await worker.run_once()).dead, 1)
            self.assertEqual(py_store.tasks[TASK].status, before)

        asyncio.run(run())

    def test_a_result_for_a_claim_the_store_lost_changes_nothing(self) -> None:
        async def run() -> None:
            py_store = Unclaimed()
            store = await synced(py_store)
            clock = FixedClock(1_000)
            service = ts.StatusService(store, [TARGET], clock)
            [job] = (await service.change_status(TASK, ts.Status.PENDING, None)).jobs
            provider = PyProvider("files", LISTING)
            tick = await ts.Worker(store, [provider], config(), clock).run_once()
            self.assertEqual((tick.claimed, tick.lease_lost), (1, 1))
            self.assertEqual(py_store.job_rows[job.id].state, ts.JobState.PENDING)
            self.assertEqual(py_store.job_rows[job.id].version, 1)

        asyncio.run(run())

    def test_refusals_and_failures_map_to_their_kind(self) -> None:
        async def run() -> None:
            py_store = PyQueueStore()
            store = await synced(py_store)
            service = ts.StatusService(store, [TARGET], FixedClock(1_000))
            [job] = (await service.change_status(TASK, ts.Status.PENDING, None)).jobs

            with self.assertRaises(ts.TasksyncError.NotFound):
                await store.requeue("no-such-job", None)
            with self.assertRaises(ts.TasksyncError.NotFound):
                await store.discard("no-such-job", None)
            with self.assertRaises(ts.TasksyncError.InvalidState) as caught:
                await store.requeue(job.id, None)
            self.assertIn("pending", str(caught.exception))

            provider = PyProvider("files", LISTING)
            for broken, kind, words in (
                (ClaimDown, ts.TasksyncError.Store, "job table locked"),
                (Garbled, ts.TasksyncError.Store, "bad job from `claim`"),
            ):
                py = broken()
                hub = await synced(py)
                clock = FixedClock(1_000)
                await ts.StatusService(hub, [TARGET], clock).change_status(
                    TASK, ts.Status.PENDING, None
                )
                worker = ts.Worker(hub, [provider], config(), clock)
                with self.assertRaises(kind, msg=broken.__name__) as caught:
                    await worker.run_once()
                self.assertIn(words, str(caught.exception))

            # An undeclared exception is a host bug: uniffi prints its traceback to stderr
            # (captured here) and it arrives as a Store error with the host's words.
            crashing = ts.Worker(await synced(Crashing()), [provider], config())
            printed = io.StringIO()
            with contextlib.redirect_stderr(printed):
                with self.assertRaises(ts.TasksyncError.Store) as caught:
                    await crashing.next_wake()
            self.assertIn("a bug in the host store", str(caught.exception))
            self.assertIn("RuntimeError", printed.getvalue())

        asyncio.run(run())


if __name__ == "__main__":
    unittest.main()
