"""The core's worker loop through uniffi: `Worker.run(stop)` idles until a status change
enqueues a job (the store's wake hint, not a poll: the poll is a day), delivers it, and on
`StopSignal.stop()` returns its totals after the batch in flight."""

from __future__ import annotations

import asyncio
import unittest

import tasksync_ffi as ts
from hosts import PyProvider

LISTING = ts.Listing(
    source="files",
    items=[ts.DesiredTask(external_id="a", kind="task", title="A", fields={})],
    complete=True,
)
TARGET = ts.Target(name="files", kind=ts.ProviderKind.PROCESS_STEP, max_attempts=None)
TASK = ts.hub_id("files", "a")
DAY_MS = 86_400_000


class WorkerLoop(unittest.TestCase):
    def test_run_wakes_on_an_enqueue_and_stops_after_its_batch(self) -> None:
        async def run() -> None:
            store = ts.HubStore.memory()
            engine = ts.SyncEngine(store)
            await engine.execute(await engine.preview("s", LISTING, ts.default_policy()), True)
            provider = PyProvider("files", LISTING)
            worker = ts.Worker(
                store, [provider], ts.WorkerConfig(id="loop", poll_ms=DAY_MS)
            )
            stop = ts.StopSignal()
            self.assertFalse(stop.is_stopped())
            loop = asyncio.ensure_future(worker.run(stop))
            await asyncio.sleep(0.05)
            self.assertEqual(provider.pushes, [], "nothing to deliver yet")
            service = ts.StatusService(store, [TARGET])
            [job] = (await service.change_status(TASK, ts.Status.PENDING, "kim")).jobs
            for _ in range(1_000):
                if provider.pushes:
                    break
                await asyncio.sleep(0.01)
            self.assertEqual([p.idempotency_key for p in provider.pushes], [job.id])
            stop.stop()
            self.assertTrue(stop.is_stopped())
            totals = await asyncio.wait_for(loop, 30)
            self.assertEqual((totals.claimed, totals.succeeded), (1, 1))

        asyncio.run(run())

    def test_a_stopped_signal_ends_run_at_once(self) -> None:
        async def run() -> None:
            worker = ts.Worker(ts.HubStore.memory(), [], ts.WorkerConfig(poll_ms=DAY_MS))
            stop = ts.StopSignal()
            stop.stop()
            totals = await asyncio.wait_for(worker.run(stop), 30)
            self.assertEqual(totals.claimed, 0)

        asyncio.run(run())


if __name__ == "__main__":
    unittest.main()
