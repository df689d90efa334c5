"""What the worker processes of test_postgres_workers.py run (each in a fresh interpreter,
started with multiprocessing's `spawn`): a Worker on a PostgresStore with a Python provider.

`drain` runs the core's worker loop (`Worker.run`) until the queue has nothing pending or
running, recording the idempotency key of every push; `one_tick` runs one batch at a fixed
instant with a provider that either answers 429 or records its pushes."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import tasksync

TARGET = "mstodo"
HANDSHAKE_S = 120.0


class Recorder:
    """Records each push's idempotency key. On its first push it signals `mine` and waits for
    `theirs` (the other process's first push), so both processes hold work before either
    finishes: each delivers part of the queue, deterministically."""

    name = TARGET

    def __init__(self, keys: Path, mine: Any, theirs: Any) -> None:
        self.keys = keys.open("a", encoding="utf-8")
        self.mine = mine
        self.theirs = theirs
        self.lock = threading.Lock()

    def list(self, scope: str) -> dict[str, Any]:
        return {"source": TARGET, "items": [], "complete": True}

    def push(self, change: dict[str, Any]) -> dict[str, Any]:
        if not self.mine.is_set():
            self.mine.set()
            if not self.theirs.wait(HANDSHAKE_S):
                raise RuntimeError("the other worker process never pushed")
        with self.lock:
            self.keys.write(change["idempotency_key"] + "\n")
            self.keys.flush()
        return {"remote": change["payload"]}


def queue_is_done(queue: tasksync.JobQueue) -> bool:
    return not queue.jobs(state="pending", limit=1) and not queue.jobs(state="running", limit=1)


def drain(url: str, worker_id: str, keys: str, mine: Any, theirs: Any, out: Any) -> None:
    """Runs a worker loop on the database until the queue is done; puts its totals on `out`."""
    try:
        store = tasksync.PostgresStore(url)
        provider = Recorder(Path(keys), mine, theirs)
        worker = tasksync.Worker(store, providers=[provider], id=worker_id, batch=16)
        stop = tasksync.StopToken()
        queue = tasksync.JobQueue(store)

        def watch() -> None:
            while not stop.stopped and not queue_is_done(queue):
                stop.wait(0.05)
            stop.stop()

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        totals = worker.run(stop=stop)
        watcher.join()
        out.put((worker_id, totals.to_dict(), worker.jobs_total(TARGET, "succeeded")))
    except BaseException as e:  # reported to the test, which fails with it
        out.put((worker_id, {"error": repr(e)}, 0))


class RateLimited:
    """Answers every push with a 429 asking to wait `retry_after_ms`."""

    name = TARGET

    def __init__(self, retry_after_ms: int) -> None:
        self.retry_after_ms = retry_after_ms

    def list(self, scope: str) -> dict[str, Any]:
        return {"source": TARGET, "items": [], "complete": True}

    def push(self, change: dict[str, Any]) -> dict[str, Any]:
        raise tasksync.provider_error("rate_limited", TARGET, retry_after_ms=self.retry_after_ms)


class Counting:
    """Records the pushes it gets."""

    name = TARGET

    def __init__(self) -> None:
        self.pushed: list[str] = []

    def list(self, scope: str) -> dict[str, Any]:
        return {"source": TARGET, "items": [], "complete": True}

    def push(self, change: dict[str, Any]) -> dict[str, Any]:
        self.pushed.append(change["idempotency_key"])
        return {"remote": change["payload"]}


def one_tick(url: str, worker_id: str, now: int, limited: bool, out: Any) -> None:
    """One batch of one job at `now` (a fixed clock): with a provider answering 429 for a
    minute (`limited`), or with one that records its pushes. Puts (tick, pushed keys,
    deferred total) on `out`."""
    try:
        store = tasksync.PostgresStore(url)
        provider: RateLimited | Counting = RateLimited(60_000) if limited else Counting()
        worker = tasksync.Worker(
            store,
            providers=[provider],
            clock=tasksync.ManualClock(now),
            id=worker_id,
            batch=1,
        )
        tick = worker.run_once()
        pushed = provider.pushed if isinstance(provider, Counting) else []
        out.put((tick.to_dict(), pushed, worker.jobs_total(TARGET, "deferred")))
    except BaseException as e:
        out.put(({"error": repr(e)}, [], 0))
