"""Task identity through the binding: hub ids no two identities share, and a create the store
refuses for good raised as ``IdentityConflictError`` (not a stale plan), every time."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import tasksync

LISTING = {
    "source": "files",
    "complete": True,
    "items": [{"external_id": "a", "kind": "task", "title": "A"}],
}


def test_identities_joining_to_the_same_bytes_get_different_hub_ids() -> None:
    assert tasksync.hub_id("a", "b\0c") != tasksync.hub_id("a\0b", "c")
    engine = tasksync.SyncEngine(tasksync.MemoryStore())
    for source, external_id in (("a", "b\0c"), ("a\0b", "c")):
        items = [{"external_id": external_id, "kind": "task", "title": "T"}]
        plan = engine.preview("s", {"source": source, "complete": True, "items": items})
        assert engine.execute(plan, confirmed=True).created == 1


def test_a_create_whose_hub_id_another_row_holds_is_an_identity_conflict(tmp_path: Path) -> None:
    path = tmp_path / "hub.db"
    store = tasksync.SqliteStore(str(path))
    # Another tool wrote a row of another identity under the id `files`/`a` derives to.
    with sqlite3.connect(path) as db:
        db.execute(
            "INSERT INTO tasks VALUES (?, 'legacy', 'x', 'imported', 'task', 'Old', 'draft', "
            "NULL, '{}', NULL, 1, 10, 10)",
            (tasksync.hub_id("files", "a"),),
        )
    db.close()
    engine = tasksync.SyncEngine(store)
    for _ in range(2):
        plan = engine.preview("p", LISTING)
        with pytest.raises(tasksync.IdentityConflictError) as err:
            engine.execute(plan, confirmed=True)
        assert isinstance(err.value, tasksync.TasksyncError)
        assert not isinstance(err.value, tasksync.StalePlanError)
        assert err.value.code == "identity_conflict"
        assert (err.value.source, err.value.external_id) == ("files", "a")
        assert "`legacy`" in str(err.value)
    assert store.scope_version("p") == 0
    assert ("IdentityConflictError", "identity_conflict") in tasksync.error_codes()


def test_a_task_from_a_desired_one_is_the_task_a_sync_creates() -> None:
    desired = {"external_id": "a", "kind": "task", "title": "A", "fields": {"due": "mon"}}
    task = tasksync.task_from_desired("p", "files", desired, 100)
    assert task["id"] == tasksync.hub_id("files", "a")
    assert (task["scope"], task["source"], task["external_id"]) == ("p", "files", "a")
    assert (task["status"], task["version"], task["created_at"]) == ("draft", 1, 100)
    assert task["fields"] == {"due": "mon"} and task["base"]["title"] == "A"
    # The same task a sync of that listing creates, field for field but the times.
    store = tasksync.MemoryStore()
    engine = tasksync.SyncEngine(store, clock=tasksync.ManualClock(100))
    engine.execute(engine.preview("p", dict(LISTING, items=[desired])), confirmed=True)
    assert store.get(task["id"]) == task
    pending = tasksync.task_from_desired("p", "files", dict(desired, status="pending"), 5)
    assert pending["status"] == "pending"


def test_a_malformed_desired_task_is_refused_naming_the_field() -> None:
    good = {"external_id": "a", "kind": "task", "title": "A"}
    with pytest.raises(tasksync.InvalidInputError, match="unknown key `titel`"):
        tasksync.task_from_desired("p", "files", dict(good, titel="x"), 1)
    with pytest.raises(tasksync.InvalidInputError, match="title"):
        tasksync.task_from_desired("p", "files", {"external_id": "a", "kind": "task"}, 1)
    with pytest.raises(tasksync.InvalidInputError, match="unknown value `exploded`"):
        tasksync.task_from_desired("p", "files", dict(good, status="exploded"), 1)
    with pytest.raises(tasksync.InvalidInputError, match="now_ms"):
        tasksync.task_from_desired("p", "files", good, 2**64)
