"""A work order and its process: the process steps are what its draft tasks mirror."""

from __future__ import annotations

from django.db import models


class WorkOrder(models.Model):
    """A work order; ``steps`` is its process, a list of ``{"id", "title"}``."""

    title = models.TextField()
    steps = models.JSONField(default=list)

    def __str__(self) -> str:
        return str(self.title)

    @property
    def scope(self) -> str:
        """The hub scope of its tasks."""
        return f"workorder-{int(self.pk)}"

    def listing(self) -> dict[str, object]:
        """The process as a complete listing (source ``process``, one ``step`` per item)."""
        return {
            "source": "process",
            "complete": True,
            "items": [
                {"external_id": str(s["id"]), "kind": "step", "title": str(s["title"])}
                for s in self.steps
            ],
        }
