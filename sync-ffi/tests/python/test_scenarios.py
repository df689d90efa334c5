"""Replays tests/scenarios/diff.json through the generated Python bindings, with the task
store and the provider implemented in Python (foreign traits), as sync-core's replay does."""

from __future__ import annotations

import asyncio
import json
import unittest
from pathlib import Path
from typing import Any

import tasksync_ffi as ts
from hosts import PyProvider, PyTaskStore

SCENARIOS = Path(__file__).resolve().parents[3] / "tests" / "scenarios" / "diff.json"
CASES: list[dict[str, Any]] = json.loads(SCENARIOS.read_text())["cases"]


def status(name: str) -> ts.Status:
    return ts.Status[name.upper()]


def fields(raw: dict[str, Any] | None) -> dict[str, str]:
    return {k: json.dumps(v) for k, v in (raw or {}).items()}


def content(raw: dict[str, Any]) -> ts.TaskContent:
    return ts.TaskContent(
        kind=raw["kind"],
        title=raw["title"],
        status=status(raw["status"]) if raw.get("status") else None,
        parent=raw.get("parent"),
        fields=fields(raw.get("fields")),
    )


def listing(raw: dict[str, Any]) -> ts.Listing:
    items = [
        ts.DesiredTask(
            external_id=i["external_id"],
            kind=i["kind"],
            title=i["title"],
            status=status(i["status"]) if i.get("status") else None,
            parent=i.get("parent"),
            fields=fields(i.get("fields")),
            modified_at=i.get("modified_at"),
        )
        for i in raw["items"]
    ]
    return ts.Listing(source=raw["source"], items=items, complete=raw["complete"])


def policy(raw: dict[str, Any]) -> ts.Policy:
    p = ts.default_policy()
    for key, value in raw.items():
        if key in ("writable", "protected"):
            value = None if value is None else [status(s) for s in value]
        elif key == "strategy":
            value = ts.ConflictStrategy[value.upper()]
        setattr(p, key, value)
    return p


def seed(store: PyTaskStore, case: dict[str, Any]) -> None:
    """`Task::from_desired(scope, source, item, 100)` with the hub status and base overridden."""
    for stored in case["stored"]:
        source = stored.get("source") or case["listing"]["source"]
        own = content(stored)
        base = content(stored["base"]) if stored.get("base") is not None else own
        store.seed(
            ts.Task(
                id=ts.hub_id(source, stored["external_id"]),
                source=source,
                external_id=stored["external_id"],
                scope=stored.get("scope") or "s",
                kind=own.kind,
                title=own.title,
                status=status(stored["hub_status"]),
                parent=own.parent,
                fields=own.fields,
                base=base,
                version=1,
                created_at=100,
                updated_at=100,
            )
        )


def code(value: Any) -> str:
    """SkipReason.NOT_WRITABLE(...) -> not_writable; Resolution.SOURCE -> source."""
    if hasattr(value, "name"):
        return str(value.name).lower()
    return type(value).__name__.split(".")[-1].lower()


async def replay(case: dict[str, Any]) -> None:
    name = case["name"]
    store = PyTaskStore()
    seed(store, case)
    provider = PyProvider(case["listing"]["source"], listing(case["listing"]))
    engine = ts.SyncEngine(ts.HubStore.foreign(store))
    raw_policy = case.get("policy") or {}
    plan = await engine.preview_from(provider, "s", policy(raw_policy))
    e = case["expect"]

    assert sorted(t.external_id for t in plan.creates()) == sorted(
        e.get("creates", [])
    ), name
    updates = {u.external_id: [c.field for c in u.changes] for u in plan.updates()}
    assert updates == e.get("updates", {}), f"{name}: updates {updates}"
    assert sorted(d.external_id for d in plan.deletes()) == e.get("deletes", []), name
    assert [r.after.external_id for r in plan.rebases()] == e.get("rebases", []), name
    skipped = {s.external_id: code(s.reason) for s in plan.skipped()}
    assert skipped == e.get("skipped", {}), f"{name}: skipped {skipped}"
    conflicts: dict[str, list[str]] = {}
    for c in plan.conflicts():
        conflicts.setdefault(c.external_id, []).append(
            f"{c.field}:{code(c.resolution)}"
        )
    assert conflicts == e.get("conflicts", {}), f"{name}: conflicts {conflicts}"
    counts = plan.counts()
    for key, want in e.get("counts", {}).items():
        assert getattr(counts, key) == want, f"{name}: counts.{key}"

    await engine.execute(plan, True)
    again = await engine.preview_from(
        provider, "s", policy({**raw_policy, "overwrite": False})
    )
    assert again.is_empty(), f"{name}: second preview not empty"
    assert len(again.conflicts()) == e.get("after_execute_conflicts", 0), name
    needed = await engine.check_sync_needed(
        "s", listing(case["listing"]), policy(raw_policy)
    )
    assert needed == (not plan.is_empty() and bool(raw_policy.get("overwrite"))), name


class SharedScenarios(unittest.TestCase):
    def test_the_scenario_file_has_its_cases(self) -> None:
        self.assertGreaterEqual(len(CASES), 15)

    def test_every_case_through_python_store_and_provider(self) -> None:
        for case in CASES:
            with self.subTest(case=case["name"]):
                asyncio.run(replay(case))


if __name__ == "__main__":
    unittest.main()
