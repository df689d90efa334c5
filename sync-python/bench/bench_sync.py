"""Benchmark of the Python binding's sync against the Django way (figures go to BENCHMARKS.md).

The job, the same on both sides: N stored tasks (default 100,000) in one scope, 30% of them not
draft (so no sync may touch them), each with four fields (``priority``, ``estimate``,
``assignee``, a two-element ``labels`` list). The desired set changes 10% of the tasks (a third
each: title, fields, status), drops the last 5% and adds 5% new ones. Both sides compute the
same plan (creates, updates, deletes and skipped counts are asserted equal), execute it, and a
second preview must plan no write.

- tasksync: ``SyncEngine(SqliteStore)``; ``preview`` + ``execute(confirmed=True)`` with the
  default policy (only drafts are writable), as a Django view would call it.
- The Django way (the work-order sync as a Django developer writes it): a model with a
  ``JSONField`` for the fields; preview loads the scope and diffs with dicts and sets; execute
  runs in ``transaction.atomic()`` with ``select_for_update()`` on the scope's row, loads and
  diffs again under the lock, then ``bulk_create(batch_size=100)``, ``bulk_update`` of title,
  status and fields, and the deletes. Non-draft tasks are left as they are (counted skipped).

Each run seeds both sides (not timed) into fresh tables, then times preview and execute.
Usage: ``python bench/bench_sync.py [N] [RUNS]`` (or ``BENCH_TASKS`` / ``BENCH_RUNS``), with
tasksync and Django 5.2 installed.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import tasksync

SCOPE = "workorder-1"
SOURCE = "process"
Item = dict[str, Any]


def fields_of(i: int, changed: bool = False) -> dict[str, Any]:
    return {
        "priority": (i % 5) + (10 if changed else 0),
        "estimate": i % 13,
        "assignee": f"user-{i % 50}",
        "labels": [f"l{i % 7}", "moved" if changed else f"m{i % 11}"],
    }


def stored_item(i: int) -> Item:
    """Task ``i`` as seeded: 30% not draft (``i % 100 < 30``)."""
    return {
        "external_id": f"step-{i}",
        "kind": "step",
        "title": f"Step {i}",
        "status": "in_progress" if i % 100 < 30 else "draft",
        "fields": fields_of(i),
    }


def desired_items(n: int) -> list[Item]:
    """10% of the kept tasks changed (title, fields or status), the last 5% dropped, 5% new."""
    kept = n - n // 20
    items = []
    for i in range(kept):
        item = stored_item(i)
        if i % 10 == 0:
            what = (i // 10) % 3
            if what == 0:
                item["title"] = f"Step {i} (revised)"
            elif what == 1:
                item["fields"] = fields_of(i, changed=True)
            else:
                item["status"] = "pending"
        items.append(item)
    items.extend(stored_item(i) | {"status": "draft"} for i in range(n, n + n // 20))
    return items


def listing(items: list[Item]) -> dict[str, Any]:
    return {"source": SOURCE, "complete": True, "items": items}


Counts = tuple[int, int, int, int]  # creates, updates, deletes, skipped


def run_tasksync(path: Path, seed: list[Item], desired: list[Item]) -> tuple[float, float, Counts]:
    engine = tasksync.SyncEngine(tasksync.SqliteStore(str(path)))
    engine.execute(engine.preview(SCOPE, listing(seed), {"writable": None}), confirmed=True)
    wanted = listing(desired)
    t0 = time.perf_counter()
    plan = engine.preview(SCOPE, wanted)
    t1 = time.perf_counter()
    engine.execute(plan, confirmed=True)
    t2 = time.perf_counter()
    c = plan.counts
    again = engine.preview(SCOPE, wanted).counts
    assert again["creates"] == again["updates"] == again["deletes"] == 0, again
    return t1 - t0, t2 - t1, (c["creates"], c["updates"], c["deletes"], c["skipped"])


def django_setup(path: Path) -> tuple[Any, Any]:
    """Configures Django on a SQLite file; returns the scope and task models (tables not made)."""
    import django
    from django.conf import settings

    settings.configure(
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(path)}},
        INSTALLED_APPS=[],
        USE_TZ=True,
    )
    django.setup()
    from django.db import models

    class WorkOrder(models.Model):  # type: ignore[misc]  # Django ships no types
        name = models.TextField(unique=True)

        class Meta:
            app_label = "bench"

    class Task(models.Model):  # type: ignore[misc]
        work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE)
        external_id = models.TextField()
        kind = models.TextField()
        title = models.TextField()
        status = models.TextField(default="draft")
        fields = models.JSONField(default=dict)

        class Meta:
            app_label = "bench"
            constraints = [
                models.UniqueConstraint(fields=["work_order", "external_id"], name="one_per_step")
            ]

    return WorkOrder, Task


class DjangoWay:
    """A hand-written TaskSyncService: preview_sync (read only) and execute_sync (atomic)."""

    def __init__(self, order_model: Any, task_model: Any) -> None:
        self.order_model, self.task_model = order_model, task_model

    def reset(self, seed: list[Item]) -> None:
        from django.db import connection

        with connection.schema_editor() as editor:
            for model in (self.task_model, self.order_model):
                if model._meta.db_table in connection.introspection.table_names():
                    editor.delete_model(model)
            editor.create_model(self.order_model)
            editor.create_model(self.task_model)
        self.order = self.order_model.objects.create(name=SCOPE)
        self.task_model.objects.bulk_create(
            [self.task_model(work_order=self.order, **s) for s in seed], batch_size=1000
        )

    def diff(self, desired: list[Item], lock: bool = False) -> dict[str, Any]:
        qs = self.task_model.objects.filter(work_order=self.order)
        stored = {t.external_id: t for t in (qs.select_for_update() if lock else qs)}
        wanted = {d["external_id"]: d for d in desired}
        creates = [wanted[e] for e in wanted.keys() - stored.keys()]
        updates, skipped = [], 0
        for e in wanted.keys() & stored.keys():
            t, d = stored[e], wanted[e]
            if (t.title, t.status, t.fields) == (d["title"], d["status"], d["fields"]):
                continue
            if t.status != "draft":
                skipped += 1
                continue
            t.title, t.status, t.fields = d["title"], d["status"], d["fields"]
            updates.append(t)
        deletes = []
        for e in stored.keys() - wanted.keys():
            if stored[e].status == "draft":
                deletes.append(stored[e].pk)
            else:
                skipped += 1
        return {"creates": creates, "updates": updates, "deletes": deletes, "skipped": skipped}

    def counts(self, plan: dict[str, Any]) -> Counts:
        return (len(plan["creates"]), len(plan["updates"]), len(plan["deletes"]), plan["skipped"])

    def execute(self, desired: list[Item]) -> None:
        from django.db import transaction

        with transaction.atomic():
            self.order_model.objects.select_for_update().get(pk=self.order.pk)
            plan = self.diff(desired, lock=True)
            self.task_model.objects.filter(pk__in=plan["deletes"]).delete()
            self.task_model.objects.bulk_update(
                plan["updates"], ["title", "status", "fields"], batch_size=100
            )
            self.task_model.objects.bulk_create(
                [self.task_model(work_order=self.order, **c) for c in plan["creates"]],
                batch_size=100,
            )

    def run(self, seed: list[Item], desired: list[Item]) -> tuple[float, float, Counts]:
        self.reset(seed)
        t0 = time.perf_counter()
        counts = self.counts(self.diff(desired))
        t1 = time.perf_counter()
        self.execute(desired)
        t2 = time.perf_counter()
        again = self.counts(self.diff(desired))
        assert again[:3] == (0, 0, 0), again
        return t1 - t0, t2 - t1, counts


def main() -> None:
    args = sys.argv[1:]
    n = int(args[0]) if args else int(os.environ.get("BENCH_TASKS", "100000"))
    runs = int(args[1]) if len(args) > 1 else int(os.environ.get("BENCH_RUNS", "3"))
    seed = [stored_item(i) for i in range(n)]
    desired = desired_items(n)
    ratios = []
    with tempfile.TemporaryDirectory() as tmp:
        django_way = DjangoWay(*django_setup(Path(tmp) / "django.db"))
        print(f"preview + execute, {n:,} stored tasks, {len(desired):,} desired (seconds)")
        print("| run | tasksync preview / execute / total | Django way (same) | ratio | plan |")
        print("|---|---|---|---|---|")
        for run in range(1, runs + 1):
            p1, e1, ours = run_tasksync(Path(tmp) / f"hub-{run}.db", seed, desired)
            p2, e2, theirs = django_way.run(seed, desired)
            assert ours == theirs, (ours, theirs)
            ratios.append((p2 + e2) / (p1 + e1))
            plan = "creates {} / updates {} / deletes {} / skipped {}".format(*ours)
            print(
                f"| {run} | {p1:.3f} / {e1:.3f} / {p1 + e1:.3f} | {p2:.3f} / {e2:.3f} /"
                f" {p2 + e2:.3f} | {ratios[-1]:.1f}x | {plan} |"
            )
    print(f"median ratio: {statistics.median(ratios):.1f}x")


if __name__ == "__main__":
    main()
