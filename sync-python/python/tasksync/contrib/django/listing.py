"""Reads a listing for ``tasksync_sync``: a JSON file (a listing object, or a list of items) or
a folder of Markdown files (one task per ``*.md``: the id is the file name without ``.md``, the
title the first ``# `` heading or first line, ``status:``/``kind:`` lines in a leading
``---`` block set those fields)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def read_listing(path: Path, source: str) -> dict[str, Any]:
    """The listing at ``path`` (complete: what is not there is deleted from the scope)."""
    if path.is_dir():
        items = [_markdown_item(p) for p in sorted(path.glob("*.md"))]
        return {"source": source, "complete": True, "items": items}
    data = json.loads(path.read_text(encoding="utf-8"))
    if isinstance(data, list):
        return {"source": source, "complete": True, "items": data}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a listing object or a list of items")
    return data


def _markdown_item(path: Path) -> dict[str, Any]:
    lines = path.read_text(encoding="utf-8").splitlines()
    meta: dict[str, str] = {}
    if lines and lines[0].strip() == "---":
        end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), 0)
        for line in lines[1:end]:
            key, sep, value = line.partition(":")
            if sep:
                meta[key.strip()] = value.strip()
        lines = lines[end + 1 :]
    body = [line for line in lines if line.strip()]
    heading = next((line[2:].strip() for line in body if line.startswith("# ")), None)
    title = heading or (body[0].strip() if body else path.stem)
    item: dict[str, Any] = {
        "external_id": path.stem,
        "kind": meta.get("kind", "task"),
        "title": title,
    }
    if "status" in meta:
        item["status"] = meta["status"]
    return item
