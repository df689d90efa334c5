import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# The tests' own store modules (pystores, pyqueue, pg) live beside them.
sys.path.insert(0, str(Path(__file__).parent))

import tasksync  # noqa: E402
from fakes import Fakes  # noqa: E402
from pg import create_database, drop_database  # noqa: E402
from pyqueue import PyQueueStore  # noqa: E402


@pytest.fixture
def pg_url() -> Iterator[str]:
    """The URL of a fresh PostgreSQL database, dropped after the test."""
    url = create_database()
    try:
        yield url
    finally:
        drop_database(url)


@pytest.fixture(params=["memory", "sqlite", "postgres", "python"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    """A queue store of each kind: the built-in memory, SQLite and PostgreSQL ones, and a
    Python one."""
    if request.param == "memory":
        return tasksync.MemoryStore()
    if request.param == "sqlite":
        return tasksync.SqliteStore(str(tmp_path / "hub.db"))
    if request.param == "postgres":
        return tasksync.PostgresStore(request.getfixturevalue("pg_url"))
    return PyQueueStore()


@pytest.fixture(scope="session")
def fakes() -> Iterator[Fakes]:
    """The loopback provider fakes, one process for the session (built once if need be)."""
    running = Fakes()
    try:
        yield running
    finally:
        running.close()
