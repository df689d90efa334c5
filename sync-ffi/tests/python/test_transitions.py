"""The core's state machine, status mappings and clocks through the generated Python bindings:
`TransitionRules` (the default table, the core's JSON form with unknown keys refused, `plan`
with its refusal, and a status service using custom rules), `StatusMapping` both ways,
`status_is_terminal`, and `ManualClock`/`SystemClock` as the `Clock` engines take."""

from __future__ import annotations

import asyncio
import json
import unittest

import tasksync_ffi as ts

DESIRED = ts.DesiredTask(external_id="a", kind="task", title="A")


class Transitions(unittest.TestCase):
    def test_default_rules_plan_and_refuse(self) -> None:
        rules = ts.TransitionRules()
        self.assertTrue(rules.allows(ts.Status.DRAFT, ts.Status.PENDING))
        self.assertFalse(rules.allows(ts.Status.DRAFT, ts.Status.COMPLETED))
        task = ts.task_from_desired("s", "files", DESIRED, 0)
        (change,) = rules.plan(task, ts.Status.PENDING)
        self.assertEqual((change._from, change.to, change.cause), (ts.Status.DRAFT, ts.Status.PENDING, None))
        with self.assertRaises(ts.TasksyncError.InvalidTransition):
            rules.plan(task, ts.Status.COMPLETED)
        self.assertTrue(ts.status_is_terminal(ts.Status.CANCELLED))
        self.assertFalse(ts.status_is_terminal(ts.Status.BLOCKED))

    def test_custom_rules_from_json_drive_the_status_service(self) -> None:
        async def run() -> None:
            table = json.loads(ts.TransitionRules().to_json())
            table["allowed"] = [e for e in table["allowed"] if e != ["draft", "pending"]]
            rules = ts.TransitionRules.from_json(json.dumps(table))
            self.assertFalse(rules.allows(ts.Status.DRAFT, ts.Status.PENDING))
            store = ts.HubStore.memory()
            engine = ts.SyncEngine(store)
            listing = ts.Listing(source="files", items=[DESIRED], complete=True)
            await engine.execute(await engine.preview("s", listing, ts.default_policy()), True)
            service = ts.StatusService(store, [], rules=rules)
            with self.assertRaises(ts.TasksyncError.InvalidTransition):
                await service.change_status(ts.hub_id("files", "a"), ts.Status.PENDING, None)
            with self.assertRaises(ts.TasksyncError.InvalidInput) as err:
                ts.TransitionRules.from_json('{"allowed": [], "colour": 1}')
            self.assertIn("unknown key `colour`", str(err.exception))

        asyncio.run(run())

    def test_a_status_mapping_both_ways(self) -> None:
        todo = ts.StatusMapping(ts.ProviderKind.MS_TODO)
        mapped = todo.to_provider(ts.Status.COMPLETED, '{"status": "notStarted"}', 0)
        self.assertEqual(json.loads(mapped.payload)["status"], "completed")
        self.assertEqual(todo.from_provider(mapped.payload), ts.Status.COMPLETED)
        self.assertEqual(todo.from_provider(mapped.undo), ts.Status.PENDING)
        self.assertIsNone(todo.from_provider('{"status": "unheard of"}'))
        with self.assertRaises(ts.TasksyncError.InvalidInput):
            todo.from_provider("{not json")


class Clocks(unittest.TestCase):
    def test_the_cores_clocks_drive_an_engine(self) -> None:
        async def run() -> None:
            clock = ts.ManualClock(5)
            clock.advance(10)
            self.assertEqual(clock.now_ms(), 15)
            clock.set(1_000)
            sessions = ts.SessionEngine.memory(clock.as_clock())
            created = await sessions.create("s", [ts.Cycle(id="a", name="A")])
            self.assertEqual(created.created_at, 1_000)
            self.assertGreater(ts.SystemClock().now_ms(), 1_700_000_000_000)
            self.assertGreater(ts.SystemClock().as_clock().now_ms(), 1_700_000_000_000)

        asyncio.run(run())


if __name__ == "__main__":
    unittest.main()
