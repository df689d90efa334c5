"""A task store and a provider implemented in Python through the uniffi foreign traits.

The store keeps tasks in dicts with per-scope versions and applies a change set all or
nothing (guards and row versions checked first), as the core's TaskStore contract requires.
"""

from __future__ import annotations

import copy

import tasksync_ffi as ts


class PyTaskStore(ts.TaskStore):
    """An in-memory host store (tasks only: it keeps no jobs)."""

    def __init__(self) -> None:
        self.tasks: dict[str, ts.Task] = {}
        self.versions: dict[str, int] = {}
        self.applies = 0

    async def snapshot(self, scope: str) -> ts.ScopeSnapshot:
        tasks = [copy.deepcopy(t) for t in self.tasks.values() if t.scope == scope]
        return ts.ScopeSnapshot(version=self.versions.get(scope, 0), tasks=tasks)

    async def scope_version(self, scope: str) -> int:
        return self.versions.get(scope, 0)

    async def get(self, id: str) -> ts.Task | None:
        return copy.deepcopy(self.tasks.get(id))

    async def find_identities(
        self, source: str, external_ids: list[str]
    ) -> list[ts.Identity]:
        wanted = set(external_ids)
        return [
            ts.Identity(external_id=t.external_id, id=t.id, scope=t.scope)
            for t in self.tasks.values()
            if t.source == source and t.external_id in wanted
        ]

    async def apply(self, changes: ts.ChangeSet) -> ts.Applied:
        for guard in changes.guards:
            if self.versions.get(guard.scope, 0) != guard.expected_version:
                raise ts.TasksyncError.Conflict(detail=f"scope {guard.scope} moved")
        # Writes go to a copy, in order (an overwrite deletes then re-inserts one id), and
        # replace the tasks only when every check passed: all or nothing.
        tasks = dict(self.tasks)
        touched: list[str] = [g.scope for g in changes.guards]
        for write in changes.tasks:
            if write.is_insert():
                if write.task.id in tasks:
                    raise ts.TasksyncError.Conflict(
                        detail=f"task {write.task.id} exists"
                    )
                tasks[write.task.id] = copy.deepcopy(write.task)
                scope = write.task.scope
            else:
                id_ = write.task.id if write.is_update() else write.id
                stored = tasks.get(id_)
                if stored is None or stored.version != write.expected_version:
                    raise ts.TasksyncError.Conflict(detail=f"task {id_} moved")
                if write.is_update():
                    tasks[id_] = copy.deepcopy(write.task)
                    scope = write.task.scope
                else:
                    del tasks[id_]
                    scope = write.scope
            if scope not in touched:
                touched.append(scope)
        self.tasks = tasks
        self.applies += 1
        versions = []
        for scope in touched:
            self.versions[scope] = self.versions.get(scope, 0) + 1
            versions.append(ts.ScopeVersion(scope=scope, version=self.versions[scope]))
        return ts.Applied(scope_versions=versions)

    def seed(self, task: ts.Task) -> None:
        """Stores a task directly (test setup), bumping its scope's version."""
        self.tasks[task.id] = task
        self.versions[task.scope] = self.versions.get(task.scope, 0) + 1


class PyProvider(ts.Provider):
    """A provider whose listing is given and whose pushes are recorded (or refused)."""

    def __init__(self, name: str, listing: ts.Listing | None = None) -> None:
        self._name = name
        self.listing = listing
        self.pushes: list[ts.StatusPush] = []
        self.reject = False

    def name(self) -> str:
        return self._name

    async def list(self, scope: str) -> ts.Listing:
        if self.listing is None:
            raise ts.ProviderError.Unavailable(
                provider=self._name, status=503, detail="down"
            )
        return self.listing

    async def push(self, change: ts.StatusPush) -> ts.PushReceipt:
        if self.reject:
            raise ts.ProviderError.Rejected(
                provider=self._name, status=422, detail="no"
            )
        self.pushes.append(change)
        return ts.PushReceipt(remote='{"ok": true}')

    async def refresh_token(self) -> None:
        return None


class FixedClock(ts.Clock):
    """A clock the test moves by hand."""

    def __init__(self, now: int) -> None:
        self.now = now

    def now_ms(self) -> int:
        return self.now
