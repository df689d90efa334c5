"""Bad input from Python, the core's rules: unknown keys anywhere an options mapping or
``**kwargs`` is taken, sizes over the core's limits, corrupt sessions from a host store,
failing host clocks. Each is a typed exception, never a crash, and changes nothing. Also: every
``*_async`` method works under ``asyncio.run``."""

from __future__ import annotations

import asyncio
import copy
import inspect
from collections.abc import Callable
from typing import Any

import pytest
import tasksync
from pystores import PySessionStore

LISTING: dict[str, Any] = {
    "source": "files",
    "complete": True,
    "items": [{"external_id": "a", "kind": "task", "title": "A"}],
}
CYCLES = [{"id": "a", "name": "A"}, {"id": "b", "name": "B"}]


def engine() -> tasksync.SyncEngine:
    return tasksync.SyncEngine(tasksync.MemoryStore())


def with_item_key(key: str) -> dict[str, Any]:
    listing = copy.deepcopy(LISTING)
    listing["items"][0][key] = 1
    return listing


# Every entry point taking an options mapping or **kwargs, called with an unknown key: the
# name the message gives the options, and the call.
UNKNOWN_KEYS: dict[str, tuple[str, Callable[[], Any]]] = {
    "Policy(**)": ("policy", lambda: tasksync.Policy(force_delete=True)),
    "policy mapping": (
        "policy",
        lambda: engine().preview("s", LISTING, {"force_delete": True}),
    ),
    "listing": ("listing", lambda: engine().preview("s", {**LISTING, "completed": True})),
    "listing item": (
        "listing item (listing)",
        lambda: engine().preview("s", with_item_key("titel")),
    ),
    "run context": (
        "run context",
        lambda: engine().preview("s", LISTING, context={"actr": {}}),
    ),
    "actor": (
        "actor (run context)",
        lambda: engine().execute(
            engine().preview("s", LISTING), confirmed=True, context={"actor": {"usr": "x"}}
        ),
    ),
    "check_sync_needed policy": (
        "policy",
        lambda: engine().check_sync_needed("s", LISTING, {"overwrit": True}),
    ),
    "verify listing": ("listing", lambda: engine().verify("s", {**LISTING, "sauce": "x"})),
    "SyncEngine limits": (
        "limits",
        lambda: tasksync.SyncEngine(tasksync.MemoryStore(), limits={"max_items": 5}),
    ),
    "SessionEngine limits": ("limits", lambda: tasksync.SessionEngine(limits={"max_cycle": 5})),
    "cycles": (
        "cycles",
        lambda: tasksync.SessionEngine().create("s", [{"id": "a", "name": "A", "colour": "red"}]),
    ),
    "Backoff(**)": ("backoff", lambda: tasksync.Backoff(max_attempt=3)),
    "Breaker(**)": ("breaker config", lambda: tasksync.Breaker(threshold=1)),
    "RateLimiter(**)": ("rate limiter config", lambda: tasksync.RateLimiter(0, rate=1.0)),
    "Worker(**)": (
        "worker config",
        lambda: tasksync.Worker(tasksync.MemoryStore(), lease=5),
    ),
    "Worker backoff": (
        "backoff (worker config)",
        lambda: tasksync.Worker(tasksync.MemoryStore(), backoff={"max_attempt": 1}),
    ),
    "Worker breaker": (
        "breaker (worker config)",
        lambda: tasksync.Worker(tasksync.MemoryStore(), breaker={"open": 1}),
    ),
    "Worker limiter": (
        "rate limiter (worker config)",
        lambda: tasksync.Worker(tasksync.MemoryStore(), limiter={"rate": 1.0}),
    ),
    "targets": (
        "targets",
        lambda: tasksync.StatusService(
            tasksync.MemoryStore(), targets=[{"name": "t", "kind": "ms_todo", "attempts": 1}]
        ),
    ),
    "TransitionRules(**)": ("transition rules", lambda: tasksync.TransitionRules(alowed=[])),
}

# The native callables taking **kwargs, each covered above: a new one fails this test until it
# is added to UNKNOWN_KEYS.
KWARGS_ENTRY_POINTS = {
    "Policy": "Policy(**)",
    "Backoff": "Backoff(**)",
    "Breaker": "Breaker(**)",
    "RateLimiter": "RateLimiter(**)",
    "Worker": "Worker(**)",
    "TransitionRules": "TransitionRules(**)",
}


