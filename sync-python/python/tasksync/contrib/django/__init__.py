"""The Django app of tasksync: ORM models, the ORM-backed stores, admin and commands.

Add ``"tasksync.contrib.django"`` to ``INSTALLED_APPS`` and run ``migrate``; the tables are
``tasksync_task`` (hub tasks), ``tasksync_scope_version``, ``tasksync_sync_job`` (the outbox),
``tasksync_sync_history``, ``tasksync_sync_history_item`` and ``tasksync_audit_log``. The stores
live in :mod:`tasksync.contrib.django.store` (import them after Django is set up).
"""
