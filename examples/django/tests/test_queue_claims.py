"""The Django queue store's claim while another claimer holds a job: one live job per (task,
target) holds, so a target never gets a task's older and newer status out of order."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import tasksync
from django.db import connection, connections, transaction
from tasksync.contrib.django.models import SyncJob
from tasksync.contrib.django.store import DjangoQueueStore

pytestmark = pytest.mark.usefixtures("clean_hub")

TARGETS = [{"name": "mstodo", "kind": "ms_todo"}]


def two_jobs_behind_a_crash(store: DjangoQueueStore) -> tuple[str, str]:
    """A task whose first job a crashed worker holds (lease until 1000) and whose second job
    waits behind it."""
    clock = tasksync.ManualClock(0)
    engine = tasksync.SyncEngine(store, clock=clock)
    item = {"external_id": "AAMk1", "kind": "task", "title": "Call", "status": "pending"}
    listing = {"source": "mstodo", "complete": True, "items": [item]}
    engine.execute(engine.preview("inbox", listing), confirmed=True)
    task_id = tasksync.hub_id("mstodo", "AAMk1")
    service = tasksync.StatusService(store, targets=TARGETS, clock=clock)
    (older,) = service.change_status(task_id, "in_progress").jobs
    assert [j["id"] for j in store.claim("crashed", 0, 1_000, 10)] == [older["id"]]
    (newer,) = service.change_status(task_id, "completed").jobs
    return older["id"], newer["id"]


def claim_while_another_claimer_holds(store: DjangoQueueStore, job_id: str) -> list[Any]:
    """Claims at 1000 (the crashed lease has expired) while another claimer holds `job_id`.

    On PostgreSQL the other claimer keeps the job's row locked (``select_for_update``) for the
    whole claim. SQLite serialises write transactions, so there the other claimer's claim
    (which takes the expired job) commits first.
    """
    if connection.vendor != "postgresql":
        thread_claim = DjangoQueueStore().claim("other", 1_000, 1_000, 1)
        assert [j["id"] for j in thread_claim] == [job_id]
        return store.claim("b", 1_000, 1_000, 10)
    locked, release = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic():
                SyncJob.objects.select_for_update().get(job_id=job_id)
                locked.set()
                release.wait(30)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert locked.wait(30), "the other claimer never locked the job"
        return store.claim("b", 1_000, 1_000, 10)
    finally:
        release.set()
        holder.join(30)


def test_a_newer_job_is_not_handed_out_beside_an_older_one_being_claimed() -> None:
    store = DjangoQueueStore()
    older, newer = two_jobs_behind_a_crash(store)
    claimed = claim_while_another_claimer_holds(store, older)
    assert newer not in [j["id"] for j in claimed], "both jobs of one task would run at once"
    assert SyncJob.objects.get(job_id=newer).state == "pending"
    # Once the older job is done, the newer one follows: a worker takes the older one over
    # (its lease has expired), pushes it, then the newer one.
    clock = tasksync.ManualClock(5_000)
    provider = Todo()
    worker = tasksync.Worker(store, providers=[provider], clock=clock, id="d")
    assert worker.run_once().succeeded == 1
    assert SyncJob.objects.get(job_id=older).state == "succeeded"
    assert SyncJob.objects.get(job_id=newer).state == "pending"
    assert worker.run_once().succeeded == 1
    assert [c["idempotency_key"] for c in provider.pushed] == [older, newer]


class Todo:
    """A provider that accepts every push."""

    name = "mstodo"

    def __init__(self) -> None:
        self.pushed: list[dict[str, Any]] = []

    def list(self, scope: str) -> dict[str, Any]:
        return {"source": "mstodo", "items": [], "complete": True}

    def push(self, change: dict[str, Any]) -> dict[str, Any]:
        self.pushed.append(change)
        return {"remote": change["payload"]}

    def refresh_token(self) -> None:
        pass
