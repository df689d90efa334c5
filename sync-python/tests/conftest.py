import sys
from pathlib import Path
from typing import Any

import pytest

# The tests' own store modules (pystores, pyqueue) live beside them.
sys.path.insert(0, str(Path(__file__).parent))

import tasksync  # noqa: E402
from pyqueue import PyQueueStore  # noqa: E402


@pytest.fixture(params=["memory", "sqlite", "python"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    """A queue store of each kind: the built-in memory and SQLite ones, and a Python one."""
    if request.param == "memory":
        return tasksync.MemoryStore()
    if request.param == "sqlite":
        return tasksync.SqliteStore(str(tmp_path / "hub.db"))
    return PyQueueStore()
