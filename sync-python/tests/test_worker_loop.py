"""The core's worker loop from Python: `Worker.run(stop=...)` and `run_async`, stopped by a
`StopToken` after the batch in flight, woken by the store's wake hint when a status change is
enqueued, heartbeats extending a long call's lease, a Python signal handler's exception raised
after the batch; and the provider gates of a built-in store shared by the workers on it (a 429
one worker sees pauses the provider for another), while a host store's workers keep their own.
"""

from __future__ import annotations

import asyncio
import os
import signal
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import tasksync
from pyqueue import PyQueueStore

TARGETS = [{"name": "mstodo", "kind": "ms_todo"}]
# A poll longer than any test: only the wake hint (or the next due job) ends an idle wait.
NEVER_MS = 3_600_000
LIVENESS_S = 60


def seed(store: Any, clock: tasksync.ManualClock | None, n: int) -> list[str]:
    engine = tasksync.SyncEngine(store, clock=clock)
    items = [
        {"external_id": f"e{i}", "kind": "task", "title": f"T{i}", "status": "pending"}
        for i in range(n)
    ]
    listing = {"source": "mstodo", "items": items, "complete": True}
    engine.execute(engine.preview("wo-1", listing), confirmed=True)
    return [tasksync.hub_id("mstodo", f"e{i}") for i in range(n)]


class StopsAfter:
    """Delivers, and stops `stop` once it delivered `n` jobs."""

    name = "mstodo"

    def __init__(self, stop: tasksync.StopToken, n: int) -> None:
        self.stop = stop
        self.n = n
        self.pushed: list[str] = []

    def list(self, scope: str) -> dict[str, Any]:
        return {"source": "mstodo", "items": [], "complete": True}

    def push(self, change: dict[str, Any]) -> dict[str, Any]:
        self.pushed.append(change["idempotency_key"])
        if len(self.pushed) >= self.n:
            self.stop.stop()
        return {"remote": change["payload"]}


def test_run_drains_and_returns_the_totals_once_stopped(store: Any) -> None:
    ids = seed(store, None, 3)
    service = tasksync.StatusService(store, targets=TARGETS)
    jobs = [service.change_status(i, "completed").jobs[0]["id"] for i in ids]
    stop = tasksync.StopToken()
    provider = StopsAfter(stop, 3)
    worker = tasksync.Worker(store, providers=[provider], batch=1, poll_ms=NEVER_MS)
    totals = worker.run(stop=stop)
    assert (totals.claimed, totals.succeeded) == (3, 3)
    assert sorted(provider.pushed) == sorted(jobs)
    queue = tasksync.JobQueue(store)
    # The batch in flight when `stop` came was finished and recorded.
    assert all(queue.job(j).state == "succeeded" for j in jobs)  # type: ignore[union-attr]
    assert stop.stopped and worker.run(stop=stop).claimed == 0  # a stopped token: at once


def test_an_enqueue_wakes_an_idle_loop(store: Any) -> None:
    (task_id,) = seed(store, None, 1)
    stop = tasksync.StopToken()
    provider = StopsAfter(stop, 1)
    # A host store has no wake hint: its loop finds the job at its next poll.
    poll_ms = 10 if isinstance(store, PyQueueStore) else NEVER_MS
    worker = tasksync.Worker(store, providers=[provider], poll_ms=poll_ms)
    done: list[tasksync.TickReport] = []
    loop = threading.Thread(target=lambda: done.append(worker.run(stop=stop)))
    loop.start()
    job = tasksync.StatusService(store, targets=TARGETS).change_status(task_id, "completed")
    loop.join(LIVENESS_S)
    if loop.is_alive():
        stop.stop()
        loop.join()
        pytest.fail("the enqueue did not wake the idle worker loop")
    assert done[0].succeeded == 1 and provider.pushed == [job.jobs[0]["id"]]


def test_run_async_stops_on_the_token_and_heartbeats_a_long_call() -> None:
    store = tasksync.MemoryStore()
    clock = tasksync.ManualClock(1_000)
    (task_id,) = seed(store, clock, 1)
    (job,) = (
        tasksync.StatusService(store, targets=TARGETS, clock=clock)
        .change_status(task_id, "completed")
        .jobs
    )
    stop = tasksync.StopToken()
    queue = tasksync.JobQueue(store, clock=clock)
    leases: list[int] = []

    class Slow:
        name = "mstodo"

        def list(self, scope: str) -> dict[str, Any]:
            return {"source": "mstodo", "items": [], "complete": True}

        async def push(self, change: dict[str, Any]) -> dict[str, Any]:
            first = queue.job(job["id"]).lease_until  # type: ignore[union-attr]
            clock.advance(10_000)  # the call outlives its lease; heartbeats keep the job
            for _ in range(LIVENESS_S * 100):
                now = queue.job(job["id"]).lease_until  # type: ignore[union-attr]
                if now != first:
                    leases.extend([first, now])
                    break
                await asyncio.sleep(0.01)
            stop.stop()
            return {"remote": change["payload"]}

    worker = tasksync.Worker(
        store, providers=[Slow()], clock=clock, lease_ms=1_000, heartbeat_ms=5, poll_ms=NEVER_MS
    )
    totals = asyncio.run(worker.run_async(stop=stop))
    assert leases == [1_000 + 1_000, 11_000 + 1_000]
    assert (totals.succeeded, totals.lease_lost) == (1, 0)
    assert queue.job(job["id"]).state == "succeeded"  # type: ignore[union-attr]
    assert worker.heartbeat() == 0  # nothing in flight any more


