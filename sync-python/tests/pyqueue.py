"""Pure-Python stores for the outbound queue and the sync history.

``PyQueueStore`` is a task store that keeps jobs (the outbox): ``apply`` writes a change set's
jobs with its tasks under one lock, and it implements the job store methods. ``PyHistoryStore``
implements the history store. Both are what a host writes; the core's conformance suites run
against them.
"""

from __future__ import annotations

import copy
from typing import Any

import tasksync
from pystores import PyTaskStore

Job = dict[str, Any]


class PyQueueStore(PyTaskStore):
    """A task store that also keeps sync jobs (a QueueStore), in plain Python."""

    def __init__(self) -> None:
        super().__init__()
        self.job_rows: dict[str, Job] = {}
        self.seq: dict[str, int] = {}
        self.latest: dict[tuple[str, str], str] = {}

    def apply(self, changes: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            ids = [j["id"] for j in changes.get("jobs", [])]
            if len(set(ids)) != len(ids) or any(i in self.job_rows for i in ids):
                raise tasksync.ConflictError("a job of this change set already exists")
            applied = super().apply(changes)
            for job in changes.get("jobs", []):
                self._enqueue(copy.deepcopy(job))
            return applied

    def _enqueue(self, job: Job) -> None:
        pair = (job["task_id"], job["target"])
        for other in self.job_rows.values():
            if (other["task_id"], other["target"]) == pair and other["state"] == "pending":
                other["state"] = "superseded"
                other["updated_at"] = job["created_at"]
        self.seq[job["id"]] = len(self.seq)
        self.job_rows[job["id"]] = job
        self.latest[pair] = job["id"]

    def _running_pairs(self) -> set[tuple[str, str]]:
        return {
            (j["task_id"], j["target"]) for j in self.job_rows.values() if j["state"] == "running"
        }

    def claim(self, owner: str, now: int, lease_ms: int, limit: int) -> list[Job]:
        with self.lock:
            expired = sorted(
                (j for j in self.job_rows.values() if j["state"] == "running"),
                key=lambda j: (j["lease_until"] or 0, j["id"]),
            )
            picked = [j for j in expired if (j["lease_until"] or 0) <= now][:limit]
            busy = self._running_pairs()
            due = sorted(
                (j for j in self.job_rows.values() if j["state"] == "pending"),
                key=lambda j: (j["run_at"], self.seq[j["id"]]),
            )
            for job in due:
                if len(picked) >= limit or job["run_at"] > now:
                    break
                if (job["task_id"], job["target"]) not in busy:
                    picked.append(job)
            for job in picked:
                job.update(
                    state="running",
                    attempts=job["attempts"] + 1,
                    lease_owner=owner,
                    lease_until=now + lease_ms,
                    updated_at=now,
                )
            return copy.deepcopy(picked)

    def finish(self, owner: str, now: int, results: list[dict[str, Any]]) -> list[bool]:
        with self.lock:
            return [self._finish_one(owner, now, r) for r in results]

    def _finish_one(self, owner: str, now: int, result: dict[str, Any]) -> bool:
        job = self.job_rows.get(result["id"])
        if job is None or job["state"] != "running" or job["lease_owner"] != owner:
            return False
        job.update(lease_owner=None, lease_until=None, updated_at=now)
        # Put back behind a newer intent of its pair, the job is superseded instead.
        pair = (job["task_id"], job["target"])
        newer = any(
            (j["task_id"], j["target"]) == pair and j["state"] == "pending"
            for j in self.job_rows.values()
        )
        again = "superseded" if newer else "pending"
        kind = result["result"]
        if kind == "succeeded":
            job.update(state="succeeded", result=result["remote"])
        elif kind == "retry":
            job.update(state=again, run_at=result["run_at"], last_error=result["error"])
        elif kind == "defer":
            job.update(state=again, run_at=result["run_at"])
            job["attempts"] = max(0, job["attempts"] - 1)
        else:
            job.update(state="dead", last_error=result["error"])
            if result["revert"]:
                self._revert(job, now)
        return True

    def _revert(self, job: Job, now: int) -> None:
        task = self.tasks.get(job["task_id"])
        if task is None or task["status"] != job["to"]:
            return
        task = dict(task, status=job["from"], version=task["version"] + 1, updated_at=now)
        self.tasks[task["id"]] = task
        self.versions[task["scope"]] = self.versions.get(task["scope"], 0) + 1

    def job(self, id: str) -> Job | None:
        with self.lock:
            job = self.job_rows.get(id)
            return copy.deepcopy(job) if job is not None else None

    def jobs(self, query: dict[str, Any]) -> list[Job]:
        with self.lock:
            rows = sorted(self.job_rows.values(), key=lambda j: (j["created_at"], j["id"]))
            after = self.job_rows.get(query.get("after") or "")
            if after is not None:
                start = (after["created_at"], after["id"])
                rows = [j for j in rows if (j["created_at"], j["id"]) > start]
            for field in ("state", "target", "task_id"):
                if query.get(field) is not None:
                    rows = [j for j in rows if j[field] == query[field]]
            return copy.deepcopy(rows[: query.get("limit") or 100])

    def _settle(self, id: str, now: int, discard: bool) -> Job:
        with self.lock:
            job = self.job_rows.get(id)
            if job is None:
                raise tasksync.NotFoundError(f"no job `{id}`")
            if job["state"] != "dead":
                raise tasksync.InvalidStateError(f"job `{id}` is {job['state']}, not dead")
            pair = (job["task_id"], job["target"])
            newer = self.latest.get(pair) != id or any(
                (j["task_id"], j["target"]) == pair and j["state"] == "pending"
                for j in self.job_rows.values()
            )
            job["updated_at"] = now
            if discard:
                job["state"] = "discarded"
            elif newer:
                job["state"] = "superseded"
            else:
                job.update(state="pending", attempts=0, run_at=now)
            return copy.deepcopy(job)

    def requeue(self, id: str, now: int) -> Job:
        return self._settle(id, now, discard=False)

    def discard(self, id: str, now: int) -> Job:
        return self._settle(id, now, discard=True)

    def next_due(self) -> int | None:
        with self.lock:
            times = [j["run_at"] for j in self.job_rows.values() if j["state"] == "pending"]
            times += [j["lease_until"] for j in self.job_rows.values() if j["state"] == "running"]
            return min(times) if times else None

    def sync_status(self, task_id: str) -> list[list[str]]:
        with self.lock:
            return [
                [target, tasksync.sync_status_of(self.job_rows[id]["state"])]
                for (task, target), id in sorted(self.latest.items())
                if task == task_id
            ]


def _newest_first(
    rows: list[dict[str, Any]], at: str, after: dict[str, Any] | None, limit: int
) -> dict[str, Any]:
    if after is not None:
        c = (after["at"], after["id"])
        rows = [r for r in rows if (r[at], r["id"]) < c]
    rows = sorted(rows, key=lambda r: (r[at], r["id"]), reverse=True)
    more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1] if more and rows else None
    return {
        "items": copy.deepcopy(rows),
        "next": {"at": last[at], "id": last["id"]} if last else None,
    }


