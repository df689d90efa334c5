"""ORM-backed stores: ``DjangoTaskStore`` (tasks), ``DjangoQueueStore`` (tasks and the outbox).

``apply`` runs in ``transaction.atomic()``: it locks the touched scopes' version rows and the
written task rows with ``select_for_update()`` (sorted, so two writers never deadlock), checks
every guard and expected version, writes, and bumps each touched scope once; any failed check
raises ``tasksync.ConflictError`` and the transaction rolls back, so a failed set writes nothing.
The queue store is storage only: a set's job writes go in the same transaction, each checked
against the row's ``version``, with at most one pending job per (task, target) (a partial
unique index); every queue rule is the core's.
On SQLite ``select_for_update()`` is a no-op; configure ``"OPTIONS": {"transaction_mode":
"IMMEDIATE"}`` there so the transaction itself serialises writers. Job claims use
``select_for_update(skip_locked=True)`` so several workers never claim one job, and every
``running`` job, its lease expired or not, locked by another claimer or not, keeps its (task,
target) busy: a newer job of that pair is never handed out beside it. A claimed job is written
as ``tasksync.claimed_job`` makes it.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Min, Q

import tasksync

from .models import HubTask, ScopeVersion, SyncJob

Task = dict[str, Any]
Job = dict[str, Any]

_TASK_FIELDS = (
    "id source external_id scope kind title status parent fields base version created_at updated_at"
).split()


def task_dict(row: HubTask) -> Task:
    """The core's ``Task`` of a row."""
    return {f: getattr(row, f) for f in _TASK_FIELDS}


def _task_row(task: Task) -> HubTask:
    return HubTask(**{f: task.get(f) for f in _TASK_FIELDS})


class DjangoTaskStore:
    """A ``TaskStore`` over the ORM (database alias ``using``)."""

    def __init__(self, using: str = "default") -> None:
        self.using = using

    def _tasks(self) -> Any:
        return HubTask.objects.using(self.using)

    def _scopes(self) -> Any:
        return ScopeVersion.objects.using(self.using)

    def snapshot(self, scope: str) -> dict[str, Any]:
        # One transaction, so the version and the rows agree.
        with transaction.atomic(using=self.using):
            version = self.scope_version(scope)
            tasks = [task_dict(t) for t in self._tasks().filter(scope=scope).order_by("id")]
        return {"version": version, "tasks": tasks}

    def scope_version(self, scope: str) -> int:
        row = self._scopes().filter(scope=scope).values_list("version", flat=True).first()
        return int(row) if row is not None else 0

    def get(self, id: str) -> Task | None:
        row = self._tasks().filter(id=id).first()
        return task_dict(row) if row is not None else None

    def find_identities(self, source: str, external_ids: list[str]) -> list[dict[str, str]]:
        found: list[dict[str, str]] = []
        # Chunked: a listing may name more ids than a database accepts parameters.
        for i in range(0, len(external_ids), 500):
            rows = self._tasks().filter(source=source, external_id__in=external_ids[i : i + 500])
            found += [
                {"external_id": ext, "id": id_, "scope": scope}
                for ext, id_, scope in rows.values_list("external_id", "id", "scope")
            ]
        return found

    def apply(self, changes: dict[str, Any]) -> dict[str, Any]:
        if changes.get("jobs") and not isinstance(self, DjangoQueueStore):
            raise tasksync.StoreError("this store keeps no jobs; use DjangoQueueStore")
        try:
            with transaction.atomic(using=self.using):
                return self._apply_locked(changes)
        except IntegrityError as e:
            # A concurrent writer created the same scope row, task id or identity first.
            raise tasksync.ConflictError(f"a concurrent change won: {e}") from e

    def _apply_locked(self, changes: dict[str, Any]) -> dict[str, Any]:
        writes = changes["tasks"]
        touched: list[str] = []
        for scope in [g["scope"] for g in changes["guards"]] + [_scope_of(w) for w in writes]:
            if scope not in touched:
                touched.append(scope)
        locked = {
            s.scope: s
            for s in self._scopes().select_for_update().filter(scope__in=touched).order_by("scope")
        }
        for guard in changes["guards"]:
            row = locked.get(guard["scope"])
            have = row.version if row is not None else 0
            if have != guard["expected_version"]:
                raise tasksync.ConflictError(
                    f"scope `{guard['scope']}` is at version {have}, "
                    f"expected {guard['expected_version']}"
                )
        ids = sorted({w["task"]["id"] if w["op"] == "update" else w.get("id", "") for w in writes})
        rows = {
            t.id: t for t in self._tasks().select_for_update().filter(id__in=ids).order_by("id")
        }
        for write in writes:
            self._write(write, rows)
        result = []
        for scope in touched:
            row = locked.get(scope)
            if row is None:
                row = ScopeVersion(scope=scope, version=1)
                row.save(using=self.using, force_insert=True)
            else:
                row.version += 1
                row.save(using=self.using, update_fields=["version"])
            result.append([scope, row.version])
        self._after_tasks(changes)
        return {"scope_versions": result}

    def _write(self, write: dict[str, Any], rows: dict[str, HubTask]) -> None:
        op = write["op"]
        if op == "insert":
            task = write["task"]
            clash = self._tasks().filter(
                Q(id=task["id"]) | Q(source=task["source"], external_id=task["external_id"])
            )
            if clash.exists():
                raise tasksync.ConflictError(f"task `{task['id']}` exists")
            row = _task_row(task)
            row.save(using=self.using, force_insert=True)
            rows[row.id] = row
            return
        id_ = write["task"]["id"] if op == "update" else write["id"]
        current = rows.get(id_)
        if current is None or current.version != write["expected_version"]:
            raise tasksync.ConflictError(f"task `{id_}` changed")
        if op == "update":
            row = _task_row(write["task"])
            row.save(using=self.using, force_update=True)
            rows[id_] = row
        else:
            current.delete(using=self.using)
            del rows[id_]

    def _after_tasks(self, changes: dict[str, Any]) -> None:
        """Hook for the queue store: writes the set's jobs in the same transaction."""


