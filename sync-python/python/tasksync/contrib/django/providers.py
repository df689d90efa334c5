"""Providers the worker command can use: ``HttpProvider`` (pushes over HTTP) and
``JournalProvider`` (appends each push to a JSON-lines file, for a system that imports it).

They follow the core's provider contract: ``push`` returns ``{"remote": ...}`` or raises a
classified ``tasksync.ProviderError`` (``tasksync.provider_error``), ``list`` lists nothing
(``complete: false``, so a sync from it never deletes), ``refresh_token`` is a no-op.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import tasksync


class HttpProvider:
    """PATCHes a change's payload as JSON to ``{base_url}/{external_id}``.

    401 is ``token_expired``, 429 ``rate_limited`` (``Retry-After`` seconds honoured; without
    one, ``unavailable``), 5xx and refused connections ``unavailable``, a timeout ``timeout``,
    other 4xx ``rejected``.
    """

    def __init__(self, name: str, base_url: str, timeout_s: float = 10.0) -> None:
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s

    def list(self, scope: str) -> dict[str, Any]:
        return {"source": self.name, "items": [], "complete": False}

    def refresh_token(self) -> None:
        """No token to refresh (a deployment subclasses this to fetch one)."""

    def push(self, change: dict[str, Any]) -> dict[str, Any]:
        url = f"{self.base_url}/{urllib.parse.quote(str(change['external_id']), safe='')}"
        body = json.dumps(change.get("payload")).encode()
        req = urllib.request.Request(url, data=body, method="PATCH")
        req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=self.timeout_s) as resp:
                text = resp.read()
                return {"remote": json.loads(text) if text else None}
        except urllib.error.HTTPError as e:
            raise self._classify(e) from e
        except (socket.timeout, TimeoutError) as e:
            message = f"no answer within {self.timeout_s} s"
            raise tasksync.provider_error("timeout", self.name, message=message) from e
        except (urllib.error.URLError, ConnectionError) as e:
            raise tasksync.provider_error("unavailable", self.name, status=0, message=str(e)) from e

    def _classify(self, e: urllib.error.HTTPError) -> tasksync.ProviderError:
        message = e.read().decode(errors="replace")[:500]
        if e.code == 401:
            return tasksync.provider_error("token_expired", self.name)
        if e.code == 429:
            after = e.headers.get("Retry-After")
            if after and after.replace(".", "", 1).isdigit():
                ms = int(float(after) * 1000)
                return tasksync.provider_error("rate_limited", self.name, retry_after_ms=ms)
            # No delay given: an outage retried on the backoff schedule.
        if e.code >= 500 or e.code == 429:
            return tasksync.provider_error("unavailable", self.name, status=e.code, message=message)
        return tasksync.provider_error("rejected", self.name, status=e.code, message=message)


class JournalProvider:
    """Appends every push as one JSON line ``{"at", "target", "change"}`` to ``path``."""

    def __init__(self, name: str, path: str | Path) -> None:
        self.name = name
        self.path = Path(path)
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
