"""Events through a Python EventSink: the sync engine's sync_executed, the status service's
status_changed and job_changed, and the worker's job_changed, as the core's JSON."""

from __future__ import annotations

import asyncio
import json
import unittest

import tasksync_ffi as ts
from hosts import FixedClock, PyProvider

LISTING = ts.Listing(
    source="files",
    items=[ts.DesiredTask(external_id="a", kind="task", title="A", fields={})],
    complete=True,
)


class Collect(ts.EventSink):
    def __init__(self) -> None:
        self.events: list[dict] = []

    def emit(self, event_json: str) -> None:
        self.events.append(json.loads(event_json))

    def take(self) -> list[dict]:
        out, self.events = self.events, []
        return out


class Events(unittest.TestCase):
    def test_engine_status_service_and_worker_emit_to_the_python_sink(self) -> None:
        async def run() -> None:
            events = Collect()
            clock = FixedClock(1_000)
            store = ts.HubStore.memory()
            engine = ts.SyncEngine(store, clock, events)
            plan = await engine.preview("s", LISTING, ts.default_policy())
            preview = events.take()
            self.assertEqual(
                [e["type"] for e in preview], ["run_started", "run_finished"]
            )
            self.assertEqual(preview[0]["kind"], "preview")
            await engine.execute(plan, True)
            executed = events.take()
            self.assertEqual(
                [e["type"] for e in executed],
                ["run_started", "run_item", "sync_executed", "run_finished"],
            )
            item, synced = executed[1], executed[2]
            self.assertEqual((item["external_id"], item["outcome"]), ("a", "created"))
            self.assertEqual(
                (synced["scope"], synced["created"], synced["at"]), ("s", 1, 1_000)
            )
            self.assertEqual(executed[3]["totals"]["created"], 1)

            target = ts.Target(
                name="files", kind=ts.ProviderKind.PROCESS_STEP, max_attempts=None
            )
            service = ts.StatusService(store, [target], clock, events)
            task_id = ts.hub_id("files", "a")
            await service.change_status(task_id, ts.Status.PENDING, "kim")
            kinds = [e["type"] for e in events.events]
            self.assertIn("status_changed", kinds)
            changed = next(e for e in events.events if e["type"] == "status_changed")
            self.assertEqual(
                (changed["actor"], changed["change"]["task_id"]), ("kim", task_id)
            )
            enqueued = [e for e in events.take() if e["type"] == "job_changed"]
            self.assertEqual([e["state"] for e in enqueued], ["pending"])

            config = ts.WorkerConfig(
                id="w1",
                lease_ms=30_000,
                batch=8,
                concurrency=1,
                dead_policy=ts.DeadPolicy.KEEP_FLAGGED,
            )
            worker = ts.Worker(
                store, [PyProvider("files", LISTING)], config, clock, events
            )
            self.assertEqual((await worker.run_once()).succeeded, 1)
            states = [(e["type"], e["state"]) for e in events.take()]
            self.assertEqual(states[-1], ("job_changed", "succeeded"))
            self.assertTrue(all(t == "job_changed" for t, _ in states))

        asyncio.run(run())

    def test_a_sink_that_raises_does_not_fail_the_operation(self) -> None:
        class Broken(ts.EventSink):
            def emit(self, event_json: str) -> None:
                raise RuntimeError("sink down")

        async def run() -> None:
            engine = ts.SessionEngine.memory(FixedClock(5), Broken())
            session = await engine.create("s", [ts.Cycle(id="a", name="A")])
            self.assertEqual(session.version, 1)
            self.assertEqual((await engine.start("s")).status, ts.SessionStatus.RUNNING)

        asyncio.run(run())


if __name__ == "__main__":
    unittest.main()
