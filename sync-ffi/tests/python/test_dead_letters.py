"""Dead letters by hand through the generated Python bindings: list (paged), inspect, retry and
discard a dead job with `DeadLetters`, each action audited in the history (`job_retried`,
`job_discarded`, with its actor), refusals for jobs that are not dead or do not exist, and the
plain `HubStore` job methods still working beside it."""

from __future__ import annotations

import asyncio
import json
import unittest

import tasksync_ffi as ts
from hosts import FixedClock, PyProvider

LISTING = ts.Listing(
    source="files",
    items=[
        ts.DesiredTask(external_id="a", kind="task", title="A", fields={}),
        ts.DesiredTask(external_id="b", kind="task", title="B", fields={}),
    ],
    complete=True,
)
KIM = ts.Actor(user="kim", ip="10.0.0.1")
TARGET = ts.Target(name="files", kind=ts.ProviderKind.PROCESS_STEP, max_attempts=None)
CONFIG = ts.WorkerConfig(
    id="w1",
    lease_ms=30_000,
    batch=8,
    concurrency=2,
    dead_policy=ts.DeadPolicy.KEEP_FLAGGED,
)


class DeadLetters(unittest.TestCase):
    def test_retry_and_discard_are_audited_and_refused_when_not_dead(self) -> None:
        async def run() -> None:
            store = ts.HubStore.memory()
            engine = ts.SyncEngine(store)
            await engine.execute(
                await engine.preview("s", LISTING, ts.default_policy()), True
            )
            history = await ts.History.memory()
            clock = FixedClock(1_000)
            provider = PyProvider("files", LISTING)
            provider.reject = True
            service = ts.StatusService(store, [TARGET], clock)
            worker = ts.Worker(store, [provider], CONFIG, clock)
            dead = ts.DeadLetters(store, history, clock)
            a, b = ts.hub_id("files", "a"), ts.hub_id("files", "b")
            await service.change_status(a, ts.Status.PENDING, None)
            await service.change_status(b, ts.Status.PENDING, None)
            self.assertEqual((await worker.run_once()).dead, 2)

            listed = await dead.list()
            self.assertEqual(len(listed), 2)
            first = await dead.list(limit=1)
            rest = await dead.list(after=first[0].id, limit=10)
            self.assertEqual([j.id for j in first + rest], [j.id for j in listed])
            retried_job = next(j for j in listed if j.task_id == a)
            discarded_job = next(j for j in listed if j.task_id == b)
            inspected = await dead.inspect(retried_job.id)
            self.assertEqual(inspected.state, ts.JobState.DEAD)
            self.assertIn("422", inspected.last_error or "")

            clock.now = 2_000
            retried = await dead.retry(retried_job.id, KIM)
            self.assertEqual(retried.state, ts.JobState.PENDING)
            self.assertEqual(retried.run_at, 2_000)
            discarded = await dead.discard(discarded_job.id, ts.Actor(user="ana"))
            self.assertEqual(discarded.state, ts.JobState.DISCARDED)
            # Neither is dead any more: both actions are refused and change nothing.
            with self.assertRaises(ts.TasksyncError.InvalidState):
                await dead.retry(retried_job.id, KIM)
            with self.assertRaises(ts.TasksyncError.InvalidState):
                await dead.discard(discarded_job.id, KIM)
            with self.assertRaises(ts.TasksyncError.NotFound):
                await dead.inspect("no-such-job")
            self.assertEqual(await dead.list(), [])

            provider.reject = False
            self.assertEqual((await worker.run_once()).succeeded, 1)
            self.assertEqual(
                (await store.job(retried_job.id)).state, ts.JobState.SUCCEEDED
            )

            await history.shutdown()
            [entry] = (await history.audit(entity_id=retried_job.id)).entries
            self.assertEqual(entry.action, ts.AuditAction.JOB_RETRIED)
            self.assertEqual(
                (entry.entity_type, entry.at, entry.actor.user, entry.actor.ip),
                ("job", 2_000, "kim", "10.0.0.1"),
            )
            details = json.loads(entry.details)
            self.assertEqual((details["task_id"], details["target"]), (a, "files"))
            [entry] = (await history.audit(entity_id=discarded_job.id)).entries
            self.assertEqual(entry.action, ts.AuditAction.JOB_DISCARDED)
            self.assertEqual(entry.actor.user, "ana")

        asyncio.run(run())

    def test_needs_a_job_keeping_store_and_works_without_history(self) -> None:
        from hosts import PyTaskStore

        with self.assertRaises(ts.TasksyncError.InvalidInput):
            ts.DeadLetters(ts.HubStore.foreign(PyTaskStore()))

        async def run() -> None:
            dead = ts.DeadLetters(ts.HubStore.memory())
            self.assertEqual(await dead.list(), [])
            with self.assertRaises(ts.TasksyncError.NotFound):
                await dead.retry("missing", KIM)

        asyncio.run(run())


if __name__ == "__main__":
    unittest.main()
