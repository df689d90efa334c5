"""Two Python processes, each with a Worker on one PostgreSQL database (see pgworker.py): they
drain 1,000 jobs that a StatusService enqueued, every job delivered exactly once (no
idempotency key twice) and both taking part; and a 429 one process sees pauses the provider
for the other, whose next attempt is deferred without a call (job states and metrics, at fixed
clocks: no timing)."""

from __future__ import annotations

import multiprocessing
from pathlib import Path
from typing import Any

import pgworker
import tasksync

JOBS = 1_000
TARGETS = [{"name": pgworker.TARGET, "kind": "ms_todo"}]
JOIN_S = 600


def seed(url: str, n: int, clock: tasksync.ManualClock | None = None) -> list[str]:
    """`n` tasks of scope wo-1, each moved to `completed` by a StatusService: `n` jobs."""
    store = tasksync.PostgresStore(url)
    engine = tasksync.SyncEngine(store, clock=clock)
    items = [
        {"external_id": f"e{i}", "kind": "task", "title": f"T{i}", "status": "pending"}
        for i in range(n)
    ]
    listing = {"source": pgworker.TARGET, "items": items, "complete": True}
    engine.execute(engine.preview("wo-1", listing), confirmed=True)
    service = tasksync.StatusService(store, targets=TARGETS, clock=clock)
    job_ids = []
    for i in range(n):
        report = service.change_status(tasksync.hub_id(pgworker.TARGET, f"e{i}"), "completed")
        job_ids.append(report.jobs[0]["id"])
    return job_ids


def all_jobs(store: tasksync.PostgresStore) -> list[tasksync.Job]:
    queue = tasksync.JobQueue(store)
    out: list[tasksync.Job] = []
    while True:
        page = queue.jobs(after=out[-1].id if out else None, limit=500)
        if not page:
            return out
        out.extend(page)


def results(processes: list[Any], out: Any) -> list[Any]:
    got = [out.get(timeout=JOIN_S) for _ in processes]
    for p in processes:
        p.join(JOIN_S)
        assert p.exitcode == 0
    return got


def test_two_processes_drain_the_queue_and_deliver_each_job_once(
    pg_url: str, tmp_path: Path
) -> None:
    job_ids = seed(pg_url, JOBS)
    assert len(set(job_ids)) == JOBS
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    started = [ctx.Event(), ctx.Event()]
    keys = [tmp_path / "keys-a.txt", tmp_path / "keys-b.txt"]
    processes = [
        ctx.Process(
            target=pgworker.drain,
            args=(pg_url, f"w{i}", str(keys[i]), started[i], started[1 - i], out),
        )
        for i in range(2)
    ]
    for p in processes:
        p.start()
    reports = results(processes, out)
    for worker_id, totals, _ in reports:
        assert "error" not in totals, (worker_id, totals)

    delivered = [k.read_text().split() for k in keys]
    assert all(delivered), "both processes delivered part of the queue"
    every = delivered[0] + delivered[1]
    assert len(every) == JOBS, "no key delivered twice"
    assert sorted(every) == sorted(job_ids)
    assert sum(t["succeeded"] for _, t, _ in reports) == JOBS
    assert sum(succeeded for _, _, succeeded in reports) == JOBS
    jobs = all_jobs(tasksync.PostgresStore(pg_url))
    assert len(jobs) == JOBS
    assert {(j.state, j.attempts) for j in jobs} == {("succeeded", 1)}


def test_a_429_in_one_process_defers_the_next_attempt_in_the_other(pg_url: str) -> None:
    now = 1_000
    first, second = seed(pg_url, 2, tasksync.ManualClock(now))
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()

    def tick(worker_id: str, at: int, limited: bool) -> tuple[dict[str, Any], list[str], int]:
        p = ctx.Process(target=pgworker.one_tick, args=(pg_url, worker_id, at, limited, out))
        p.start()
        (got,) = results([p], out)
        assert "error" not in got[0], got
        return got  # type: ignore[no-any-return]

    limited, _, _ = tick("a", now, True)
    assert (limited["claimed"], limited["retried"]) == (1, 1)
    queue = tasksync.JobQueue(tasksync.PostgresStore(pg_url))
    seen = [j for j in (queue.job(first), queue.job(second)) if j is not None and j.attempts == 1]
    assert len(seen) == 1 and seen[0].state == "pending"
    untouched = second if seen[0].id == first else first

    paused, pushed, deferred = tick("b", now, False)
    assert pushed == [] and paused["succeeded"] == 0
    assert deferred >= 1
    job = queue.job(untouched)
    assert job is not None and (job.state, job.attempts) == ("pending", 0)

    # Once the pause is over, the other process delivers.
    resumed, pushed, _ = tick("b", now + 60_001, False)
    assert resumed["succeeded"] == 1 and len(pushed) == 1
