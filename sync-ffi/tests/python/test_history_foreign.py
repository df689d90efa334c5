"""A history store implemented in Python (`History.foreign`): runs, items and audit entries
arrive as JSON batches, the queries (filters, cursor pages) are answered by the Python store in
the core's shapes, a store that raises never fails a sync (the loss is counted), and a failing
or malformed query answer is a `Store` error. The same store with `async def` methods
(`History.foreign_async`) is written by the pump from a tokio thread once the bindings know the
event loop (`uniffi_set_event_loop`)."""

from __future__ import annotations

import asyncio
import json
import unittest
from typing import Any

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
KIM = ts.RunContext(actor=ts.Actor(user="kim"), source_id="files-1")


def newest_first(
    rows: list[dict[str, Any]], time_key: str, query: dict[str, Any]
) -> str:
    """A page in the core's contract: (time, id) descending, strictly after the cursor."""
    rows = sorted(rows, key=lambda r: (r[time_key], r["id"]), reverse=True)
    after = query.get("after")
    if after is not None:
        rows = [r for r in rows if (r[time_key], r["id"]) < (after["at"], after["id"])]
    page = rows[: query["limit"]]
    more = len(rows) > query["limit"]
    nxt = {"at": page[-1][time_key], "id": page[-1]["id"]} if more else None
    return json.dumps({"items": page, "next": nxt})


class PyHistoryStore(ts.HistoryStore):
    """History kept as JSON documents in dicts."""

    def __init__(self) -> None:
        self.runs_by_id: dict[str, dict[str, Any]] = {}
        self.items_by_key: dict[tuple[str, int], dict[str, Any]] = {}
        self.entries: dict[str, dict[str, Any]] = {}
        self.writes = 0

    def write(self, batch: str) -> None:
        parsed = json.loads(batch)
        for run in parsed["runs"]:
            self.runs_by_id[run["id"]] = run
        for group in parsed["items"]:
            for item in group["items"]:
                self.items_by_key[(group["run_id"], item["seq"])] = item
        for entry in parsed["audit"]:
            self.entries[entry["id"]] = entry
        self.writes += 1

    def run(self, id: str) -> str | None:
        run = self.runs_by_id.get(id)
        return None if run is None else json.dumps(run)

    def runs(self, query: str) -> str:
        q = json.loads(query)
        rows = [
            r
            for r in self.runs_by_id.values()
            if all(q.get(k) in (None, r[k]) for k in ("status", "kind", "scope"))
            and (q.get("since") is None or r["started_at"] >= q["since"])
            and (q.get("until") is None or r["started_at"] < q["until"])
        ]
        return newest_first(rows, "started_at", q)

    def items(self, query: str) -> str:
        q = json.loads(query)
        after = -1 if q.get("after") is None else q["after"]
        rows = sorted(
            (
                i
                for (run_id, seq), i in self.items_by_key.items()
                if run_id == q["run_id"] and seq > after
            ),
            key=lambda i: i["seq"],
        )
        page = rows[: q["limit"]]
        nxt = page[-1]["seq"] if len(rows) > q["limit"] else None
        return json.dumps({"items": page, "next": nxt})

    def audit(self, query: str) -> str:
        q = json.loads(query)
        rows = [
            e
            for e in self.entries.values()
            if q.get("entity_type") in (None, e["entity_type"])
            and q.get("entity_id") in (None, e["entity_id"])
        ]
        return newest_first(rows, "at", q)


class AsyncPyHistoryStore(ts.AsyncHistoryStore):
    """The Python history store behind `async def` methods."""

    def __init__(self) -> None:
        self.inner = PyHistoryStore()

    async def write(self, batch: str) -> None:
        await asyncio.sleep(0)  # a real await: the coroutine yields to the loop
        self.inner.write(batch)

    async def run(self, id: str) -> str | None:
        return self.inner.run(id)

    async def runs(self, query: str) -> str:
        return self.inner.runs(query)

    async def items(self, query: str) -> str:
        return self.inner.items(query)

    async def audit(self, query: str) -> str:
        return self.inner.audit(query)


class Raising(PyHistoryStore):
    def write(self, batch: str) -> None:
        raise RuntimeError("history disk on fire")

    def runs(self, query: str) -> str:
        raise ts.TasksyncError.Store("history offline")


class Garbled(PyHistoryStore):
    def audit(self, query: str) -> str:
        return "{not json"


async def sync_twice(history: ts.History, clock: FixedClock) -> ts.HubStore:
    store = ts.HubStore.memory()
    engine = ts.SyncEngine(store, clock, history=history)
    plan = await engine.preview_with("s", LISTING, ts.default_policy(), KIM)
    clock.now = 2_000
    report = await engine.execute_with(plan, True)
    assert report.created == 2
    return store


