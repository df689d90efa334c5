"""The outbound queue and error mapping through the generated Python bindings: a status change
enqueues a job, the worker pushes it to a Python provider, a rejected push becomes a dead letter
that can be requeued, and every failure arrives as a TasksyncError subclass of its kind."""

from __future__ import annotations

import asyncio
import unittest

import tasksync_ffi as ts
from hosts import FixedClock, PyProvider, PyTaskStore

LISTING = ts.Listing(
    source="files",
    items=[ts.DesiredTask(external_id="a", kind="task", title="A", fields={"p": "1"})],
    complete=True,
)


async def synced_store() -> ts.HubStore:
    store = ts.HubStore.memory()
    engine = ts.SyncEngine(store)
    await engine.execute(await engine.preview("s", LISTING, ts.default_policy()), True)
    return store


class Queue(unittest.TestCase):
    def test_status_change_reaches_the_python_provider_and_dead_letters_requeue(
        self,
    ) -> None:
        async def run() -> None:
            store = await synced_store()
            clock = FixedClock(1_000)
            provider = PyProvider("files", LISTING)
            target = ts.Target(
                name="files", kind=ts.ProviderKind.PROCESS_STEP, max_attempts=None
            )
            service = ts.StatusService(store, [target], clock)
            config = ts.WorkerConfig(
                id="w1",
                lease_ms=30_000,
                batch=8,
                concurrency=2,
                dead_policy=ts.DeadPolicy.KEEP_FLAGGED,
            )
            worker = ts.Worker(store, [provider], config, clock)
            task_id = ts.hub_id("files", "a")

            report = await service.change_status(task_id, ts.Status.PENDING, "kim")
            self.assertEqual([j.state for j in report.jobs], [ts.JobState.PENDING])
            self.assertEqual(await worker.next_wake(), 1_000)
            tick = await worker.run_once()
            self.assertEqual(tick.succeeded, 1)
            self.assertEqual(provider.pushes[0].status, ts.Status.PENDING)
            self.assertEqual(provider.pushes[0].idempotency_key, report.jobs[0].id)
            [status] = await store.sync_status(task_id)
            self.assertEqual(status.status, ts.SyncStatus.SYNCED)
            self.assertIn("files", worker.metrics_prometheus())

            provider.reject = True
            await service.change_status(task_id, ts.Status.IN_PROGRESS, None)
            self.assertEqual((await worker.run_once()).dead, 1)
            [dead] = await store.dead_letters(0)
            self.assertIn("422", dead.last_error or "")
            self.assertEqual(
                (await store.requeue(dead.id, clock)).state, ts.JobState.PENDING
            )
            provider.reject = False
            self.assertEqual((await worker.run_once()).succeeded, 1)
            self.assertEqual(len(await store.dead_letters(0)), 0)

        asyncio.run(run())


class Errors(unittest.TestCase):
    def test_each_failure_is_its_kind(self) -> None:
        async def run() -> None:
            py_store = PyTaskStore()
            engine = ts.SyncEngine(ts.HubStore.foreign(py_store))
            plan = await engine.preview("s", LISTING, ts.default_policy())
            with self.assertRaises(ts.TasksyncError.NotConfirmed):
                await engine.execute(plan, False)
            await engine.execute(plan, True)
            with self.assertRaises(ts.TasksyncError.StalePlan):
                await engine.execute(plan, True)
            bad = ts.DesiredTask(
                external_id="x", kind="task", title="X", fields={"p": "{oops"}
            )
            listing = ts.Listing(source="files", items=[bad], complete=True)
            with self.assertRaises(ts.TasksyncError.InvalidInput):
                await engine.preview("s", listing, ts.default_policy())
            with self.assertRaises(ts.TasksyncError.InvalidInput):
                ts.StatusService(ts.HubStore.foreign(py_store), [], None)
            with self.assertRaises(ts.TasksyncError.Provider):
                await engine.preview_from(
                    PyProvider("files", None), "s", ts.default_policy()
                )
            with self.assertRaises(ts.TasksyncError.NotFound):
                service = ts.StatusService(ts.HubStore.memory(), [], None)
                await service.change_status("nope", ts.Status.PENDING, None)
            self.assertEqual(py_store.applies, 1)

        asyncio.run(run())

    def test_a_python_exception_in_the_store_does_not_crash(self) -> None:
        class Broken(PyTaskStore):
            async def snapshot(self, scope: str) -> ts.ScopeSnapshot:
                raise RuntimeError("disk on fire")

        async def run() -> None:
            engine = ts.SyncEngine(ts.HubStore.foreign(Broken()))
            with self.assertRaises(ts.TasksyncError.Store) as caught:
                await engine.preview("s", LISTING, ts.default_policy())
            self.assertIn("disk on fire", str(caught.exception))

        asyncio.run(run())

    def test_a_plan_travels_as_json(self) -> None:
        async def run() -> None:
            engine = ts.SyncEngine(ts.HubStore.memory())
            plan = await engine.preview("s", LISTING, ts.default_policy())
            again = ts.Plan.from_json(plan.to_json())
            self.assertEqual((await engine.execute(again, True)).created, 1)
            with self.assertRaises(ts.TasksyncError.InvalidInput):
                ts.Plan.from_json("{}")

        asyncio.run(run())


if __name__ == "__main__":
    unittest.main()
