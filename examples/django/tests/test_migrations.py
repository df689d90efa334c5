"""The app's move to NUL-safe hub ids, on the configured database: a task stored under the id
its NUL identity had before moves to its NUL-safe id with its job and history and then syncs,
next to the identity that used to share its id; other ids stay. PostgreSQL cannot store such an
identity at all, so there the migration has nothing to move."""

from __future__ import annotations

from typing import Any

import pytest
import tasksync
from django.db import DataError, connection
from django.db.migrations.executor import MigrationExecutor
from tasksync.contrib.django.models import AuditLog, HubTask, SyncHistoryItem, SyncJob
from tasksync.contrib.django.store import DjangoQueueStore, DjangoTaskStore

pytestmark = pytest.mark.usefixtures("clean_hub")

# The id every release before NUL-safe ids gave `a`/`b\0c` (its parts joined by a NUL), which
# `a\0b`/`c` shared.
OLD_ID = "t734770c54997d3e62b1974ddcbdc22ce"


def migrate(target: str) -> None:
    MigrationExecutor(connection).migrate([("tasksync", target)])


def migrate_to_latest() -> None:
    """Forward through the NUL-safe ids and every later migration (the other tests need them)."""
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes("tasksync"))


def old_job(migration: str, **columns: Any) -> None:
    """Inserts a job row as the table was at `migration` (the current model has more columns)."""
    state = MigrationExecutor(connection).loader.project_state(("tasksync", migration))
    state.apps.get_model("tasksync", "SyncJob")(**columns).save(force_insert=True)


def task_row(id_: str, source: str, external_id: str) -> Any:
    return HubTask(
        id=id_,
        source=source,
        external_id=external_id,
        scope="s1",
        kind="task",
        title="T",
        status="draft",
        parent=None,
        fields={},
        base={"kind": "task", "title": "T"},
        version=1,
        created_at=10,
        updated_at=10,
    )


def sync(scope: str, source: str, external_id: str) -> Any:
    engine = tasksync.SyncEngine(DjangoTaskStore())
    items = [{"external_id": external_id, "kind": "task", "title": "T"}]
    plan = engine.preview(scope, {"source": source, "complete": True, "items": items})
    return engine.execute(plan, confirmed=True)


def test_a_nul_identity_moves_to_its_nul_safe_id_with_its_job_and_history() -> None:
    new_id = tasksync.hub_id("a", "b\0c")
    assert new_id != OLD_ID
    migrate("0001_initial")
    try:
        if connection.vendor == "postgresql":
            # Nothing to move: a NUL never reaches a PostgreSQL text column.
            with pytest.raises((ValueError, DataError)):
                task_row(OLD_ID, "a", "b\0c").save(force_insert=True)
            return
        task_row(OLD_ID, "a", "b\0c").save(force_insert=True)
        task_row(tasksync.hub_id("files", "plain"), "files", "plain").save(force_insert=True)
        old_job(
            "0001_initial",
            job_id="job-1",
            task_id=OLD_ID,
            target="mstodo",
            kind="task",
            external_id="b\0c",
            from_status="draft",
            to_status="pending",
            state="pending",
            attempts=0,
            max_attempts=3,
            run_at=10,
            created_at=10,
            updated_at=10,
        )
        item = {"seq": 0, "external_id": "b", "name": "B", "kind": "task", "outcome": "created"}
        SyncHistoryItem(run_id="run-1", seq=0, data={**item, "target_id": OLD_ID}).save()
        entry = {"id": "audit-1", "entity_type": "task", "entity_id": OLD_ID}
        AuditLog(id="audit-1", at=10, entity_type="task", entity_id=OLD_ID, data=entry).save(
            force_insert=True
        )
    finally:
        migrate_to_latest()

    assert not HubTask.objects.filter(id=OLD_ID).exists()
    moved = HubTask.objects.get(id=new_id)
    assert (moved.source, moved.external_id) == ("a", "b\0c")
    job = SyncJob.objects.get(job_id="job-1")
    assert job.task_id == new_id
    assert SyncHistoryItem.objects.get(run_id="run-1").data["target_id"] == new_id
    audit = AuditLog.objects.get(id="audit-1")
    assert (audit.entity_id, audit.data["entity_id"]) == (new_id, new_id)
    assert HubTask.objects.filter(id=tasksync.hub_id("files", "plain")).exists()

    # The moved task is in sync; the identity that shared its old id can now be created.
    assert sync("s1", "a", "b\0c").created == 0
    assert sync("s2", "a\0b", "c").created == 1


def test_jobs_from_before_versions_read_as_version_0_and_keep_one_pending_per_pair() -> None:
    migrate("0003_job_budget_optional")
    try:
        common = {
            "task_id": "t1",
            "target": "mstodo",
            "kind": "task",
            "external_id": "e1",
            "from_status": "draft",
            "to_status": "pending",
            "attempts": 0,
            "run_at": 10,
            "created_at": 10,
            "updated_at": 10,
        }
        old_job("0003_job_budget_optional", job_id="job-old", state="superseded", **common)
        old_job("0003_job_budget_optional", job_id="job-new", state="pending", **common)
    finally:
        migrate_to_latest()
    store = DjangoQueueStore()
    old, new = store.job("job-old"), store.job("job-new")
    assert old is not None and new is not None
    assert (new["state"], new["version"], new["lease"], new["task_version"]) == ("pending", 0, 0, 0)
    # The core writes a migrated job like any other: compare-and-swapped on version 0.
    claimed = tasksync.claimed_job(new, "w1", 20, 1_000)
    assert store.claim("w1", 20, 1_000, 10) == [claimed]
    assert claimed["version"] == 1
    # A second pending job of the pair is refused by the new unique index.
    store.apply(
        {
            "guards": [],
            "tasks": [],
            "jobs": [
                {
                    "op": "update",
                    "job": dict(old, state="pending", version=1),
                    "expected_version": 0,
                }
            ],
        }
    )
    with pytest.raises(tasksync.ConflictError):
        dup = dict(
            new,
            id="job-dup",
            state="pending",
            version=1,
            lease=0,
            lease_owner=None,
            lease_until=None,
        )
        store.apply({"guards": [], "tasks": [], "jobs": [{"op": "insert", "job": dup}]})
    assert store.job("job-dup") is None