class ForeignHistory(unittest.TestCase):
    def test_records_into_the_python_store_and_queries_through_it(self) -> None:
        async def run() -> None:
            py_store = PyHistoryStore()
            history = await ts.History.foreign(py_store)
            clock = FixedClock(1_000)
            store = await sync_twice(history, clock)
            target = ts.Target(
                name="files", kind=ts.ProviderKind.PROCESS_STEP, max_attempts=None
            )
            service = ts.StatusService(store, [target], clock, history=history)
            clock.now = 3_000
            await service.change_status(
                ts.hub_id("files", "a"), ts.Status.PENDING, "kim"
            )
            await history.shutdown()
            stats = history.stats()
            self.assertEqual((stats.dropped, stats.lost), (0, 0))
            self.assertGreater(py_store.writes, 0)
            self.assertEqual(len(py_store.runs_by_id), 2)

            page = await history.runs()
            self.assertEqual(
                [r.kind for r in page.runs], [ts.RunKind.EXECUTE, ts.RunKind.PREVIEW]
            )
            execute, preview = page.runs
            self.assertEqual(execute.status, ts.RunStatus.COMPLETED)
            self.assertEqual(execute.by_type["note"].created, 1)
            self.assertEqual(preview.context.actor.user, "kim")
            self.assertEqual(await history.run(execute.id), execute)
            self.assertIsNone(await history.run("no-such-run"))

            first = await history.runs(limit=1)
            self.assertEqual(first.runs, [execute])
            rest = await history.runs(after=first.next, limit=1)
            self.assertEqual((rest.runs, rest.next), ([preview], None))
            done = await history.runs(
                status=ts.RunStatus.COMPLETED, kind=ts.RunKind.PREVIEW
            )
            self.assertEqual(done.runs, [preview])

            items = await history.items(execute.id, limit=1)
            self.assertEqual([i.seq for i in items.items], [0])
            more = await history.items(execute.id, after=items.next)
            self.assertEqual([i.seq for i in more.items], [1])
            self.assertEqual(
                {i.outcome for i in items.items + more.items}, {ts.ItemOutcome.CREATED}
            )

            [entry] = (await history.audit(entity_id=ts.hub_id("files", "a"))).entries
            self.assertEqual(entry.action, ts.AuditAction.STATUS_CHANGED)
            self.assertEqual(
                (entry.at, entry.actor.user, entry.to), (3_000, "kim", "pending")
            )

        asyncio.run(run())

    def test_a_store_that_raises_never_fails_a_sync(self) -> None:
        async def run() -> None:
            history = await ts.History.foreign(Raising())
            await sync_twice(history, FixedClock(1_000))  # completes despite the store
            await history.shutdown()
            stats = history.stats()
            self.assertEqual(stats.written, 0)
            self.assertGreater(stats.lost, 0)
            with self.assertRaises(ts.TasksyncError.Store) as caught:
                await history.runs()
            self.assertIn("history offline", str(caught.exception))
            with self.assertRaises(ts.TasksyncError.InvalidInput):
                await history.runs(limit=0)  # validated before the store is asked

        asyncio.run(run())

    def test_bad_json_from_the_store_is_a_store_error(self) -> None:
        async def run() -> None:
            history = await ts.History.foreign(Garbled())
            with self.assertRaises(ts.TasksyncError.Store) as caught:
                await history.audit()
            self.assertIn("bad JSON from `audit`", str(caught.exception))
            with self.assertRaises(ts.TasksyncError.InvalidInput):
                await ts.History.foreign(PyHistoryStore(), capacity=0)
            await history.shutdown()

        asyncio.run(run())


class RaisingAsync(AsyncPyHistoryStore):
    async def write(self, batch: str) -> None:
        await asyncio.sleep(0)
        raise ts.TasksyncError.Store(detail="history disk on fire")


class AsyncForeignHistory(unittest.TestCase):
    """The pump runs on the binding's tokio threads, which have no asyncio loop: the test
    hands uniffi the running loop, and clears it when that loop ends."""

    def test_the_pump_writes_into_an_async_python_store(self) -> None:
        async def run() -> None:
            ts.uniffi_set_event_loop(asyncio.get_running_loop())
            try:
                py_store = AsyncPyHistoryStore()
                history = await ts.History.foreign_async(py_store)
                await sync_twice(history, FixedClock(1_000))
                await asyncio.wait_for(history.shutdown(), 60)
                stats = history.stats()
                self.assertGreater(stats.written, 0)
                self.assertEqual((stats.dropped, stats.lost), (0, 0))
                self.assertEqual(len(py_store.inner.runs_by_id), 2)
                page = await history.runs()
                self.assertEqual(
                    [r.kind for r in page.runs], [ts.RunKind.EXECUTE, ts.RunKind.PREVIEW]
                )
                items = await history.items(page.runs[0].id)
                self.assertEqual(len(items.items), 2)

                failing = await ts.History.foreign_async(RaisingAsync())
                await sync_twice(failing, FixedClock(1_000))  # completes despite the store
                await asyncio.wait_for(failing.shutdown(), 60)
                self.assertEqual(failing.stats().written, 0)
                self.assertGreater(failing.stats().lost, 0)
            finally:
                ts.uniffi_set_event_loop(None)

        asyncio.run(run())


if __name__ == "__main__":
    unittest.main()
