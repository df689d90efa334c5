"""The queue's rules as Python sees them: the default retry schedule and budgets, durations
that would wrap, the `discarded` sync status, and status changes no target receives."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

import pytest
import tasksync

NO_BUDGET = [{"name": "mstodo", "kind": "ms_todo"}]
HUGE = [2**63, 2**64 - 1]
DAY = tasksync.MAX_DELAY_MS


def seed(store: Any, clock: tasksync.ManualClock, source: str = "mstodo", n: int = 1) -> list[str]:
    engine = tasksync.SyncEngine(store, clock=clock)
    items = [
        {"external_id": f"e{i}", "kind": "task", "title": f"T{i}", "status": "pending"}
        for i in range(n)
    ]
    engine.execute(
        engine.preview("wo-1", {"source": source, "items": items, "complete": True}),
        confirmed=True,
    )
    return [tasksync.hub_id(source, f"e{i}") for i in range(n)]


class Failing:
    """A provider that answers every push with `error` and notes when it was called."""

    name = "mstodo"

    def __init__(self, clock: tasksync.ManualClock, error: tasksync.ProviderError) -> None:
        self.clock = clock
        self.error = error
        self.calls: list[int] = []

    def list(self, scope: str) -> dict[str, Any]:
        return {"source": "mstodo", "items": [], "complete": True}

    def push(self, change: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(self.clock.now_ms())
        raise self.error

    def refresh_token(self) -> None:
        pass


def unavailable() -> tasksync.ProviderError:
    return tasksync.provider_error("unavailable", "mstodo", status=503, message="busy")


def drain(worker: tasksync.Worker, clock: tasksync.ManualClock) -> None:
    """Runs the worker, jumping the clock to each wake-up, until the queue is idle."""
    for _ in range(1_000):
        if worker.run_once().claimed:
            continue
        wake = worker.next_wake()
        if wake is None:
            return
        clock.set(max(wake, clock.now_ms()))
    raise AssertionError("the queue never drained")


def test_one_always_failing_job_retries_after_1_2_4_8_16_s_then_dies(store: Any) -> None:
    clock = tasksync.ManualClock(1_000_000)
    (task_id,) = seed(store, clock)
    service = tasksync.StatusService(store, targets=NO_BUDGET, clock=clock)
    (job,) = service.change_status(task_id, "completed").jobs
    assert job["max_attempts"] is None  # the worker's budget applies
    provider = Failing(clock, unavailable())
    worker = tasksync.Worker(store, providers=[provider], clock=clock)  # every default
    drain(worker, clock)
    gaps = [b - a for a, b in zip(provider.calls, provider.calls[1:])]
    assert provider.calls[0] == 1_000_000
    assert gaps == [1_000, 2_000, 4_000, 8_000, 16_000]
    dead = tasksync.JobQueue(store).job(job["id"])
    assert dead is not None and (dead.state, dead.attempts) == ("dead", 6)
    assert tasksync.Backoff().max_attempts == 6


def test_the_worker_budget_applies_when_the_target_sets_none(store: Any) -> None:
    clock = tasksync.ManualClock(1_000_000)
    a, b = seed(store, clock, n=2)
    tasksync.StatusService(store, targets=NO_BUDGET, clock=clock).change_status(a, "completed")
    own = [{"name": "mstodo", "kind": "ms_todo", "max_attempts": 2}]
    tasksync.StatusService(store, targets=own, clock=clock).change_status(b, "completed")
    provider = Failing(clock, unavailable())
    worker = tasksync.Worker(store, providers=[provider], clock=clock, backoff={"max_attempts": 3})
    drain(worker, clock)
    queue = tasksync.JobQueue(store)
    attempts = {j.task_id: (j.state, j.attempts) for j in queue.jobs()}
    assert attempts == {a: ("dead", 3), b: ("dead", 2)}


def test_durations_that_would_wrap_are_refused_or_clamped() -> None:
    worker = functools.partial(tasksync.Worker, tasksync.MemoryStore())
    makers: list[tuple[str, Callable[..., object], str]] = [
        ("breaker.open_ms", tasksync.Breaker, "open_ms"),
        ("backoff.max_ms", tasksync.Backoff, "max_ms"),
        ("backoff.base_ms", tasksync.Backoff, "base_ms"),
        ("lease_ms", worker, "lease_ms"),
    ]
    for value in HUGE:
        for field, make, key in makers:
            with pytest.raises(tasksync.InvalidInputError, match=f"`{field}`.*86400000"):
                make(**{key: value})
        with pytest.raises(tasksync.InvalidInputError, match="`breaker.open_ms`"):
            worker(breaker={"open_ms": value})
        limited = {"class": "rate_limited", "provider": "p", "retry_after_ms": value}
        assert tasksync.classify(limited, 1, 5_000) == {"outcome": "retry_at", "at": 5_000 + DAY}
        limiter = tasksync.RateLimiter(0)
        limiter.pause(0, value)
        assert limiter.try_acquire(1) == DAY  # paused for a day, not let through
    # One job's repeated failures count once: the breaker stays closed.
    breaker = tasksync.Breaker()
    for at in range(10):
        breaker.on_failure(at, "job-1")
    assert breaker.state == {"state": "closed", "failures": 1}


@pytest.mark.parametrize("retry_after_ms", HUGE)
def test_a_huge_retry_after_from_a_provider_waits_a_day(store: Any, retry_after_ms: int) -> None:
    clock = tasksync.ManualClock(1_000_000)
    (task_id,) = seed(store, clock)
    service = tasksync.StatusService(store, targets=NO_BUDGET, clock=clock)
    (job,) = service.change_status(task_id, "completed").jobs
    error = tasksync.provider_error("rate_limited", "mstodo", retry_after_ms=retry_after_ms)
    worker = tasksync.Worker(store, providers=[Failing(clock, error)], clock=clock)
    assert worker.run_once().retried == 1
    retried = tasksync.JobQueue(store).job(job["id"])
    assert retried is not None and retried.run_at == 1_000_000 + DAY
    assert worker.next_wake() == 1_000_000 + DAY


def test_a_discarded_job_shows_as_discarded(store: Any) -> None:
    clock = tasksync.ManualClock(1_000)
    (task_id,) = seed(store, clock)
    service = tasksync.StatusService(store, targets=NO_BUDGET, clock=clock)
    (job,) = service.change_status(task_id, "completed").jobs
    refused = tasksync.provider_error("rejected", "mstodo", status=403, message="no")
    tasksync.Worker(store, providers=[Failing(clock, refused)], clock=clock).run_once()
    queue = tasksync.JobQueue(store, clock=clock)
    assert queue.sync_status(task_id) == {"mstodo": "failed"}
    queue.discard(job["id"])
    assert queue.sync_status(task_id) == {"mstodo": "discarded"}
    assert tasksync.sync_status_of("discarded") == "discarded"
    assert tasksync.sync_status_of("superseded") == "synced"
    with pytest.raises(tasksync.InvalidInputError, match="unknown job state"):
        tasksync.sync_status_of("exploded")


def test_a_change_no_target_receives_says_why(store: Any, caplog: pytest.LogCaptureFixture) -> None:
    clock = tasksync.ManualClock(1_000)
    (task_id,) = seed(store, clock, source="process")
    service = tasksync.StatusService(store, targets=NO_BUDGET, clock=clock)
    with caplog.at_level(logging.WARNING, logger="tasksync"):
        report = service.change_status(task_id, "completed")
    assert report.jobs == []
    (decision,) = report.targets
    assert decision["target"] == "mstodo" and decision["job_id"] is None
    assert "`process`" in decision["skipped"] and "sources" in decision["skipped"]
    assert any("enqueues no sync job" in r.getMessage() for r in caplog.records)


def test_the_readme_example_enqueues_its_job(store: Any) -> None:
    # The README's quick start: a work order's steps come from source `process`; the To Do
    # target lists that source, so completing a step queues one job for it.
    engine = tasksync.SyncEngine(store)
    listing = {
        "source": "process",
        "complete": True,
        "items": [{"external_id": "step-1", "kind": "step", "title": "Cut", "status": "pending"}],
    }
    engine.execute(engine.preview("workorder-42", listing), confirmed=True)
    task_id = tasksync.hub_id("process", "step-1")
    targets = [{"name": "mstodo", "kind": "ms_todo", "sources": ["process"]}]
    service = tasksync.StatusService(store, targets=targets)
    report = service.change_status(task_id, "completed", actor="alice")
    assert [j["target"] for j in report.jobs] == ["mstodo"]
    assert report.targets[0]["job_id"] == report.jobs[0]["id"]
