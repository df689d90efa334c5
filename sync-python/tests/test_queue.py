"""The outbound queue from Python: status changes with their jobs (the outbox), the worker with
providers written in Python, dead letters, metrics, and host stores (with and without jobs)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import tasksync
from pyqueue import PyQueueStore
from pystores import PyTaskStore

TARGETS = [{"name": "mstodo", "kind": "ms_todo", "max_attempts": 2}]


def seed(store: Any, clock: tasksync.ManualClock, n: int = 2) -> list[str]:
    engine = tasksync.SyncEngine(store, clock=clock)
    items = [
        {"external_id": f"e{i}", "kind": "task", "title": f"T{i}", "status": "pending"}
        for i in range(n)
    ]
    listing = {"source": "mstodo", "items": items, "complete": True}
    engine.execute(engine.preview("wo-1", listing), confirmed=True)
    return [tasksync.hub_id("mstodo", f"e{i}") for i in range(n)]


class FakeTodo:
    """A Microsoft To Do double with the real adapter's contract: `push` returns the remote
    state, a 401 is a `token_expired` ProviderError the worker answers with `refresh_token`."""

    name = "mstodo"

    def __init__(self, fail: str | None = None, expire_once: bool = False) -> None:
        self.fail = fail
        self.expired = expire_once
        self.pushed: list[dict[str, Any]] = []
        self.refreshes = 0

    def list(self, scope: str) -> dict[str, Any]:
        return {"source": "mstodo", "items": [], "complete": True}

    def push(self, change: dict[str, Any]) -> dict[str, Any]:
        if self.expired:
            raise tasksync.provider_error("token_expired", "mstodo")
        if self.fail is not None:
            raise tasksync.provider_error(self.fail, "mstodo", status=400, message="bad")
        self.pushed.append(change)
        return {"remote": change["payload"]}

    def refresh_token(self) -> None:
        self.refreshes += 1
        self.expired = False


def test_status_change_queues_a_job_and_the_worker_pushes_it(store: Any) -> None:
    clock = tasksync.ManualClock(1_000)
    task_id = seed(store, clock)[0]
    service = tasksync.StatusService(store, targets=TARGETS, clock=clock)
    report = service.change_status(task_id, "completed", actor="alice")
    assert [c["to"] for c in report.changes] == ["completed"]
    (job,) = report.jobs
    assert job["state"] == "pending" and job["actor"] == "alice"
    queue = tasksync.JobQueue(store, clock=clock)
    assert queue.sync_status(task_id) == {"mstodo": "pending"}
    assert queue.next_due() == 1_000

    provider = FakeTodo(expire_once=True)
    worker = tasksync.Worker(store, providers=[provider], clock=clock, id="w1")
    first = worker.run_once()  # 401: refresh the token, retry at once
    assert provider.refreshes == 1 and first.retried == 1
    second = worker.run_once()
    assert second.succeeded == 1
    assert provider.pushed[0]["status"] == "completed"
    assert provider.pushed[0]["idempotency_key"] == job["id"]
    assert queue.sync_status(task_id) == {"mstodo": "synced"}
    done = queue.job(job["id"])
    assert done is not None and done.state == "succeeded"
    assert worker.next_wake() is None
    assert 'outcome="succeeded"' in worker.metrics_text()
    assert worker.jobs_total("mstodo", "succeeded") == 1


def test_dead_letters_requeue_and_discard(store: Any) -> None:
    clock = tasksync.ManualClock(1_000)
    a, b = seed(store, clock)
    service = tasksync.StatusService(store, targets=TARGETS, clock=clock)
    job_a = service.change_status(a, "completed").jobs[0]
    job_b = service.change_status(b, "in_progress").jobs[0]
    worker = tasksync.Worker(store, providers=[FakeTodo(fail="rejected")], clock=clock)
    assert worker.run_once().dead == 2
    queue = tasksync.JobQueue(store, clock=clock)
    dead = queue.dead_letters()
    assert sorted(j.id for j in dead) == sorted([job_a["id"], job_b["id"]])
    assert queue.sync_status(a) == {"mstodo": "failed"}
    assert queue.requeue(job_a["id"]).state == "pending"
    assert queue.discard(job_b["id"]).state == "discarded"
    with pytest.raises(tasksync.InvalidStateError):
        queue.discard(job_a["id"])  # pending now, not dead: nothing changes
    with pytest.raises(tasksync.NotFoundError):
        queue.requeue("job-missing")
    requeued = queue.job(job_a["id"])
    assert requeued is not None and requeued.state == "pending"
    page = queue.jobs(limit=1)
    assert len(page) == 1 and len(queue.jobs(after=page[0].id)) == 1
    with pytest.raises(tasksync.InvalidInputError):
        queue.jobs(state="exploded")
    assert tasksync.Worker(store, providers=[FakeTodo()], clock=clock).run_once().succeeded == 1


def test_refused_transition_writes_nothing(store: Any) -> None:
    clock = tasksync.ManualClock(1_000)
    task_id = seed(store, clock)[0]
    service = tasksync.StatusService(store, targets=TARGETS, clock=clock)
    service.change_status(task_id, "cancelled")
    before = tasksync.JobQueue(store).jobs()
    with pytest.raises(tasksync.InvalidTransitionError):
        service.change_status(task_id, "in_progress")
    assert tasksync.JobQueue(store).jobs() == before
    with pytest.raises(tasksync.InvalidInputError):
        service.change_status(task_id, "exploded")


def test_asyncio_variants(store: Any) -> None:
    clock = tasksync.ManualClock(1_000)
    task_id = seed(store, clock)[0]
    service = tasksync.StatusService(store, targets=TARGETS, clock=clock)
    worker = tasksync.Worker(store, providers=[FakeTodo()], clock=clock)

    async def main() -> tuple[Any, Any, Any]:
        report = await service.change_status_async(task_id, "completed")
        wake = await worker.next_wake_async()
        tick = await worker.run_once_async()
        return report, wake, tick

    report, wake, tick = asyncio.run(main())
    assert len(report.jobs) == 1 and wake == 1_000 and tick.succeeded == 1


def test_host_task_store_without_jobs_refuses_the_outbox() -> None:
    clock = tasksync.ManualClock(1_000)
    store = PyTaskStore()
    task_id = seed(store, clock)[0]
    before = store.get(task_id)
    service = tasksync.StatusService(store, targets=TARGETS, clock=clock)
    with pytest.raises(tasksync.StoreError, match="keeps no sync jobs"):
        service.change_status(task_id, "completed")
    assert store.get(task_id) == before  # nothing written, no job silently dropped
    # Without a target there is no job, so the same store takes the change.
    tasksync.StatusService(store, clock=clock).change_status(task_id, "completed")
    assert store.get(task_id)["status"] == "completed"  # type: ignore[index]
    with pytest.raises(tasksync.InvalidInputError, match="lacks claim"):
        tasksync.Worker(store)

    class HalfQueue(PyTaskStore):
        def claim(self, owner: str, now: int, lease_ms: int, limit: int) -> list[Any]:
            return []

    with pytest.raises(tasksync.InvalidInputError, match="lacks job, jobs, next_due"):
        tasksync.StatusService(HalfQueue(), targets=TARGETS, clock=clock)


def test_python_queue_store_conforms() -> None:
    assert tasksync.run_job_store_conformance(PyQueueStore) == []
    # It is still a task store.
    assert tasksync.run_store_conformance(PyQueueStore) == []


def test_builtin_queue_stores_conform_through_the_binding() -> None:
    assert tasksync.run_job_store_conformance(tasksync.MemoryStore) == []
    assert tasksync.run_job_store_conformance(lambda: tasksync.SqliteStore(":memory:")) == []


def test_bad_worker_config_and_targets() -> None:
    store = tasksync.MemoryStore()
    with pytest.raises(tasksync.InvalidInputError):
        tasksync.Worker(store, batch=0)
    with pytest.raises(tasksync.InvalidInputError):
        tasksync.Worker(store, lease_ms="soon")
    with pytest.raises(tasksync.InvalidInputError):
        tasksync.StatusService(store, targets=[{"name": "x", "kind": "fax"}])
    with pytest.raises(tasksync.InvalidInputError):
        tasksync.StatusService(store, targets=[{"name": "", "kind": "ms_todo"}])


def test_claimed_job_is_the_claim_the_core_defines() -> None:
    clock = tasksync.ManualClock(1_000)
    store = PyQueueStore()
    task_id = seed(store, clock)[0]
    service = tasksync.StatusService(store, targets=TARGETS, clock=clock)
    (job,) = service.change_status(task_id, "completed").jobs
    claimed = tasksync.claimed_job(job, "w1", 2_000, 500)
    assert (claimed["state"], claimed["lease_owner"], claimed["lease_until"]) == (
        "running",
        "w1",
        2_500,
    )
    assert claimed["attempts"] == job["attempts"] + 1 and claimed["updated_at"] == 2_000
    assert (claimed["lease"], claimed["version"]) == (job["lease"] + 1, job["version"] + 1)
    assert store.claim("w1", 2_000, 500, 10) == [claimed]  # the host store wrote exactly that
    with pytest.raises(tasksync.InvalidInputError, match="job"):
        tasksync.claimed_job({"id": "job-1"}, "w1", 2_000, 500)
    with pytest.raises(tasksync.InvalidInputError, match="now"):
        tasksync.claimed_job(job, "w1", 2**64, 500)
    with pytest.raises(tasksync.InvalidInputError, match="lease_ms"):
        tasksync.claimed_job(job, "w1", 2_000, -1)


def test_a_host_queue_store_gets_versioned_job_writes_in_apply() -> None:
    clock = tasksync.ManualClock(1_000)
    store = PyQueueStore()
    task_id = seed(store, clock)[0]
    seen: list[dict[str, Any]] = []
    apply = store.apply

    def spy(changes: dict[str, Any]) -> dict[str, Any]:
        seen.append(changes)
        return apply(changes)

    store.apply = spy  # type: ignore[method-assign]
    service = tasksync.StatusService(store, targets=TARGETS, clock=clock)
    (first,) = service.change_status(task_id, "in_progress").jobs
    (second,) = service.change_status(task_id, "completed").jobs
    writes = [
        (w["op"], w["job"]["id"], w["job"]["state"], w.get("expected_version"))
        for w in seen[-1]["jobs"]
    ]
    # The newer intent supersedes the pending one (a checked update), then is inserted.
    assert writes == [
        ("update", first["id"], "superseded", 1),
        ("insert", second["id"], "pending", None),
    ]
    assert store.job(first["id"])["version"] == 2  # type: ignore[index]
    versions = store.versions.copy()
    tasksync.JobQueue(store, clock=clock).job(second["id"])
    worker = tasksync.Worker(store, providers=[FakeTodo()], clock=clock)
    assert worker.run_once().succeeded == 1
    assert store.versions == versions  # job-only sets bump no scope


def test_a_queue_store_that_skips_the_version_check_fails_the_suite() -> None:
    class Unchecked(PyQueueStore):
        def apply(self, changes: dict[str, Any]) -> dict[str, Any]:
            for write in changes.get("jobs", []):
                stored = self.job_rows.get(write["job"]["id"])
                if write["op"] == "update" and stored is not None:
                    write["expected_version"] = stored["version"]  # last writer wins
            return super().apply(changes)

    failures = dict(tasksync.run_job_store_conformance(Unchecked))
    assert "job_writes_are_checked" in failures


def test_a_dead_jobs_revert_is_a_status_change_event(store: Any) -> None:
    clock = tasksync.ManualClock(1_000)
    (task_id,) = seed(store, clock, 1)
    service = tasksync.StatusService(store, targets=TARGETS, clock=clock)
    service.change_status(task_id, "completed")
    sink = tasksync.CollectingSink()
    worker = tasksync.Worker(
        store,
        providers=[FakeTodo(fail="rejected")],
        clock=clock,
        events=sink,
        dead_policy="revert_status",
    )
    assert worker.run_once().dead == 1
    events = sink.take()
    kinds = [(e["type"], e.get("state"), (e.get("change") or {}).get("cause")) for e in events]
    dead = kinds.index(("job_changed", "dead", None))
    revert = kinds.index(("status_changed", None, "dead_job_reverted"))
    assert dead < revert, kinds
    change = events[revert]["change"]
    assert (change["task_id"], change["from"], change["to"]) == (task_id, "completed", "pending")
