"""Task folders and built-in providers from a plain configuration: the folder reads as the CLI
reads it, and a bad configuration is refused naming the key, with the token kept out of it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import tasksync

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "tasks"
TOKEN = "tok-SECRET-4f1c9a7e2b"


def canonical_listing(root: Path) -> str:
    """The folder's listing as canonical JSON (sorted keys), for comparing hosts."""
    listing = tasksync.FolderSource(root).read()
    return json.dumps(listing, sort_keys=True, separators=(",", ":"))


def test_examples_folder_lists_28_tasks() -> None:
    listing, problems = tasksync.FolderSource(EXAMPLES).read_report()
    assert len(listing["items"]) == 28
    assert problems == []
    assert json.loads(canonical_listing(EXAMPLES)) == listing


def test_folder_source_is_a_provider_that_lists_the_folder() -> None:
    provider = tasksync.FolderSource(EXAMPLES, source="files").provider()
    assert provider.name == "files"
    assert len(provider.list("anything")["items"]) == 28


def test_a_missing_folder_is_refused_naming_it(tmp_path: Path) -> None:
    with pytest.raises(tasksync.TasksyncError, match="nope"):
        tasksync.FolderSource(tmp_path / "nope").read()


def test_unknown_config_key_is_refused_naming_it() -> None:
    config: dict[str, Any] = {
        "kind": "mstodo",
        "base_url": "http://127.0.0.1:9/v1.0",
        "token": TOKEN,
        "colour": "red",
    }
    with pytest.raises(tasksync.TasksyncError, match="colour") as err:
        tasksync.Provider.builtin(config)
    assert TOKEN not in str(err.value)


def test_builtin_provider_repr_keeps_the_token_out() -> None:
    config = {"kind": "mstodo", "base_url": "http://127.0.0.1:9/v1.0", "token": TOKEN}
    provider = tasksync.Provider.builtin(config, refresher=lambda name: "fresh")
    assert provider.name == "mstodo"
    assert TOKEN not in repr(provider)
