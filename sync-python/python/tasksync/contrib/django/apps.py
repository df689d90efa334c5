"""The app config. The label is ``tasksync`` (not the module's last part, ``django``)."""

from __future__ import annotations

from django.apps import AppConfig


class TasksyncConfig(AppConfig):
    name = "tasksync.contrib.django"
    label = "tasksync"
    verbose_name = "Task sync"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks  # noqa: F401 (registers the settings checks)
