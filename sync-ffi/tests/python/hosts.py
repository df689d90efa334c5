"""A task store, a queue store (tasks and jobs) and a provider implemented in Python through
the uniffi foreign traits.

The stores keep tasks in dicts with per-scope versions and apply a change set all or nothing
(guards, row versions and identities checked first), as the core's TaskStore contract requires;
the queue store also writes the set's jobs in the same step and implements the JobStore
contract. Their methods are `async def` (no await inside, so each runs as one atomic step on
the event loop).
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
                if any(
                    (t.source, t.external_id) == (write.task.source, write.task.external_id)
                    for t in tasks.values()
                ):
                    raise ts.TasksyncError.Conflict(
                        detail=f"identity {write.task.external_id} exists"
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


class PyQueueStore(PyTaskStore, ts.JobStore):
    """A task store that also keeps the outbound queue (pass it twice to
    `HubStore.foreign_queue`), storage only: `apply` writes a change set's job writes with its
    tasks (an insert's id must be free, an update's expected version must hold, and at most one
    job per (task, target) may be pending after the set), and `claim` stores each job as the
    binding's `claimed_job` makes it. Every queue rule is the core's."""

    def __init__(self) -> None:
        super().__init__()
        self.job_rows: dict[str, ts.QueuedJob] = {}
        self.seq: dict[str, int] = {}

    def _version_ok(self, stored: ts.QueuedJob | None, expected: int) -> bool:
        return stored is not None and stored.version == expected

    def _one_pending_per_pair(self, rows: dict[str, ts.QueuedJob]) -> bool:
        pairs = [(j.task_id, j.target) for j in rows.values() if j.state == ts.JobState.PENDING]
        return len(pairs) == len(set(pairs))

    async def apply(self, changes: ts.ChangeSet) -> ts.Applied:
        # The job writes go to a copy, in order, and replace the rows only when the task
        # writes pass too: all or nothing.
        rows = dict(self.job_rows)
        for write in changes.jobs:
            job = copy.deepcopy(write.job)
            if write.is_insert():
                if job.id in rows:
                    raise ts.TasksyncError.Conflict(detail=f"job {job.id} exists")
            elif not self._version_ok(rows.get(job.id), write.expected_version):
                raise ts.TasksyncError.Conflict(detail=f"job {job.id} moved")
            rows[job.id] = job
        if not self._one_pending_per_pair(rows):
            raise ts.TasksyncError.Conflict(detail="two pending jobs for one task and target")
        applied = await super().apply(changes)  # all or nothing; raises before any write
        for id_ in rows:
            self.seq.setdefault(id_, len(self.seq))
        self.job_rows = rows
        return applied

    async def claim(
        self, owner: str, now: int, lease_ms: int, limit: int
    ) -> list[ts.QueuedJob]:
        running = [j for j in self.job_rows.values() if j.state == ts.JobState.RUNNING]
        expired = sorted(
            (j for j in running if (j.lease_until or 0) <= now),
            key=lambda j: (j.lease_until or 0, j.id),
        )
        picked = expired[:limit]
        busy = {(j.task_id, j.target) for j in running}
        due = sorted(
            (j for j in self.job_rows.values() if j.state == ts.JobState.PENDING),
            key=lambda j: (j.run_at, self.seq[j.id]),
        )
        for job in due:
            if len(picked) >= limit or job.run_at > now:
                break
            if (job.task_id, job.target) not in busy:
                picked.append(job)
        claimed = [ts.claimed_job(job, owner, now, lease_ms) for job in picked]
        for job in claimed:
            self.job_rows[job.id] = job
        return copy.deepcopy(claimed)

    async def job(self, id: str) -> ts.QueuedJob | None:
        return copy.deepcopy(self.job_rows.get(id))

    async def jobs(self, query: ts.JobQuery) -> list[ts.QueuedJob]:
        rows = sorted(self.job_rows.values(), key=lambda j: (j.created_at, j.id))
        after = self.job_rows.get(query.after or "")
        if after is not None:
            rows = [j for j in rows if (j.created_at, j.id) > (after.created_at, after.id)]
        if query.state is not None:
            rows = [j for j in rows if j.state == query.state]
        if query.target is not None:
            rows = [j for j in rows if j.target == query.target]
        if query.task_id is not None:
            rows = [j for j in rows if j.task_id == query.task_id]
        return copy.deepcopy(rows[: query.limit or 100])

    async def next_due(self) -> int | None:
        times = [j.run_at for j in self.job_rows.values() if j.state == ts.JobState.PENDING]
        times += [
            j.lease_until
            for j in self.job_rows.values()
            if j.state == ts.JobState.RUNNING and j.lease_until is not None
        ]
        return min(times) if times else None


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
