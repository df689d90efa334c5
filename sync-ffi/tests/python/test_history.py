"""Sync history through the generated Python bindings: runs recorded by the engine (pump on
the binding's runtime), queries with filters and cursor pagination, a run's items, the audit
log by entity, run context (actor), a cancel token, and the SQLite history store."""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import unittest

import tasksync_ffi as ts
from hosts import FixedClock

LISTING = ts.Listing(
    source="files",
    items=[
        ts.DesiredTask(external_id="a", kind="task", title="A", fields={}),
        ts.DesiredTask(external_id="b", kind="note", title="B", fields={}),
    ],
    complete=True,
)
KIM = ts.RunContext(actor=ts.Actor(user="kim", ip="10.0.0.1"), source_id="files-1")


async def sync_twice(history: ts.History, clock: FixedClock) -> ts.HubStore:
    """A preview at 1_000 by kim, then its execute at 2_000 (anonymous)."""
    store = ts.HubStore.memory()
    engine = ts.SyncEngine(store, clock, history=history)
    plan = await engine.preview_with("s", LISTING, ts.default_policy(), KIM)
    clock.now = 2_000
    report = await engine.execute_with(plan, True)
    assert report.created == 2
    return store


class History(unittest.TestCase):
    def test_runs_items_filters_and_pages(self) -> None:
        async def run() -> None:
            history = await ts.History.memory()
            await sync_twice(history, FixedClock(1_000))
            await history.shutdown()
            stats = history.stats()
            self.assertEqual((stats.queued, stats.dropped, stats.lost), (0, 0, 0))
            self.assertGreater(stats.written, 0)

            page = await history.runs()
            self.assertEqual(
                [r.kind for r in page.runs], [ts.RunKind.EXECUTE, ts.RunKind.PREVIEW]
            )
            self.assertIsNone(page.next)
            execute, preview = page.runs
            self.assertEqual(execute.status, ts.RunStatus.COMPLETED)
            self.assertEqual((execute.started_at, execute.totals.created), (2_000, 2))
            self.assertEqual(execute.by_type["note"].created, 1)
            self.assertEqual(preview.context.actor.user, "kim")
            self.assertEqual(preview.context.source_id, "files-1")
            self.assertIsNone(execute.context.actor.user)
            self.assertEqual(await history.run(execute.id), execute)
            self.assertIsNone(await history.run("run-missing"))

            first = await history.runs(limit=1)
            self.assertEqual([r.id for r in first.runs], [execute.id])
            self.assertIsNotNone(first.next)
            second = await history.runs(after=first.next, limit=1)
            self.assertEqual([r.id for r in second.runs], [preview.id])
            self.assertIsNone(second.next)

            only = await history.runs(kind=ts.RunKind.PREVIEW)
            self.assertEqual([r.id for r in only.runs], [preview.id])
            self.assertEqual((await history.runs(scope="other")).runs, [])
            self.assertEqual((await history.runs(status=ts.RunStatus.FAILED)).runs, [])
            recent = await history.runs(since=1_500, until=3_000)
            self.assertEqual([r.id for r in recent.runs], [execute.id])

            items = await history.items(execute.id)
            self.assertEqual(
                sorted((i.external_id, i.outcome) for i in items.items),
                [("a", ts.ItemOutcome.CREATED), ("b", ts.ItemOutcome.CREATED)],
            )
            paged = await history.items(execute.id, limit=1)
            rest = await history.items(execute.id, after=paged.next)
            self.assertEqual(len(paged.items) + len(rest.items), 2)
            self.assertIsNone(rest.next)

        asyncio.run(run())

    def test_a_cancelled_run_writes_nothing_and_is_recorded_cancelled(self) -> None:
        async def run() -> None:
            history = await ts.History.memory()
            store = ts.HubStore.memory()
            engine = ts.SyncEngine(store, FixedClock(1_000), history=history)
            plan = await engine.preview("s", LISTING, ts.default_policy())
            token = ts.CancelToken()
            token.cancel()
            self.assertTrue(token.is_cancelled())
            with self.assertRaises(ts.TasksyncError.Cancelled):
                await engine.execute_with(plan, True, KIM, token)
            self.assertEqual((await store.snapshot("s")).tasks, [])
            await history.shutdown()
            [cancelled] = (await history.runs(status=ts.RunStatus.CANCELLED)).runs
            self.assertEqual(cancelled.kind, ts.RunKind.EXECUTE)
            self.assertEqual(cancelled.context.actor.user, "kim")
            self.assertEqual((await history.items(cancelled.id)).items, [])

        asyncio.run(run())

    def test_audit_by_entity_records_status_changes_with_their_actor(self) -> None:
        async def run() -> None:
            history = await ts.History.memory()
            clock = FixedClock(1_000)
            store = await sync_twice(history, clock)
            target = ts.Target(
                name="files", kind=ts.ProviderKind.PROCESS_STEP, max_attempts=None
            )
            service = ts.StatusService(store, [target], clock, history=history)
            task_id = ts.hub_id("files", "a")
            clock.now = 3_000
            await service.change_status(task_id, ts.Status.PENDING, "kim")
            await history.shutdown()
            page = await history.audit(entity_id=task_id)
            [entry] = page.entries
            self.assertEqual(entry.action, ts.AuditAction.STATUS_CHANGED)
            self.assertEqual(
                (entry.entity_type, entry.at, entry.actor.user), ("task", 3_000, "kim")
            )
            self.assertEqual(entry.to, "pending")
            self.assertEqual(entry._from, "draft")  # `from` is a Python keyword
            json.loads(entry.details)  # always JSON text (here `null`: no details)
            everything = await history.audit(limit=1)
            self.assertEqual(len(everything.entries), 1)
            self.assertIsNotNone(everything.next)

        asyncio.run(run())

    def test_bad_queries_are_refused_with_invalid_input(self) -> None:
        async def run() -> None:
            history = await ts.History.memory()
            for bad in (
                history.runs(after="not a cursor"),
                history.runs(since=5, until=5),
                history.runs(limit=0),
                history.audit(after="nope"),
                history.items("r", limit=100_000),
            ):
                with self.assertRaises(ts.TasksyncError.InvalidInput):
                    await bad
            with self.assertRaises(ts.TasksyncError.InvalidInput):
                await ts.History.memory(capacity=0)
            await history.shutdown()

        asyncio.run(run())

    def test_sqlite_history_survives_a_reopen(self) -> None:
        async def run(path: str) -> None:
            history = await ts.History.sqlite(path)
            await sync_twice(history, FixedClock(1_000))
            await history.shutdown()
            reopened = await ts.History.sqlite(path)
            runs = (await reopened.runs()).runs
            self.assertEqual(
                [r.kind for r in runs], [ts.RunKind.EXECUTE, ts.RunKind.PREVIEW]
            )
            self.assertEqual(len((await reopened.items(runs[0].id)).items), 2)
            await reopened.shutdown()

        with tempfile.TemporaryDirectory() as tmp:
            asyncio.run(run(os.path.join(tmp, "history.db")))


if __name__ == "__main__":
    unittest.main()