class PyHistoryStore:
    """A HistoryStore in plain Python."""

    def __init__(self) -> None:
        self.runs_by_id: dict[str, dict[str, Any]] = {}
        self.items_by_run: dict[str, dict[int, dict[str, Any]]] = {}
        self.audit_by_id: dict[str, dict[str, Any]] = {}

    def write(self, batch: dict[str, Any]) -> None:
        for run in batch["runs"]:
            self.runs_by_id[run["id"]] = run
        for group in batch["items"]:
            items = self.items_by_run.setdefault(group["run_id"], {})
            for item in group["items"]:
                items[item["seq"]] = item
        for entry in batch["audit"]:
            self.audit_by_id[entry["id"]] = entry

    def run(self, id: str) -> dict[str, Any] | None:
        return copy.deepcopy(self.runs_by_id.get(id))

    def runs(self, query: dict[str, Any]) -> dict[str, Any]:
        def keep(r: dict[str, Any]) -> bool:
            return (
                all(query.get(f) in (None, r[f]) for f in ("status", "kind", "scope"))
                and (query.get("since") is None or r["started_at"] >= query["since"])
                and (query.get("until") is None or r["started_at"] < query["until"])
            )

        rows = [r for r in self.runs_by_id.values() if keep(r)]
        return _newest_first(rows, "started_at", query.get("after"), query["limit"])

    def items(self, query: dict[str, Any]) -> dict[str, Any]:
        items = self.items_by_run.get(query["run_id"], {})
        after = query.get("after")
        rows = [items[s] for s in sorted(items) if after is None or s > after]
        more = len(rows) > query["limit"]
        rows = rows[: query["limit"]]
        return {"items": copy.deepcopy(rows), "next": rows[-1]["seq"] if more else None}

    def audit(self, query: dict[str, Any]) -> dict[str, Any]:
        rows = [
            e
            for e in self.audit_by_id.values()
            if query.get("entity_type") in (None, e["entity_type"])
            and query.get("entity_id") in (None, e["entity_id"])
        ]
        return _newest_first(rows, "at", query.get("after"), query["limit"])


class FailingHistoryStore(PyHistoryStore):
    """A history store whose every write fails (its database is down)."""

    def __init__(self) -> None:
        super().__init__()
        self.attempts = 0

    def write(self, batch: dict[str, Any]) -> None:
        self.attempts += 1
        raise OSError("history database is down")
