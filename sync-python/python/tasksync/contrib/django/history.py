"""``DjangoHistoryStore``: the sync history and audit log (a ``HistoryStore``) over the ORM.

A batch is written in one transaction; a run or entry written again replaces the old row
(the recorder rewrites a run as it progresses). Pages are newest first with an ``(at, id)``
cursor, items in ``seq`` order, as the core's contract says. ``History.start()`` calls
``write`` from its pump thread: there the thread's connection is closed after each batch, since
Django only closes the connections of request threads and a stopped pump must leave none open.
"""

from __future__ import annotations

import threading
from typing import Any

from django.db import connections, transaction
from django.db.models import Q

from .models import AuditLog, SyncHistoryItem, SyncHistoryRun


def _page(rows: Any, at: str, after: dict[str, Any] | None, limit: int) -> dict[str, Any]:
    if after is not None:
        rows = rows.filter(
            Q(**{f"{at}__lt": after["at"]}) | Q(**{at: after["at"], "id__lt": after["id"]})
        )
    got = list(rows.order_by(f"-{at}", "-id")[: limit + 1])
    more = len(got) > limit
    got = got[:limit]
    last = got[-1] if more and got else None
    return {
        "items": [r.data for r in got],
        "next": {"at": getattr(last, at), "id": last.id} if last is not None else None,
    }


class DjangoHistoryStore:
    """A ``HistoryStore`` over the ORM (database alias ``using``)."""

    def __init__(self, using: str = "default") -> None:
        self.using = using

    def write(self, batch: dict[str, Any]) -> None:
        try:
            self._write(batch)
        finally:
            if threading.current_thread() is not threading.main_thread():
                connections[self.using].close()

    def _write(self, batch: dict[str, Any]) -> None:
        with transaction.atomic(using=self.using):
            for run in batch["runs"]:
                SyncHistoryRun.objects.using(self.using).update_or_create(
                    id=run["id"],
                    defaults={
                        "kind": run["kind"],
                        "scope": run["scope"],
                        "status": run["status"],
                        "started_at": run["started_at"],
                        "data": run,
                    },
                )
            for group in batch["items"]:
                for item in group["items"]:
                    SyncHistoryItem.objects.using(self.using).update_or_create(
                        run_id=group["run_id"], seq=item["seq"], defaults={"data": item}
                    )
            for entry in batch["audit"]:
                AuditLog.objects.using(self.using).update_or_create(
                    id=entry["id"],
                    defaults={
                        "at": entry["at"],
                        "entity_type": entry["entity_type"],
                        "entity_id": entry["entity_id"],
                        "data": entry,
                    },
                )

    def run(self, id: str) -> dict[str, Any] | None:
        row = SyncHistoryRun.objects.using(self.using).filter(id=id).first()
        return dict(row.data) if row is not None else None

    def runs(self, query: dict[str, Any]) -> dict[str, Any]:
        rows = SyncHistoryRun.objects.using(self.using).all()
        for field in ("status", "kind", "scope"):
            if query.get(field) is not None:
                rows = rows.filter(**{field: query[field]})
        if query.get("since") is not None:
            rows = rows.filter(started_at__gte=query["since"])
        if query.get("until") is not None:
            rows = rows.filter(started_at__lt=query["until"])
        return _page(rows, "started_at", query.get("after"), query["limit"])

    def items(self, query: dict[str, Any]) -> dict[str, Any]:
        rows = SyncHistoryItem.objects.using(self.using).filter(run_id=query["run_id"])
        if query.get("after") is not None:
            rows = rows.filter(seq__gt=query["after"])
        got = list(rows.order_by("seq")[: query["limit"] + 1])
        more = len(got) > query["limit"]
        got = got[: query["limit"]]
        return {"items": [r.data for r in got], "next": got[-1].seq if more and got else None}

    def audit(self, query: dict[str, Any]) -> dict[str, Any]:
        rows = AuditLog.objects.using(self.using).all()
        for field in ("entity_type", "entity_id"):
            if query.get(field) is not None:
                rows = rows.filter(**{field: query[field]})
        return _page(rows, "at", query.get("after"), query["limit"])


def reset(using: str = "default") -> None:
    """Deletes every run, item and audit entry (tests and the conformance factory)."""
    with transaction.atomic(using=using):
        SyncHistoryItem.objects.using(using).all().delete()
        SyncHistoryRun.objects.using(using).all().delete()
        AuditLog.objects.using(using).all().delete()