@pytest.mark.parametrize("case", list(UNKNOWN_KEYS))
def test_an_unknown_key_is_refused_naming_it_and_the_known_ones(case: str) -> None:
    place, call = UNKNOWN_KEYS[case]
    with pytest.raises(tasksync.InvalidInputError) as err:
        call()
    message = str(err.value)
    assert err.value.code == "invalid_input"
    assert f"in {place}; known keys: " in message, message
    assert "unknown key `" in message, message


def test_the_policy_typo_names_the_real_key() -> None:
    with pytest.raises(tasksync.InvalidInputError) as err:
        tasksync.Policy(force_delete=True)
    assert "unknown key `force_delete` in policy; known keys: writable, protected" in str(err.value)
    assert "force_deletes" in str(err.value)


def test_every_kwargs_entry_point_is_walked() -> None:
    takes_kwargs = set()
    for name in dir(tasksync._native):
        obj = getattr(tasksync._native, name)
        if not callable(obj) or isinstance(obj, type) and issubclass(obj, BaseException):
            continue
        try:
            params = inspect.signature(obj).parameters.values()
        except (TypeError, ValueError):
            continue
        if any(p.kind is p.VAR_KEYWORD for p in params):
            takes_kwargs.add(name)
    assert takes_kwargs == set(KWARGS_ENTRY_POINTS)
    assert set(KWARGS_ENTRY_POINTS.values()) <= set(UNKNOWN_KEYS)


def test_fixed_keyword_arguments_are_refused_by_name() -> None:
    history = tasksync.History(tasksync.MemoryHistoryStore())
    for call in (
        lambda: engine().preview("s", LISTING, polcy=None),  # type: ignore[call-arg]
        lambda: history.runs(stauts="failed"),  # type: ignore[call-arg]
        lambda: tasksync.SessionEngine(clok=None),  # type: ignore[call-arg]
    ):
        with pytest.raises(TypeError, match="unexpected keyword argument"):
            call()


class RecordingSessions(PySessionStore):
    """A host session store counting the writes it was asked for."""

    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def insert(self, session: dict[str, Any]) -> None:
        self.writes += 1
        super().insert(session)

    def update(self, session: dict[str, Any], expected_version: int) -> None:
        self.writes += 1
        super().update(session, expected_version)


def test_a_ten_megabyte_session_id_is_refused_and_nothing_is_stored() -> None:
    store = RecordingSessions()
    sessions = tasksync.SessionEngine(store)
    huge = "s" * (10 * 1024 * 1024)
    with pytest.raises(tasksync.InvalidInputError) as err:
        sessions.create(huge, CYCLES)
    assert "session id is 10485760 bytes long, the limit is 1024 bytes" in str(err.value)
    assert len(str(err.value)) < 500
    for op in (sessions.start, sessions.get, sessions.state, sessions.delete):
        with pytest.raises(tasksync.InvalidInputError):
            op(huge)
    assert store.writes == 0 and store.sessions == {}


def test_cycle_names_and_counts_are_limited_and_the_count_can_be_raised() -> None:
    sessions = tasksync.SessionEngine()
    with pytest.raises(tasksync.InvalidInputError, match="cycle name is 5000 bytes long"):
        sessions.create("s", [{"id": "a", "name": "n" * 5000}])
    many = [{"id": str(i), "name": "c"} for i in range(1001)]
    with pytest.raises(tasksync.InvalidInputError, match="raise it with `max_cycles`"):
        sessions.create("s", many)
    raised = tasksync.SessionEngine(limits={"max_cycles": 2000})
    assert len(raised.create("s", many).cycles) == 1001


def test_listing_size_is_limited_and_configurable() -> None:
    store = tasksync.MemoryStore()
    small = tasksync.SyncEngine(store, limits={"max_listing_items": 1})
    two = copy.deepcopy(LISTING)
    two["items"].append({"external_id": "b", "kind": "task", "title": "B"})
    with pytest.raises(tasksync.InvalidInputError, match="raise it with `max_listing_items`"):
        small.preview("s", two)
    fat = copy.deepcopy(LISTING)
    fat["items"][0]["fields"] = {"blob": "x" * (2 * 1024 * 1024)}
    with pytest.raises(tasksync.InvalidInputError, match="max_fields_bytes"):
        tasksync.SyncEngine(store).preview("s", fat)
    roomy = tasksync.SyncEngine(store, limits={"max_fields_bytes": 4 * 1024 * 1024})
    assert roomy.preview("s", fat).counts["creates"] == 1
    assert store.snapshot("s")["tasks"] == []


