"""Targets and tasks as the core makes them, through the generated Python bindings: a target is
checked by the core (`TargetSpec`: an empty name or source, a zero attempt budget and, in the
JSON form, unknown keys are `InvalidInput` naming them, and nothing is enqueued); a target with
`sources` mirrors other sources' tasks (cross-source), each change reaching every target that
receives its source; `task_from_desired` is exactly the task a sync creates."""

from __future__ import annotations

import asyncio
import unittest

import tasksync_ffi as ts
from hosts import FixedClock, PyProvider

FILES = ts.Listing(
    source="files",
    items=[ts.DesiredTask(external_id="a", kind="task", title="A", fields={"p": "1"})],
    complete=True,
)
NOTES = ts.Listing(
    source="notes",
    items=[ts.DesiredTask(external_id="n", kind="task", title="N", status=ts.Status.PENDING)],
    complete=True,
)
STEP = ts.ProviderKind.PROCESS_STEP


async def seeded(clock: FixedClock) -> ts.HubStore:
    """A memory store holding files/a (scope `s`) and notes/n (scope `n`)."""
    store = ts.HubStore.memory()
    engine = ts.SyncEngine(store, clock)
    for scope, listing in (("s", FILES), ("n", NOTES)):
        await engine.execute(await engine.preview(scope, listing, ts.default_policy()), True)
    return store


class Validation(unittest.TestCase):
    BAD = {
        "an empty name": (ts.Target(name="", kind=STEP), "`name` must not be empty"),
        "zero attempts": (
            ts.Target(name="files", kind=STEP, max_attempts=0),
            "`max_attempts` must be at least 1",
        ),
        "an empty source": (
            ts.Target(name="files", kind=STEP, sources=[""]),
            "`sources` must not contain an empty name",
        ),
        "a huge name": (ts.Target(name="t" * 100_000, kind=STEP), "target name is 100000 bytes"),
    }

    def test_the_status_service_refuses_a_bad_target_and_enqueues_nothing(self) -> None:
        async def run() -> None:
            store = await seeded(FixedClock(1_000))
            good = ts.Target(name="files", kind=STEP)
            for case, (bad, message) in self.BAD.items():
                with self.assertRaises(ts.TasksyncError.InvalidInput, msg=case) as err:
                    ts.StatusService(store, [good, bad])
                self.assertIn(message, str(err.exception), case)
                self.assertLess(len(str(err.exception)), 500, case)
            self.assertEqual(await store.jobs(ts.JobQuery()), [])

        asyncio.run(run())

    def test_the_json_form_is_read_by_the_core_and_refuses_unknown_keys(self) -> None:
        target = ts.target_from_json(
            '{"name": "todo", "kind": "ms_todo", "maxAttempts": 3, "sources": ["files"]}'
        )
        self.assertEqual(
            target,
            ts.Target(
                name="todo", kind=ts.ProviderKind.MS_TODO, max_attempts=3, sources=["files"]
            ),
        )
        for text, message in (
            ('{"name": "t", "kind": "ms_todo", "colour": "red"}', "unknown key `colour` in target"),
            ('{"name": "t", "kind": "fax"}', "unknown value `fax`"),
            ('{"name": "", "kind": "ms_todo"}', "`name` must not be empty"),
            ('{"name": "t", "kind": "ms_todo", "max_attempts": 0}', "at least 1"),
            ('{"name": "t", "kind": "ms_todo", "max_attempts": -1}', "expected u32"),
            ('{"kind": "ms_todo"}', "name"),
            ("{not json", "not valid JSON"),
        ):
            with self.assertRaises(ts.TasksyncError.InvalidInput, msg=text) as err:
                ts.target_from_json(text)
            self.assertIn(message, str(err.exception), text)
        self.assertIn("known keys: name, kind", self._unknown())

    def _unknown(self) -> str:
        try:
            ts.target_from_json('{"name": "t", "kind": "ms_todo", "retries": 2}')
        except ts.TasksyncError.InvalidInput as err:
            return str(err)
        raise AssertionError("an unknown key was accepted")

    def test_the_record_refuses_unknown_keywords(self) -> None:
        with self.assertRaises(TypeError):
            ts.Target(name="files", kind=STEP, retries=3)  # type: ignore[call-arg]


class CrossSource(unittest.TestCase):
    def test_a_target_with_sources_receives_their_tasks(self) -> None:
        async def run() -> None:
            clock = FixedClock(5_000)
            store = await seeded(clock)
            files = ts.Target(name="files", kind=STEP)
            todo = ts.Target(name="todo", kind=ts.ProviderKind.MS_TODO, sources=["files", "notes"])
            service = ts.StatusService(store, [files, todo], clock)
            a, n = ts.hub_id("files", "a"), ts.hub_id("notes", "n")

            from_files = await service.change_status(a, ts.Status.PENDING, None)
            self.assertEqual(sorted(j.target for j in from_files.jobs), ["files", "todo"])
            from_notes = await service.change_status(n, ts.Status.IN_PROGRESS, None)
            self.assertEqual([j.target for j in from_notes.jobs], ["todo"])
            skipped = {d.target: d.skipped for d in from_notes.targets}
            self.assertIsNone(skipped["todo"])
            self.assertIn("`notes`", skipped["files"] or "")

            providers = {"files": PyProvider("files"), "todo": PyProvider("todo")}
            worker = ts.Worker(store, list(providers.values()), ts.WorkerConfig(), clock)
            self.assertEqual((await worker.run_once()).succeeded, 3)
            self.assertEqual(len(providers["files"].pushes), 1)
            todo_pushes = {p.task_id: p for p in providers["todo"].pushes}
            self.assertEqual(set(todo_pushes), {a, n})
            self.assertIn('"status":"inProgress"', todo_pushes[n].payload.replace(" ", ""))
            for task in (a, n):
                statuses = {s.target: s.status for s in await store.sync_status(task)}
                self.assertEqual(set(statuses.values()), {ts.SyncStatus.SYNCED}, task)

        asyncio.run(run())


class TaskFromDesired(unittest.TestCase):
    def test_it_is_the_task_a_sync_creates(self) -> None:
        async def run() -> None:
            store = await seeded(FixedClock(7_000))
            for scope, listing in (("s", FILES), ("n", NOTES)):
                (desired,) = listing.items
                made = ts.task_from_desired(scope, listing.source, desired, 7_000)
                self.assertEqual(made, await store.get(made.id))
                self.assertEqual(made.id, ts.hub_id(listing.source, desired.external_id))
            draft = ts.task_from_desired("s", "files", FILES.items[0], 1)
            self.assertEqual((draft.status, draft.version, draft.created_at), (ts.Status.DRAFT, 1, 1))
            self.assertEqual(draft.base, ts.TaskContent(kind="task", title="A", fields={"p": "1"}))
            bad = ts.DesiredTask(external_id="x", kind="task", title="X", fields={"p": "{"})
            with self.assertRaises(ts.TasksyncError.InvalidInput) as err:
                ts.task_from_desired("s", "files", bad, 0)
            self.assertIn("fields.p", str(err.exception))

        asyncio.run(run())


if __name__ == "__main__":
    unittest.main()
