"""Fixtures: a clean hub per test (the stores' tables are emptied), a JSON HTTP client for
the live server (a real HTTP server on a free port, run by pytest-django) and the provider
fakes (one loopback server per built-in provider's API, reset for every test)."""

from __future__ import annotations

import json
import os
import subprocess
import urllib.error
import urllib.parse
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


class Fakes:
    """The provider fakes (``$TASKSYNC_FAKES``, built by ``cargo build -p sync-providers
    --example fakes``): their start line and their ``/_fake/`` control endpoints."""

    def __init__(self, info: dict[str, Any]) -> None:
        self.info = info
        self.token: str = info["token"]
        self.fresh: str = info["fresh"]

    def origin(self, kind: str) -> str:
        parts = urllib.parse.urlsplit(self.info[kind])
        return f"{parts.scheme}://{parts.netloc}"

    def control(self, kind: str, method: str, path: str, body: Any = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.origin(kind) + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(req, timeout=30) as resp:
            text = resp.read()
            return json.loads(text) if text else None


FRESH: list[str] = []


def fresh_token(provider: str) -> str:
    """The token refresher the tests name in the settings (``conftest.fresh_token``)."""
    return FRESH[-1]


async def fresh_token_async(provider: str) -> str:
    """``fresh_token`` as an ``async def`` (``conftest.fresh_token_async``)."""
    return FRESH[-1]


@pytest.fixture(scope="session")
def fakes_process() -> Iterator[Fakes]:
    path = os.environ.get("TASKSYNC_FAKES")
    assert path, "set TASKSYNC_FAKES (make fakes, or cargo build -p sync-providers --example fakes)"
    child = subprocess.Popen([path], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None and child.stdin is not None
    fakes = Fakes(json.loads(child.stdout.readline()))
    yield fakes
    child.stdin.close()
    child.wait(timeout=30)


@pytest.fixture
def fakes(fakes_process: Fakes) -> Fakes:
    for kind in ("mstodo", "connectwise", "processplan", "azure_devops", "caldav"):
        fakes_process.control(kind, "POST", "/_fake/reset")
    FRESH[:] = [fakes_process.fresh]
    return fakes_process
