"""An example of writing a provider of your own (not part of tasksync): it appends every push
as one JSON line ``{"at", "target", "change"}`` to a file, for a system that imports it.

Use it from the settings with ``TASKSYNC["providers"]["NAME"] = {"class":
"workorders.journal.JournalProvider"}``: the worker calls the class with the target's name. A
provider of your own has a ``name``, ``list(scope)`` (a listing; ``complete: False`` here, so a
sync from it never deletes), ``push(change)`` returning ``{"remote": ...}`` or raising a
classified error (``tasksync.provider_error("unavailable", name, ...)``; a plain exception is
retried as an outage) and ``refresh_token()``. The built-in providers need none of this.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Any


class JournalProvider:
    """Appends every push to ``$TASKSYNC_JOURNAL`` (default ``pushes.jsonl``)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.path = Path(os.environ.get("TASKSYNC_JOURNAL", "pushes.jsonl"))
        self._lock = threading.Lock()

    def list(self, scope: str) -> dict[str, Any]:
        return {"source": self.name, "items": [], "complete": False}

    def refresh_token(self) -> None:
        """No token."""

    def push(self, change: dict[str, Any]) -> dict[str, Any]:
        line = json.dumps({"at": int(time.time() * 1000), "target": self.name, "change": change})
        with self._lock, self.path.open("a", encoding="utf-8") as f:
            f.write(line + "\n")
        return {"remote": change.get("payload")}
