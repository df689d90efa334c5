"""Pure-Python stores implementing the core's TaskStore and SessionStore contracts.

They are what a host writes: plain classes over dicts, raising ``tasksync.ConflictError`` on a
failed version check. The conformance suites run against them (sync and ``async def`` forms).
"""

from __future__ import annotations

import copy
import threading
from typing import Any

import tasksync

Task = dict[str, Any]


class PyTaskStore:
    """A TaskStore in plain Python (thread-safe: one lock around every operation)."""

    def __init__(self) -> None:
        self.tasks: dict[str, Task] = {}
        self.versions: dict[str, int] = {}
        # Re-entrant: the queue store below wraps `apply` in the same lock.
        self.lock = threading.RLock()
        self.calls = 0

    def snapshot(self, scope: str) -> dict[str, Any]:
        with self.lock:
            self.calls += 1
            tasks = [copy.deepcopy(t) for t in self.tasks.values() if t["scope"] == scope]
            return {"version": self.versions.get(scope, 0), "tasks": tasks}

    def scope_version(self, scope: str) -> int:
        with self.lock:
            return self.versions.get(scope, 0)

    def get(self, id: str) -> Task | None:
        with self.lock:
            task = self.tasks.get(id)
            return copy.deepcopy(task) if task is not None else None

    def find_identities(self, source: str, external_ids: list[str]) -> list[dict[str, str]]:
        wanted = set(external_ids)
        with self.lock:
            return [
                {"external_id": t["external_id"], "id": t["id"], "scope": t["scope"]}
                for t in self.tasks.values()
                if t["source"] == source and t["external_id"] in wanted
            ]

    def apply(self, changes: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            for guard in changes["guards"]:
                have = self.versions.get(guard["scope"], 0)
                if have != guard["expected_version"]:
                    raise tasksync.ConflictError(
                        f"scope `{guard['scope']}` is at version {have}, "
                        f"expected {guard['expected_version']}"
                    )
            staged = dict(self.tasks)
            touched: list[str] = [g["scope"] for g in changes["guards"]]
            for write in changes["tasks"]:
                op = write["op"]
                if op == "insert":
                    task = write["task"]
                    identity = (task["source"], task["external_id"])
                    exists = task["id"] in staged or any(
                        (t["source"], t["external_id"]) == identity for t in staged.values()
                    )
                    if exists:
                        raise tasksync.ConflictError(f"task `{task['id']}` exists")
                    staged[task["id"]] = task
                    scope = task["scope"]
                else:
                    id_ = write["task"]["id"] if op == "update" else write["id"]
                    current = staged.get(id_)
                    if current is None or current["version"] != write["expected_version"]:
                        raise tasksync.ConflictError(f"task `{id_}` changed")
                    if op == "update":
                        staged[id_] = write["task"]
                        scope = write["task"]["scope"]
                    else:
                        del staged[id_]
                        scope = write["scope"]
                if scope not in touched:
                    touched.append(scope)
            self.tasks = staged
            result = []
            for scope in touched:
                self.versions[scope] = self.versions.get(scope, 0) + 1
                result.append([scope, self.versions[scope]])
            return {"scope_versions": result}


class AsyncPyTaskStore:
    """The same store with ``async def`` methods."""

    def __init__(self) -> None:
        self.inner = PyTaskStore()

    async def snapshot(self, scope: str) -> dict[str, Any]:
        return self.inner.snapshot(scope)

    async def scope_version(self, scope: str) -> int:
        return self.inner.scope_version(scope)

    async def get(self, id: str) -> Task | None:
        return self.inner.get(id)

    async def find_identities(self, source: str, external_ids: list[str]) -> list[dict[str, str]]:
        return self.inner.find_identities(source, external_ids)

    async def apply(self, changes: dict[str, Any]) -> dict[str, Any]:
        return self.inner.apply(changes)


class PySessionStore:
    """A SessionStore in plain Python."""

    def __init__(self) -> None:
        self.sessions: dict[str, dict[str, Any]] = {}
        self.lock = threading.Lock()

    def get(self, id: str) -> dict[str, Any] | None:
        with self.lock:
            s = self.sessions.get(id)
            return copy.deepcopy(s) if s is not None else None

    def insert(self, session: dict[str, Any]) -> None:
        with self.lock:
            if session["id"] in self.sessions:
                raise tasksync.ConflictError(f"session `{session['id']}` exists")
            self.sessions[session["id"]] = session

    def update(self, session: dict[str, Any], expected_version: int) -> None:
        with self.lock:
            have = self.sessions.get(session["id"])
            if have is None or have["version"] != expected_version:
                raise tasksync.ConflictError(f"session `{session['id']}` changed")
            self.sessions[session["id"]] = session

    def delete(self, id: str, expected_version: int) -> None:
        with self.lock:
            have = self.sessions.get(id)
            if have is None or have["version"] != expected_version:
                raise tasksync.ConflictError(f"session `{id}` changed")
            del self.sessions[id]
