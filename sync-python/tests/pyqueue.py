"""Pure-Python stores for the outbound queue and the sync history.

``PyQueueStore`` is a task store that keeps jobs (the outbox): ``apply`` writes a change set's
job writes with its tasks under one lock, and it implements the job store's claim and reads.
``PyHistoryStore`` implements the history store. Both are what a host writes; the core's
conformance suites run against them.
"""

from __future__ import annotations

import copy
from typing import Any

import tasksync
from pystores import PyTaskStore

Job = dict[str, Any]


class PyQueueStore(PyTaskStore):
    """A task store that also keeps sync jobs (a QueueStore), in plain Python: storage only.

    ``apply`` applies a change set's job writes with its tasks under one lock, each checked
    (an insert's id is free, an update's ``expected_version`` holds) and, after the set, at
    most one ``pending`` job per (task, target); ``claim`` is the one atomic pick, writing each
    job as ``tasksync.claimed_job`` says. Every queue rule (results, supersession, reverts,
    dead letters, sync status) is the core's.
    """

    def __init__(self) -> None:
        super().__init__()
        self.job_rows: dict[str, Job] = {}
        self.seq: dict[str, int] = {}

    def apply(self, changes: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            staged = dict(self.job_rows)
            for write in changes.get("jobs", []):
                job = copy.deepcopy(write["job"])
                current = staged.get(job["id"])
                if write["op"] == "insert":
                    if current is not None:
                        raise tasksync.ConflictError(f"job `{job['id']}` exists")
                elif current is None or current["version"] != write["expected_version"]:
                    raise tasksync.ConflictError(f"job `{job['id']}` changed")
                staged[job["id"]] = job
            pending = [
                (j["task_id"], j["target"]) for j in staged.values() if j["state"] == "pending"
            ]
            if len(set(pending)) != len(pending):
                raise tasksync.ConflictError("a (task, target) would have two pending jobs")
            applied = super().apply(changes)  # nothing is written if the tasks conflict
            for id_ in staged:
                self.seq.setdefault(id_, len(self.seq))
            self.job_rows = staged
            return applied

    def claim(self, owner: str, now: int, lease_ms: int, limit: int) -> list[Job]:
        with self.lock:
            running = [j for j in self.job_rows.values() if j["state"] == "running"]
            expired = sorted(
                (j for j in running if (j["lease_until"] or 0) <= now),
                key=lambda j: (j["lease_until"] or 0, self.seq[j["id"]]),
            )
            picked = expired[:limit]
            busy = {(j["task_id"], j["target"]) for j in running}
            due = sorted(
                (j for j in self.job_rows.values() if j["state"] == "pending"),
                key=lambda j: (j["run_at"], self.seq[j["id"]]),
            )
            for job in due:
                if len(picked) >= limit or job["run_at"] > now:
                    break
                if (job["task_id"], job["target"]) not in busy:
                    picked.append(job)
            claimed = [tasksync.claimed_job(j, owner, now, lease_ms) for j in picked]
            for job in claimed:
                self.job_rows[job["id"]] = job
            return copy.deepcopy(claimed)

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

    def next_due(self) -> int | None:
        with self.lock:
            times = [j["run_at"] for j in self.job_rows.values() if j["state"] == "pending"]
            times += [j["lease_until"] for j in self.job_rows.values() if j["state"] == "running"]
            return min(times) if times else None


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
