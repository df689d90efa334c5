"""Benchmark of the Python binding (figures go to BENCHMARKS.md by hand).

1. Preview + execute of N tasks (default 100,000) from Python into ``tasksync.SqliteStore``,
   against the same job done the hand-written Django way in the same run: Python sets for the
   difference and the Django ORM (``select_for_update`` on the work order,
   ``bulk_create(batch_size=100)`` of draft tasks) on SQLite in a temporary database. Both
   start from an empty scope (N creates), then a second round changes 10% of the titles.
2. The cost of one binding call (``MemoryStore.scope_version`` on an empty store, and
   ``tasksync.server_time()``).
3. Switch-cycle latency through Python (``SessionEngine`` on the in-memory session store):
   p50 / p99 over single switches.

Usage: ``python bench/bench_sync.py [N]`` with tasksync, Django 5.2 installed.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import tasksync


def listing(n: int, changed: int = 0) -> dict[str, Any]:
    items = [
        {
            "external_id": f"step-{i}",
            "kind": "step",
            "title": f"Step {i}" + (" (revised)" if i < changed else ""),
        }
        for i in range(n)
    ]
    return {"source": "process", "complete": True, "items": items}


def bench_tasksync(path: Path, n: int) -> list[tuple[str, float, float]]:
    engine = tasksync.SyncEngine(tasksync.SqliteStore(str(path)))
    rows = []
    for label, desired in (("initial", listing(n)), ("10% changed", listing(n, n // 10))):
        t0 = time.perf_counter()
        plan = engine.preview("workorder-1", desired)
        t1 = time.perf_counter()
        engine.execute(plan, confirmed=True)
        t2 = time.perf_counter()
        rows.append((label, t1 - t0, t2 - t1))
    return rows


def django_setup(path: Path) -> Any:
    """Configures Django on a temporary SQLite file and creates a work-order app's two tables."""
    import django
    from django.conf import settings

    settings.configure(
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(path)}},
        INSTALLED_APPS=[],
        USE_TZ=True,
    )
    django.setup()
    from django.db import connection, models

    class WorkOrder(models.Model):  # type: ignore[misc]  # Django ships no types
        title = models.TextField()

        class Meta:
            app_label = "bench"

    class DraftTask(models.Model):  # type: ignore[misc]
        work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE)
        process_step = models.TextField()
        title = models.TextField()
        status = models.TextField(default="draft")

        class Meta:
            app_label = "bench"
            indexes = [models.Index(fields=["work_order", "process_step"])]

    with connection.schema_editor() as editor:
        editor.create_model(WorkOrder)
        editor.create_model(DraftTask)
    return WorkOrder, DraftTask


def bench_django_way(path: Path, n: int) -> list[tuple[str, float, float]]:
    """A hand-written Django TaskSyncService: preview with sets, execute in one bulk_create."""
    from django.db import transaction

    work_order_model, task_model = django_setup(path)
    order = work_order_model.objects.create(title="WO-1")

    def preview(steps: dict[str, str]) -> dict[str, Any]:
        drafts = {
            t.process_step: t for t in task_model.objects.filter(work_order=order, status="draft")
        }
        wanted, have = set(steps), set(drafts)
        to_add, to_remove = wanted - have, have - wanted
        to_update = {s for s in wanted & have if drafts[s].title != steps[s]}
        return {
            "add": [{"step": s, "title": steps[s]} for s in sorted(to_add)],
            "remove": sorted(to_remove),
            "update": [{"step": s, "title": steps[s]} for s in sorted(to_update)],
        }

    def execute(plan: dict[str, Any]) -> None:
        with transaction.atomic():
            work_order_model.objects.select_for_update().get(pk=order.pk)
            qs = task_model.objects.filter(work_order=order, status="draft")
            if plan["remove"]:
                qs.filter(process_step__in=plan["remove"]).delete()
            drafts = {
                t.process_step: t
                for t in qs.filter(process_step__in=[u["step"] for u in plan["update"]])
            }
            for u in plan["update"]:
                drafts[u["step"]].title = u["title"]
            task_model.objects.bulk_update(list(drafts.values()), ["title"], batch_size=100)
            task_model.objects.bulk_create(
                [
                    task_model(work_order=order, process_step=a["step"], title=a["title"])
                    for a in plan["add"]
                ],
                batch_size=100,
            )

    rows = []
    for label, desired in (("initial", listing(n)), ("10% changed", listing(n, n // 10))):
        steps = {i["external_id"]: i["title"] for i in desired["items"]}
        t0 = time.perf_counter()
        plan = preview(steps)
        t1 = time.perf_counter()
        execute(plan)
        t2 = time.perf_counter()
        rows.append((label, t1 - t0, t2 - t1))
    assert task_model.objects.count() == n
    return rows


def per_call_ns(fn: Any, calls: int = 200_000) -> float:
    t0 = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - t0) / calls * 1e9


def switch_latency(switches: int = 20_000) -> tuple[float, float]:
    engine = tasksync.SessionEngine()
    cycles = [{"id": f"c{i}", "name": f"Cycle {i}"} for i in range(8)]
    engine.create("s", cycles)
    engine.start("s")
    times = []
    for _ in range(switches):
        t0 = time.perf_counter_ns()
        engine.switch("s", None)
        times.append(time.perf_counter_ns() - t0)
    q = statistics.quantiles(times, n=100)
    return q[49] / 1000, q[98] / 1000


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with tempfile.TemporaryDirectory() as tmp:
        ours = bench_tasksync(Path(tmp) / "hub.db", n)
        theirs = bench_django_way(Path(tmp) / "django.db", n)
    print(f"preview + execute of {n:,} tasks into SQLite (seconds)")
    print("| run | tasksync preview / execute / total | Django way (same) | speedup |")
    print("|---|---|---|---|")
    for (label, p1, e1), (_, p2, e2) in zip(ours, theirs):
        print(
            f"| {label} | {p1:.3f} / {e1:.3f} / {p1 + e1:.3f} | {p2:.3f} / {e2:.3f} / {p2 + e2:.3f}"
            f" | {(p2 + e2) / (p1 + e1):.1f}x |"
        )
    store = tasksync.MemoryStore()
    ns = per_call_ns(lambda: store.scope_version("x"))
    print(f"one binding call, MemoryStore.scope_version (empty): {ns:.0f} ns")
    print(f"one binding call, tasksync.server_time(): {per_call_ns(tasksync.server_time):.0f} ns")
    print(f"a Python no-op call, for scale: {per_call_ns(lambda: None):.0f} ns")
    p50, p99 = switch_latency()
    print(
        f"switch cycle through Python (memory store, 20,000 switches): p50 {p50:.1f} us, ", end=""
    )
    print(f"p99 {p99:.1f} us")


if __name__ == "__main__":
    main()
