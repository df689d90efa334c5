"""Replays the shared diff scenarios exactly as sync-core/tests/scenarios.rs does."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import tasksync
from pystores import PyTaskStore

SCENARIOS = Path(__file__).resolve().parents[2] / "tests" / "scenarios" / "diff.json"
CASES: list[dict[str, Any]] = json.loads(SCENARIOS.read_text())["cases"]


def seed(store: PyTaskStore, case: dict[str, Any]) -> None:
    """Stores the case's tasks as `Task::from_desired(scope, source, item, 100)` with the hub
    status and base overridden, exactly as the Rust replay does."""
    writes = []
    for stored in case["stored"]:
        source = stored.get("source") or case["listing"]["source"]
        content = {
            k: stored[k] for k in ("kind", "title", "status", "parent", "fields") if k in stored
        }
        task = {
            "id": tasksync.hub_id(source, stored["external_id"]),
            "source": source,
            "external_id": stored["external_id"],
            "scope": stored.get("scope") or "s",
            "kind": content["kind"],
            "title": content["title"],
            "status": stored["hub_status"],
            "parent": content.get("parent"),
            "fields": content.get("fields", {}),
            "base": stored["base"] if stored.get("base") is not None else content,
            "version": 1,
            "created_at": 100,
            "updated_at": 100,
        }
        writes.append({"op": "insert", "task": task})
    store.apply({"guards": [], "tasks": writes})


def reason_code(skipped: dict[str, Any]) -> str:
    return str(skipped["reason"])


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_shared_diff_scenario(case: dict[str, Any]) -> None:
    store = PyTaskStore()
    seed(store, case)
    engine = tasksync.SyncEngine(store)
    policy = case.get("policy") or {}
    plan = engine.preview("s", case["listing"], policy)
    e = case["expect"]
    name = case["name"]

    assert sorted(c["task"]["external_id"] for c in plan.creates) == sorted(e.get("creates", [])), (
        f"{name}: creates"
    )
    updates = {u["external_id"]: [c["field"] for c in u["changes"]] for u in plan.updates}
    assert updates == e.get("updates", {}), f"{name}: updates"
    assert sorted(d["external_id"] for d in plan.deletes) == e.get("deletes", []), name
    assert [r["after"]["external_id"] for r in plan.rebases] == e.get("rebases", []), name
    skipped = {s["external_id"]: reason_code(s) for s in plan.skipped}
    assert skipped == e.get("skipped", {}), f"{name}: skipped"
    conflicts: dict[str, list[str]] = {}
    for c in plan.conflicts:
        conflicts.setdefault(c["external_id"], []).append(f"{c['field']}:{c['resolution']}")
    assert conflicts == e.get("conflicts", {}), f"{name}: conflicts"
    for key, want in e.get("counts", {}).items():
        assert plan.counts[key] == want, f"{name}: counts.{key}"

    engine.execute(plan, confirmed=True)
    in_place = {**policy, "overwrite": False}
    again = engine.preview("s", case["listing"], in_place)
    assert again.is_empty(), f"{name}: second preview not empty: {again!r}"
    assert len(again.conflicts) == e.get("after_execute_conflicts", 0), name


def test_the_scenario_file_has_its_cases() -> None:
    assert len(CASES) >= 15