def test_over_long_actors_and_contexts_are_refused_and_nothing_is_recorded() -> None:
    store = tasksync.MemoryStore()
    history_store = tasksync.MemoryHistoryStore()
    history = tasksync.History(history_store)
    sync = tasksync.SyncEngine(store, history=history)
    with pytest.raises(tasksync.InvalidInputError, match="actor user_agent is 1000000 bytes"):
        sync.preview("s", LISTING, context={"actor": {"user_agent": "u" * 1_000_000}})
    plan = sync.preview("s", LISTING)
    sync.execute(plan, confirmed=True)
    service = tasksync.StatusService(store, targets=[{"name": "files", "kind": "ms_todo"}])
    task = tasksync.hub_id("files", "a")
    with pytest.raises(tasksync.InvalidInputError, match="actor is 100000 bytes long"):
        service.change_status(task, "cancelled", actor="a" * 100_000)
    assert store.get(task)["status"] == "draft"  # type: ignore[index]
    history.start()
    history.close()
    runs, _ = history.runs()
    assert [r.kind for r in runs] == ["execute", "preview"]


class FixedSessions:
    """A host session store answering every read with one (corrupt) session."""

    def __init__(self, session: dict[str, Any]) -> None:
        self.session = session

    def get(self, id: str) -> dict[str, Any]:
        return copy.deepcopy(self.session)

    def insert(self, session: dict[str, Any]) -> None:
        raise AssertionError("a corrupt session is never written")

    def update(self, session: dict[str, Any], expected_version: int) -> None:
        raise AssertionError("a corrupt session is never written")

    def delete(self, id: str, expected_version: int) -> None:
        raise AssertionError("a corrupt session is never deleted")


def running_session() -> dict[str, Any]:
    sessions = tasksync.SessionEngine(clock=tasksync.ManualClock(1_000))
    sessions.create("s1", CYCLES)
    sessions.start("s1")
    sessions.switch("s1", None)
    session: dict[str, Any] = sessions.get("s1").to_dict()
    return session


CORRUPTIONS: dict[str, dict[str, Any]] = {
    "current out of range": {"current": 9},
    "too few cycle times": {"cycle_ms": [0]},
    "no cycles": {"cycles": [], "cycle_ms": []},
    "overflowing times": {"cycle_ms": [2**64 - 1, 2**64 - 1]},
    "started after last seen": {"started_at": 2**62},
    "running without a segment": {"segment_started_at": None},
    "version at its end": {"version": 2**64 - 1},
    "negative time": {"paused_ms": -5},
}


@pytest.mark.parametrize("case", list(CORRUPTIONS))
def test_a_corrupt_session_from_a_host_store_is_a_store_error(case: str) -> None:
    corrupt = {**running_session(), **CORRUPTIONS[case]}
    sessions = tasksync.SessionEngine(FixedSessions(corrupt), clock=tasksync.ManualClock(2_000))
    for op in (
        lambda: sessions.switch("s1", None),
        lambda: sessions.switch("s1", "a"),
        lambda: sessions.pause("s1"),
        lambda: sessions.complete("s1"),
        lambda: sessions.state("s1"),
        lambda: sessions.get("s1"),
        lambda: sessions.delete("s1"),
    ):
        with pytest.raises(tasksync.StoreError) as err:
            op()
        assert err.value.code == "store"


class RaisingClock:
    def now_ms(self) -> int:
        raise RuntimeError("the clock is broken")


class WrongClock:
    def now_ms(self) -> Any:
        return "soon"


@pytest.mark.parametrize("clock", [RaisingClock(), WrongClock()], ids=["raises", "wrong type"])
def test_a_failing_host_clock_is_a_store_error_and_nothing_changes(
    clock: Any, capfd: pytest.CaptureFixture[str]
) -> None:
    store = RecordingSessions()
    sessions = tasksync.SessionEngine(store, clock=clock)
    with pytest.raises(tasksync.StoreError, match="the host clock failed"):
        sessions.create("s", CYCLES)
    assert store.writes == 0
    with pytest.raises(tasksync.StoreError, match="the host clock failed"):
        tasksync.server_time(clock)
    tasks = tasksync.MemoryStore()
    sync = tasksync.SyncEngine(tasks, clock=clock)
    with pytest.raises(tasksync.StoreError, match="the host clock failed"):
        sync.preview("s", LISTING)
    plan = tasksync.SyncEngine(tasks).preview("s", LISTING)
    with pytest.raises(tasksync.StoreError, match="the host clock failed"):
        sync.execute(plan, confirmed=True)
    assert tasks.snapshot("s")["tasks"] == []
    err = capfd.readouterr().err
    assert "panicked" not in err and "RUST_BACKTRACE" not in err, err


