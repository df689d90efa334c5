"""The pull loop from Python (`tasksync.Puller`) against the Microsoft To Do fake: a pull
executes a plan the rule allows, finds nothing the second time, holds a plan with more
deletions than `max_deletes` (a `pull_held` event, `held()` a `Plan` a person executes with
`SyncEngine.execute`), writes nothing and records a failed run when the listing fails, and
`run` (blocking, GIL released, or `run_async`) loops until its `StopToken`, as its actor.
Bad configurations are refused naming the field."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import tasksync
from fakes import Fakes

SCOPE = "list-1"
ACTOR = {"user": "scheduler", "ip": "127.0.0.1"}


class Hub:
    def __init__(self, fakes: Fakes) -> None:
        fakes.reset("mstodo")
        self.fakes = fakes
        self.store = tasksync.MemoryStore()
        self.history = tasksync.History(tasksync.MemoryHistoryStore())
        self.history.start()
        self.engine = tasksync.SyncEngine(self.store, history=self.history)
        self.events = tasksync.CollectingSink()
        self.provider = tasksync.Provider.builtin(fakes.config("mstodo"))

    def puller(self, **config: Any) -> tasksync.Puller:
        config = {"scope": "s", "provider_scope": SCOPE, "interval_ms": 1_000, **config}
        return tasksync.Puller(self.engine, self.provider, config, events=self.events)

    def tasks(self) -> list[dict[str, Any]]:
        tasks: list[dict[str, Any]] = self.store.snapshot("s")["tasks"]
        return tasks

    def runs(self, **query: Any) -> list[tasksync.Run]:
        self.history.close()
        runs, _ = self.history.runs(**query)
        return runs


@pytest.fixture
def hub(fakes: Fakes) -> Iterator[Hub]:
    made = Hub(fakes)
    try:
        yield made
    finally:
        made.history.close()


def test_a_pull_executes_then_finds_nothing(hub: Hub) -> None:
    puller = hub.puller()
    report = puller.pull()
    assert report["outcome"] == "executed", report
    assert (report["scope"], report["source"], report["complete"]) == ("s", "mstodo", True)
    assert report["counts"]["creates"] == 5 and report["report"]["created"] == 5
    assert len(hub.tasks()) == 5 and puller.held() is None
    assert puller.pull()["outcome"] == "unchanged"
    assert puller.config()["rule"] == {
        "auto_execute": True,
        "allow_conflicts": False,
        "max_deletes": 0,
    }


def test_too_many_deletes_are_held_for_a_person(hub: Hub) -> None:
    # Every status writable: the listing's deletions are the plan's.
    puller = hub.puller(rule={"max_deletes": 1}, policy={"writable": None})
    assert puller.pull()["outcome"] == "executed"
    hub.events.take()
    data = hub.fakes.data("mstodo")
    data[SCOPE] = data[SCOPE][:3]
    hub.fakes.set_data("mstodo", data)
    report = puller.pull(actor=ACTOR)
    assert report["outcome"] == "held", report
    assert report["reasons"] == [{"reason": "too_many_deletes", "deletes": 2, "limit": 1}]
    assert len(hub.tasks()) == 5, "a held plan writes nothing"
    (event,) = [e for e in hub.events.take() if e["type"] == "pull_held"]
    assert event["deletes"] == 2 and event["scope"] == "s"
    plan = puller.held()
    assert isinstance(plan, tasksync.Plan) and plan.counts["deletes"] == 2
    # A person executes it.
    done = hub.engine.execute(plan, confirmed=True, context={"actor": {"user": "kim"}})
    assert done.deleted == 2 and len(hub.tasks()) == 3
    assert puller.pull()["outcome"] == "unchanged" and puller.held() is None
    executes = hub.runs(kind="execute")
    assert executes[0].context["actor"]["user"] == "kim"


def test_a_failed_listing_writes_nothing_and_is_a_failed_run(hub: Hub) -> None:
    puller = hub.puller()
    puller.pull()
    before = hub.tasks()
    hub.fakes.fault("mstodo", 500, body='{"error": {"code": "generalException"}}')
    with pytest.raises(tasksync.ProviderError) as err:
        puller.pull(actor=ACTOR)
    assert "500" in str(err.value)
    assert hub.tasks() == before
    (failed,) = hub.runs(status="failed")
    assert (failed.kind, failed.scope) == ("preview", "s")
    assert failed.context["actor"]["user"] == "scheduler"


def test_the_loop_runs_as_its_actor_until_stopped(hub: Hub) -> None:
    puller = hub.puller()
    stop = tasksync.StopToken()
    seen: list[dict[str, Any]] = []
    threads: list[int] = []

    def on_pull(result: dict[str, Any]) -> None:
        seen.append(result)
        threads.append(threading.get_ident())
        if len(seen) == 2:
            stop.stop()

    # Fails once: the loop counts it and goes on.
    hub.fakes.fault("mstodo", 500)
    totals = puller.run(stop=stop, actor=ACTOR, on_pull=on_pull)
    assert totals == {"pulls": 2, "executed": 1, "held": 0, "unchanged": 0, "failed": 1}
    assert seen[0]["outcome"] == "failed" and seen[0]["error"]["code"] == "provider"
    assert seen[1]["outcome"] == "executed"
    assert len(hub.tasks()) == 5
    runs = hub.runs()
    assert runs and all(r.context["actor"]["user"] == "scheduler" for r in runs)
    # A stopped token ends at once.
    assert puller.run(stop=stop)["pulls"] == 0


def test_the_loop_releases_the_gil(hub: Hub) -> None:
    puller = hub.puller()
    stop = tasksync.StopToken()
    result: list[dict[str, int]] = []
    loop = threading.Thread(target=lambda: result.append(puller.run(stop=stop)))
    loop.start()
    # This thread runs Python while the loop waits: the pulls land, then it stops the loop.
    while not hub.tasks():
        stop.wait(0.05)
    stop.stop()
    loop.join(60)
    assert not loop.is_alive()
    assert result[0]["executed"] == 1


def test_pull_async_and_run_async(hub: Hub) -> None:
    puller = hub.puller(rule={"auto_execute": False})

    async def main() -> dict[str, int]:
        report = await puller.pull_async(actor=ACTOR)
        assert report["outcome"] == "held"
        assert report["reasons"] == [{"reason": "auto_execute_off"}]
        stop = tasksync.StopToken()
        results: list[dict[str, Any]] = []

        def on_pull(result: dict[str, Any]) -> None:
            results.append(result)
            stop.stop()

        totals = await puller.run_async(stop=stop, actor=ACTOR, on_pull=on_pull)
        assert results[0]["outcome"] == "held"
        return totals

    assert asyncio.run(main()) == {
        "pulls": 1,
        "executed": 0,
        "held": 1,
        "unchanged": 0,
        "failed": 0,
    }
    assert hub.tasks() == []


@pytest.mark.parametrize(
    ("config", "named"),
    [
        ({"scope": "s", "colour": "red"}, "colour"),
        ({"scope": "s", "rule": {"max_deletes": 1, "max_creates": 2}}, "max_creates"),
        ({"scope": "s", "interval_ms": 5}, "interval_ms"),
        ({"provider_scope": SCOPE}, "scope"),
        ({"scope": "s", "policy": {"overwrites": True}}, "overwrites"),
    ],
)
def test_a_bad_configuration_is_refused_naming_the_field(
    hub: Hub, config: dict[str, Any], named: str
) -> None:
    with pytest.raises(tasksync.InvalidInputError, match=named):
        tasksync.Puller(hub.engine, hub.provider, config)
    assert hub.fakes.seen("mstodo") == [], "nothing was listed"
    with pytest.raises(tasksync.InvalidInputError, match="actor"):
        hub.puller().pull(actor={"user": "kim", "role": "admin"})
