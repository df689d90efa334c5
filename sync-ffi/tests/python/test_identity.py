"""Task identity through the generated Python bindings: hub ids no two identities share, and a
create the SQLite store refuses for good raised as `TasksyncError.IdentityConflict` (not a
stale plan), every time."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import tempfile
import unittest

import tasksync_ffi as ts

LISTING = ts.Listing(
    source="files",
    items=[ts.DesiredTask(external_id="a", kind="task", title="A", fields={})],
    complete=True,
)


class Identity(unittest.TestCase):
    def test_identities_joining_to_the_same_bytes_get_different_hub_ids(self) -> None:
        self.assertNotEqual(ts.hub_id("a", "b\0c"), ts.hub_id("a\0b", "c"))

    def test_a_create_whose_hub_id_another_row_holds_is_an_identity_conflict(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "hub.db")
            store = ts.HubStore.sqlite(path)
            # Another tool wrote a row of another identity under the id `files`/`a` gets.
            db = sqlite3.connect(path)
            with db:
                db.execute(
                    "INSERT INTO tasks VALUES (?, 'legacy', 'x', 'imported', 'task', 'Old', "
                    "'draft', NULL, '{}', NULL, 1, 10, 10)",
                    (ts.hub_id("files", "a"),),
                )
            db.close()
            engine = ts.SyncEngine(store)

            async def round_trip() -> ts.TasksyncError:
                plan = await engine.preview("p", LISTING, ts.default_policy())
                try:
                    await engine.execute(plan, True)
                except ts.TasksyncError as err:
                    return err
                raise AssertionError("the create was not refused")

            for _ in range(2):
                err = asyncio.run(round_trip())
                self.assertIsInstance(err, ts.TasksyncError.IdentityConflict)
                self.assertEqual((err.task_source, err.external_id), ("files", "a"))
                self.assertIn("`legacy`", err.detail)
            snapshot = asyncio.run(store.snapshot("p"))
            self.assertEqual(snapshot.version, 0)


if __name__ == "__main__":
    unittest.main()