def _scope_of(write: dict[str, Any]) -> str:
    return str(write["scope"] if write["op"] == "delete" else write["task"]["scope"])


def job_dict(row: SyncJob) -> Job:
    """The core's ``Job`` of a row."""
    return {
        "id": row.job_id,
        "task_id": row.task_id,
        "target": row.target,
        "kind": row.kind,
        "external_id": row.external_id,
        "from": row.from_status,
        "to": row.to_status,
        "payload": row.payload,
        "undo": row.undo,
        "state": row.state,
        "attempts": row.attempts,
        "max_attempts": row.max_attempts,
        "run_at": row.run_at,
        "version": row.version,
        "lease": row.lease,
        "task_version": row.task_version,
        "lease_owner": row.lease_owner,
        "lease_until": row.lease_until,
        "last_error": row.last_error,
        "result": row.result,
        "actor": row.actor,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }


def _job_columns(job: Job) -> dict[str, Any]:
    """The columns of a row holding the core's ``Job`` (all but the auto key)."""
    return {
        "job_id": job["id"],
        "task_id": job["task_id"],
        "target": job["target"],
        "kind": job["kind"],
        "external_id": job["external_id"],
        "from_status": job["from"],
        "to_status": job["to"],
        "payload": job.get("payload"),
        "undo": job.get("undo"),
        "state": job["state"],
        "attempts": job["attempts"],
        "max_attempts": job["max_attempts"],
        "run_at": job["run_at"],
        "version": job["version"],
        "lease": job["lease"],
        "task_version": job["task_version"],
        "lease_owner": job.get("lease_owner"),
        "lease_until": job.get("lease_until"),
        "last_error": job.get("last_error"),
        "result": job.get("result"),
        "actor": job.get("actor"),
        "created_at": job["created_at"],
        "updated_at": job["updated_at"],
    }


class DjangoQueueStore(DjangoTaskStore):
    """A task store that also keeps the sync jobs (a ``QueueStore``) over the ORM.

    Storage only: ``apply`` writes the set's job writes in its transaction (an insert whose id
    exists, an update whose ``expected_version`` is not the row's, or a second pending job of
    a (task, target) fails the set with ``ConflictError``), ``claim`` is the one atomic pick,
    and the rest are reads. What a result, a retry or a discard does is the core's.
    """

    def _jobs(self) -> Any:
        return SyncJob.objects.using(self.using)

    def _after_tasks(self, changes: dict[str, Any]) -> None:
        for write in changes.get("jobs", []):
            job = write["job"]
            if write["op"] == "insert":
                if self._jobs().filter(job_id=job["id"]).exists():
                    raise tasksync.ConflictError(f"job `{job['id']}` exists")
                # The partial unique index refuses a second pending job of the pair.
                SyncJob(**_job_columns(job)).save(using=self.using, force_insert=True)
                continue
            rows = self._jobs().filter(job_id=job["id"], version=write["expected_version"])
            if rows.update(**_job_columns(job)) != 1:
                raise tasksync.ConflictError(f"job `{job['id']}` changed")

    def claim(self, owner: str, now: int, lease_ms: int, limit: int) -> list[Job]:
        with transaction.atomic(using=self.using):
            # Read without locking, so a row another claimer holds still counts: a running
            # job keeps its pair busy whether its lease expired or not.
            busy = set(self._jobs().filter(state="running").values_list("task_id", "target"))
            free = self._jobs().select_for_update(skip_locked=True)
            expired = free.filter(state="running", lease_until__lte=now)
            picked = list(expired.order_by("lease_until", "seq")[:limit])
            due = free.filter(state="pending", run_at__lte=now).order_by("run_at", "seq")
            for row in due.iterator():
                if len(picked) >= limit:
                    break
                if (row.task_id, row.target) not in busy:
                    picked.append(row)
                    busy.add((row.task_id, row.target))
            claimed = [tasksync.claimed_job(job_dict(r), owner, now, lease_ms) for r in picked]
            for row, job in zip(picked, claimed):
                self._jobs().filter(seq=row.seq).update(**_job_columns(job))
            return claimed

    def job(self, id: str) -> Job | None:
        row = self._jobs().filter(job_id=id).first()
        return job_dict(row) if row is not None else None

    def jobs(self, query: dict[str, Any]) -> list[Job]:
        rows = self._jobs().order_by("created_at", "job_id")
        after = self._jobs().filter(job_id=query.get("after") or "").first()
        if after is not None:
            rows = rows.filter(
                Q(created_at__gt=after.created_at)
                | Q(created_at=after.created_at, job_id__gt=after.job_id)
            )
        for field, column in (("state", "state"), ("target", "target"), ("task_id", "task_id")):
            if query.get(field) is not None:
                rows = rows.filter(**{column: query[field]})
        return [job_dict(r) for r in rows[: query.get("limit") or 100]]

    def next_due(self) -> int | None:
        a = self._jobs().filter(state="pending").aggregate(m=Min("run_at"))["m"]
        b = self._jobs().filter(state="running").aggregate(m=Min("lease_until"))["m"]
        times = [t for t in (a, b) if t is not None]
        return min(times) if times else None


def reset(using: str = "default") -> None:
    """Deletes every task, scope version and job (tests and the conformance factories)."""
    with transaction.atomic(using=using):
        SyncJob.objects.using(using).all().delete()
        HubTask.objects.using(using).all().delete()
        ScopeVersion.objects.using(using).all().delete()
