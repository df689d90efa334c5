"""The tables of the hub: tasks with their scope versions, the sync jobs, the history and audit.

Invariants the stores keep: a task's ``(source, external_id)`` is unique; every change set bumps
each touched scope's ``ScopeVersion`` by one in the same transaction as its writes; jobs are
written in the transaction of the status change that caused them (the outbox), each write
checked against the job's ``version``, a (task, target) has at most one ``pending`` job (a
partial unique index), and ``seq`` (the row's auto key) is their enqueue order. Times are
milliseconds since the epoch, as in the core.
"""

from __future__ import annotations

import json
from typing import Any

from django.db import models


class JsonText(models.TextField):
    """JSON kept as text, so values round-trip exactly.

    PostgreSQL's ``jsonb`` (Django's ``JSONField``) rewrites numbers: ``-1.5e300`` comes back
    as a 301-digit integer, which the core then refuses. Nothing queries inside these values.
    """

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        return None if value is None else json.loads(value)

    def to_python(self, value: Any) -> Any:
        return json.loads(value) if isinstance(value, str) else value

    def get_prep_value(self, value: Any) -> Any:
        return None if value is None else json.dumps(value, ensure_ascii=False)


class HubTask(models.Model):
    """A hub task (the core's ``Task``)."""

    id = models.TextField(primary_key=True)
    source = models.TextField()
    external_id = models.TextField()
    scope = models.TextField(db_index=True)
    kind = models.TextField()
    title = models.TextField()
    status = models.TextField()
    parent = models.TextField(null=True, blank=True)
    fields = JsonText(default=dict)
    base = JsonText(null=True, blank=True)
    version = models.BigIntegerField()
    created_at = models.BigIntegerField()
    updated_at = models.BigIntegerField()

    class Meta:
        db_table = "tasksync_task"
        constraints = [
            models.UniqueConstraint(fields=["source", "external_id"], name="tasksync_task_identity")
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.status})"


class ScopeVersion(models.Model):
    """A scope's version: absent means 0; the row is the lock a change set takes."""

    scope = models.TextField(primary_key=True)
    version = models.BigIntegerField(default=0)

    class Meta:
        db_table = "tasksync_scope_version"

    def __str__(self) -> str:
        return f"{self.scope}@{self.version}"


class SyncJob(models.Model):
    """One outbound push of a status change (the core's ``Job``)."""

    seq = models.BigAutoField(primary_key=True)
    job_id = models.TextField(unique=True)
    task_id = models.TextField(db_index=True)
    target = models.TextField()
    kind = models.TextField()
    external_id = models.TextField()
    from_status = models.TextField(db_column="from_status")
    to_status = models.TextField(db_column="to_status")
    payload = JsonText(null=True, blank=True)
    undo = JsonText(null=True, blank=True)
    state = models.TextField(db_index=True)
    attempts = models.IntegerField(default=0)
    # The job's own attempt budget; NULL: the worker's backoff budget applies.
    max_attempts = models.IntegerField(null=True, blank=True)
    run_at = models.BigIntegerField()
    lease_owner = models.TextField(null=True, blank=True)
    lease_until = models.BigIntegerField(null=True, blank=True)
    last_error = JsonText(null=True, blank=True)
    result = JsonText(null=True, blank=True)
    actor = models.TextField(null=True, blank=True)
    created_at = models.BigIntegerField()
    updated_at = models.BigIntegerField()
    # The row version (1 on enqueue, one more on every write; a write names the version it
    # read), the lease number (one more on every claim; a result is fenced by it) and the
    # task's version after the change (orders a pair's intents). 0 on rows from before.
    version = models.BigIntegerField(default=0)
    lease = models.BigIntegerField(default=0)
    task_version = models.BigIntegerField(default=0)

    class Meta:
        db_table = "tasksync_sync_job"
        indexes = [models.Index(fields=["state", "run_at"], name="tasksync_job_due")]
        constraints = [
            # At most one pending job per (task, target): the store contract's one rule.
            models.UniqueConstraint(
                fields=["task_id", "target"],
                condition=models.Q(state="pending"),
                name="tasksync_job_one_pending",
            )
        ]

    def __str__(self) -> str:
        return f"{self.job_id} {self.target} {self.state}"


class SyncHistoryRun(models.Model):
    """One preview or execute run; ``data`` is the core's ``Run`` as JSON."""

    id = models.TextField(primary_key=True)
    kind = models.TextField()
    scope = models.TextField(db_index=True)
    status = models.TextField()
    started_at = models.BigIntegerField(db_index=True)
    data = JsonText()

    class Meta:
        db_table = "tasksync_sync_history"

    def __str__(self) -> str:
        return f"{self.kind} {self.scope} {self.status}"


class SyncHistoryItem(models.Model):
    """One item of a run; ``data`` is the core's ``Item`` as JSON."""

    run_id = models.TextField()
    seq = models.BigIntegerField()
    data = JsonText()

    class Meta:
        db_table = "tasksync_sync_history_item"
        constraints = [
            models.UniqueConstraint(fields=["run_id", "seq"], name="tasksync_item_run_seq")
        ]

    def __str__(self) -> str:
        return f"{self.run_id}#{self.seq}"


class AuditLog(models.Model):
    """One audit entry; ``data`` is the core's ``AuditEntry`` as JSON."""

    id = models.TextField(primary_key=True)
    at = models.BigIntegerField(db_index=True)
    entity_type = models.TextField()
    entity_id = models.TextField(db_index=True)
    data = JsonText()

    class Meta:
        db_table = "tasksync_audit_log"

    def __str__(self) -> str:
        return f"{self.entity_type} {self.entity_id}"
