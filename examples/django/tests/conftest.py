"""Fixtures: a clean hub per test (the stores' tables are emptied) and a JSON HTTP client for
the live server (a real HTTP server on a free port, run by pytest-django)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from tasksync.contrib.django import history, store


@pytest.fixture
def clean_hub(transactional_db: None) -> Iterator[None]:
    store.reset()
    history.reset()
    yield
    store.reset()
    history.reset()


class Http:
    """A minimal JSON client: returns ``(status, body)`` for any status."""

    def __init__(self, base: str) -> None:
        self.base = base

    def call(self, method: str, path: str, body: Any = None, raw: bytes | None = None) -> Any:
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        req = urllib.request.Request(self.base + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return resp.status, json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as e:
            text = e.read()
            try:
                return e.code, json.loads(text)
            except ValueError:
                return e.code, text.decode(errors="replace")


@pytest.fixture
def http(live_server: Any, clean_hub: None) -> Http:
    return Http(live_server.url)