class Lists:
    """A host provider that lists `LISTING`."""

    name = "files"

    def list(self, scope: str) -> dict[str, Any]:
        return LISTING


def async_calls() -> dict[str, Callable[[], Any]]:
    """One valid call of every ``*_async`` method, by qualified name."""
    store = tasksync.MemoryStore()
    sync = tasksync.SyncEngine(store)
    plan = sync.preview("s", LISTING)
    sessions = tasksync.SessionEngine()
    sessions.create("s1", CYCLES)
    sessions.create("s2", CYCLES)
    service = tasksync.StatusService(store, targets=[{"name": "files", "kind": "ms_todo"}])
    worker = tasksync.Worker(store)
    queue = tasksync.JobQueue(store)
    task = tasksync.hub_id("files", "a")
    stopped = tasksync.StopToken()
    stopped.stop()  # the loop ends after its first batch
    puller = tasksync.Puller(sync, tasksync.Provider(Lists()), {"scope": "p"})
    return {
        "SyncEngine.preview_async": lambda: sync.preview_async("s", LISTING),
        "SyncEngine.execute_async": lambda: sync.execute_async(plan, confirmed=True),
        "SyncEngine.check_sync_needed_async": lambda: sync.check_sync_needed_async("s", LISTING),
        "SyncEngine.verify_async": lambda: sync.verify_async("s", LISTING),
        "SessionEngine.create_async": lambda: sessions.create_async("s3", CYCLES),
        "SessionEngine.start_async": lambda: sessions.start_async("s1"),
        "SessionEngine.switch_async": lambda: sessions.switch_async("s1", None),
        "SessionEngine.pause_async": lambda: sessions.pause_async("s1"),
        "SessionEngine.resume_async": lambda: sessions.resume_async("s1"),
        "SessionEngine.complete_async": lambda: sessions.complete_async("s1"),
        "SessionEngine.get_async": lambda: sessions.get_async("s2"),
        "SessionEngine.state_async": lambda: sessions.state_async("s2"),
        "SessionEngine.delete_async": lambda: sessions.delete_async("s2"),
        "StatusService.change_status_async": lambda: service.change_status_async(task, "pending"),
        "Worker.run_once_async": lambda: worker.run_once_async(),
        "Worker.run_async": lambda: worker.run_async(stopped),
        "Worker.next_wake_async": lambda: worker.next_wake_async(),
        "JobQueue.requeue_async": lambda: queue.requeue_async("job-missing"),
        "JobQueue.discard_async": lambda: queue.discard_async("job-missing"),
        "Puller.pull_async": lambda: puller.pull_async(actor={"user": "kim"}),
        "Puller.run_async": lambda: puller.run_async(stopped),
    }


def test_every_async_method_runs_under_asyncio_run() -> None:
    found = {
        f"{name}.{method}"
        for name in tasksync.__all__
        if isinstance(cls := getattr(tasksync, name), type)
        for method in dir(cls)
        if method.endswith("_async")
    }
    calls = async_calls()
    assert found == set(calls), "a *_async method is missing from async_calls()"
    # In the order of a session's life, so each call is valid when it runs.
    for name, call in calls.items():
        coroutine = call()
        assert inspect.iscoroutine(coroutine), name
        try:
            asyncio.run(coroutine)
        except tasksync.NotFoundError:
            assert name in ("JobQueue.requeue_async", "JobQueue.discard_async")


def test_an_async_method_is_lazy_until_awaited() -> None:
    sessions = tasksync.SessionEngine()
    coroutine = sessions.create_async("s", CYCLES)
    with pytest.raises(tasksync.NotFoundError):
        sessions.get("s")
    assert asyncio.run(coroutine).id == "s"
    assert asyncio.run(sessions.get_async("s")).id == "s"


def test_provider_error_refuses_unknown_and_missing_fields_where_it_is_raised() -> None:
    err = tasksync.provider_error("rate_limited", "mstodo", retry_after_ms=30)
    assert err.provider_error["retry_after_ms"] == 30
    with pytest.raises(tasksync.InvalidInputError, match="unknown key `retry_after`"):
        tasksync.provider_error("rate_limited", "mstodo", retry_after=30)
    with pytest.raises(tasksync.InvalidInputError, match="missing field `message`"):
        tasksync.provider_error("timeout", "mstodo")
    with pytest.raises(tasksync.InvalidInputError, match="unknown value `gone`"):
        tasksync.provider_error("gone", "mstodo")
