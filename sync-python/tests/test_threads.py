"""Concurrent use from threads, and re-entrant calls from inside host callbacks."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import tasksync
from pystores import PyTaskStore


def listing(scope: str, n: int) -> dict[str, Any]:
    items = [{"external_id": f"{scope}-{i}", "kind": "task", "title": f"T{i}"} for i in range(n)]
    return {"source": "files", "items": items, "complete": True}


def test_many_threads_sync_their_own_scopes() -> None:
    for store in (tasksync.MemoryStore(), PyTaskStore(), tasksync.SqliteStore(":memory:")):
        engine = tasksync.SyncEngine(store)

        def sync(k: int, engine: tasksync.SyncEngine = engine) -> int:
            scope = f"wo-{k}"
            return engine.execute(engine.preview(scope, listing(scope, 20)), confirmed=True).created

        with ThreadPoolExecutor(max_workers=8) as pool:
            assert sum(pool.map(sync, range(32))) == 32 * 20


def test_racing_executes_of_one_scope_exactly_one_wins() -> None:
    engine = tasksync.SyncEngine(PyTaskStore())
    plans = [engine.preview("s", listing("s", 5)) for _ in range(8)]
    barrier = threading.Barrier(8)
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(plan: tasksync.Plan) -> None:
        barrier.wait()
        try:
            engine.execute(plan, confirmed=True)
            result = "ok"
        except tasksync.StalePlanError:
            result = "stale"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=run, args=(p,)) for p in plans]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ok"] + ["stale"] * 7


def test_engine_called_from_inside_a_store_callback() -> None:
    inner = tasksync.SyncEngine(tasksync.MemoryStore())

    class Reentrant(PyTaskStore):
        def snapshot(self, scope: str) -> dict[str, Any]:
            # A host callback that itself uses the engine (another store): must not deadlock.
            inner.execute(inner.preview(scope, listing(scope, 1)), confirmed=True)
            return super().snapshot(scope)

    engine = tasksync.SyncEngine(Reentrant())
    for k in range(3):
        assert engine.preview(f"s{k}", listing(f"s{k}", 2)).counts["creates"] == 2
    assert inner.verify("s0", listing("s0", 1)).consistent


def test_event_sink_calling_the_engine_from_several_threads() -> None:
    store = tasksync.MemoryStore()
    seen: list[int] = []
    lock = threading.Lock()

    class Sink:
        def emit(self, event: dict[str, Any]) -> None:
            if event["type"] != "sync_executed":
                return  # run progress events
            version = tasksync.SyncEngine(store).check_sync_needed(
                event["scope"], listing(event["scope"], 3)
            )
            with lock:
                seen.append(int(version))

    engine = tasksync.SyncEngine(store, events=Sink())

    def sync(k: int) -> None:
        scope = f"t{k}"
        engine.execute(engine.preview(scope, listing(scope, 3)), confirmed=True)

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(sync, range(12)))
    assert seen == [0] * 12