def test_a_signal_handlers_exception_ends_an_idle_run() -> None:
    store = tasksync.MemoryStore()
    (task_id,) = seed(store, None, 1)
    (job,) = tasksync.StatusService(store, targets=TARGETS).change_status(task_id, "completed").jobs
    queue = tasksync.JobQueue(store)

    class Interrupted(Exception):
        pass

    def handler(signum: int, frame: Any) -> None:
        raise Interrupted

    def signal_once_idle() -> None:
        # Once the job is recorded the loop is idle (waiting in Rust): only the binding's
        # signal check can run the handler.
        while queue.job(job["id"]).state != "succeeded":  # type: ignore[union-attr]
            threading.Event().wait(0.01)
        os.kill(os.getpid(), signal.SIGUSR1)

    before = signal.signal(signal.SIGUSR1, handler)
    try:
        threading.Thread(target=signal_once_idle, daemon=True).start()
        with pytest.raises(Interrupted):
            tasksync.Worker(store, providers=[Counting()], poll_ms=NEVER_MS).run()
    finally:
        signal.signal(signal.SIGUSR1, before)
    assert queue.job(job["id"]).state == "succeeded"  # type: ignore[union-attr]


def test_stop_token_waits_and_refuses_a_bad_timeout() -> None:
    stop = tasksync.StopToken()
    assert not stop.stopped and stop.wait(0) is False
    assert "stopped=False" in repr(stop)
    threading.Timer(0.01, stop.stop).start()
    assert stop.wait() is True and stop.stopped
    for bad in (-1.0, float("nan"), float("inf")):
        with pytest.raises(tasksync.InvalidInputError, match="timeout"):
            stop.wait(bad)


class Limited:
    """Answers every push with a 429 asking to wait a minute."""

    name = "mstodo"

    def __init__(self) -> None:
        self.calls = 0

    def list(self, scope: str) -> dict[str, Any]:
        return {"source": "mstodo", "items": [], "complete": True}

    def push(self, change: dict[str, Any]) -> dict[str, Any]:
        self.calls += 1
        raise tasksync.provider_error("rate_limited", "mstodo", retry_after_ms=60_000)


class Counting(StopsAfter):
    def __init__(self) -> None:
        super().__init__(tasksync.StopToken(), 1_000)


@pytest.fixture
def two_jobs(store: Any) -> Iterator[tuple[Any, tasksync.ManualClock, str, str]]:
    clock = tasksync.ManualClock(1_000)
    first, second = seed(store, clock, 2)
    service = tasksync.StatusService(store, targets=TARGETS, clock=clock)
    a = service.change_status(first, "completed").jobs[0]["id"]
    b = service.change_status(second, "completed").jobs[0]["id"]
    yield store, clock, a, b


def test_a_429_seen_by_one_worker_pauses_the_provider_for_another(
    two_jobs: tuple[Any, tasksync.ManualClock, str, str],
) -> None:
    store, clock, a, b = two_jobs
    limited = Limited()
    one = tasksync.Worker(store, providers=[limited], clock=clock, id="one", batch=1)
    assert one.run_once().retried == 1 and limited.calls == 1
    counting = Counting()
    other = tasksync.Worker(store, providers=[counting], clock=clock, id="other", batch=1)
    tick = other.run_once()
    queue = tasksync.JobQueue(store, clock=clock)
    if isinstance(store, PyQueueStore):
        # A host store keeps no gates: each worker has its own, and the other one delivers.
        assert tick.succeeded == 1 and len(counting.pushed) == 1
        return
    assert counting.pushed == [] and tick.succeeded == 0 and tick.deferred == 1
    assert other.jobs_total("mstodo", "deferred") == 1
    untouched = [j for j in (queue.job(a), queue.job(b)) if j is not None and j.attempts == 0]
    assert len(untouched) == 1 and untouched[0].state == "pending"
    clock.advance(60_001)
    assert other.run_once().succeeded == 1 and len(counting.pushed) == 1
