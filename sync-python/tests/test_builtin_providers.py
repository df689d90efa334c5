"""Every built-in provider kind from Python (`Provider.builtin(config, refresher)`) against the
loopback fakes: a status change pushed by the core's Worker reaches the fake with the right
method, path, credential, Idempotency-Key and body; a listing that follows the provider's
paging is a preview/execute source; a 429 with Retry-After defers the job and a later run
delivers it; a 401 is renewed through the host's refresher (a plain function or an
`async def`) and retried with the fresh token; a 404 dead-letters the job; and the credential
is nowhere (logs, exceptions, reprs, history, metrics). Bad configurations are refused naming
the field, nothing built."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import pytest
import tasksync
from fakes import KINDS, Fakes, Kind

START_MS = 1_700_000_000_000


@pytest.fixture(params=list(KINDS))
def kind(request: pytest.FixtureRequest, fakes: Fakes) -> Kind:
    fakes.reset(request.param)
    return KINDS[request.param]


class Hub:
    """A memory hub holding the provider's listing in scope `s`, with one status change queued
    for the provider (`job`, on task `task`)."""

    def __init__(
        self,
        kind: Kind,
        provider: tasksync.Provider,
        history: tasksync.History | None = None,
        events: Any = None,
    ) -> None:
        self.clock = tasksync.ManualClock(START_MS)
        self.store = tasksync.MemoryStore()
        engine = tasksync.SyncEngine(self.store, clock=self.clock, history=history)
        listing = provider.list(kind.scope)
        engine.execute(engine.preview("s", listing), confirmed=True)
        service = tasksync.StatusService(
            self.store,
            targets=[{"name": kind.name, "kind": kind.target}],
            clock=self.clock,
            events=events,
            history=history,
        )
        tasks = self.store.snapshot("s")["tasks"]
        assert tasks, "the listing synced no task"
        for task in tasks:
            for status in ("completed", "in_progress", "pending"):
                if status == task["status"]:
                    continue
                try:
                    report = service.change_status(task["id"], status, actor="kim")
                except (tasksync.InvalidTransitionError, tasksync.InvalidInputError):
                    continue
                if report.jobs:
                    self.job: dict[str, Any] = report.jobs[0]
                    self.task: dict[str, Any] = task
                    return
        raise AssertionError("no status change made a job")

    def worker(self, provider: tasksync.Provider, events: Any = None) -> tasksync.Worker:
        return tasksync.Worker(
            self.store, providers=[provider], clock=self.clock, events=events, id="w1"
        )

    def state(self) -> str:
        job = tasksync.JobQueue(self.store, clock=self.clock).job(self.job["id"])
        assert job is not None
        state: str = job.state
        return state


def test_the_listing_follows_the_paging_and_is_a_preview_source(fakes: Fakes, kind: Kind) -> None:
    provider = tasksync.Provider.builtin(fakes.config(kind.name))
    assert provider.name == kind.name
    listing = provider.list(kind.scope)
    assert listing["source"] == kind.name and listing["complete"] is True
    ids = [i["external_id"] for i in listing["items"]]
    assert ids and len(ids) == len(set(ids)), "no page listed twice"
    reads = fakes.seen(kind.name)
    assert reads, "the fake saw the listing"
    auth = fakes.authorization(kind.name, fakes.token)
    assert all(r["headers"].get("authorization") == auth for r in reads)
    if kind.pages:
        assert len(reads) > 1, "more than one page was read"
    # As a preview/execute source: every listed task lands in the hub.
    store = tasksync.MemoryStore()
    engine = tasksync.SyncEngine(store)
    plan = engine.preview("s", listing)
    assert plan.counts["creates"] == len(ids)
    report = engine.execute(plan, confirmed=True)
    assert report.created == len(ids)
    assert sorted(t["external_id"] for t in store.snapshot("s")["tasks"]) == sorted(ids)


def test_a_status_change_reaches_the_fake_through_the_worker(fakes: Fakes, kind: Kind) -> None:
    provider = tasksync.Provider.builtin(fakes.config(kind.name))
    hub = Hub(kind, provider)
    before = len(fakes.seen(kind.name))
    tick = hub.worker(provider).run_once()
    assert (tick.claimed, tick.succeeded) == (1, 1), tick
    writes = [r for r in fakes.seen(kind.name)[before:] if r["method"] != "GET"]
    push = [r for r in writes if r["method"] == kind.push_method]
    assert push, writes
    sent = push[-1]
    # The path names the task: its provider id is the last part of the external id.
    remote_id = hub.task["external_id"].rsplit("/", 1)[-1]
    assert remote_id in sent["path"], (sent["path"], remote_id)
    assert sent["headers"].get("authorization") == fakes.authorization(kind.name, fakes.token)
    if kind.idempotency_key:
        assert sent["headers"].get("idempotency-key") == hub.job["id"]
    else:
        assert "idempotency-key" not in sent["headers"]
    assert sent["body"], "the push has a body"
    if kind.name == "caldav":
        assert "BEGIN:VTODO" in sent["body"]
    else:
        json.loads(sent["body"])  # a JSON body, checked field by field by the fake
    assert hub.state() == "succeeded"
    status = tasksync.JobQueue(hub.store).sync_status(hub.task["id"])
    assert status == {kind.name: "synced"}


def test_a_429_with_retry_after_defers_the_job_and_a_later_run_delivers_it(
    fakes: Fakes, kind: Kind
) -> None:
    provider = tasksync.Provider.builtin(fakes.config(kind.name))
    hub = Hub(kind, provider)
    worker = hub.worker(provider)
    fakes.fault(kind.name, 429, {"retry-after": "1"})
    tick = worker.run_once()
    assert tick.succeeded == 0 and tick.dead == 0 and tick.claimed == 1, tick
    job = tasksync.JobQueue(hub.store).job(hub.job["id"])
    assert job is not None and job.state == "pending"
    assert "rate limited" in (job.last_error or "")
    # Not due before the provider's Retry-After.
    assert job.run_at >= START_MS + 1_000
    assert worker.run_once().claimed == 0
    hub.clock.advance(2_000)
    assert worker.run_once().succeeded == 1
    assert hub.state() == "succeeded"


def plain_refresher(secret: str, calls: list[str]) -> Callable[[str], Any]:
    def refresh(provider: str) -> str:
        calls.append(provider)
        return secret

    return refresh


def async_refresher(secret: str, calls: list[str]) -> Callable[[str], Any]:
    async def refresh(provider: str) -> str:
        calls.append(provider)
        return secret

    return refresh


@pytest.mark.parametrize("make", [plain_refresher, async_refresher], ids=["def", "async-def"])
def test_a_401_is_renewed_by_the_hosts_refresher_and_retried(
    fakes: Fakes, kind: Kind, make: Callable[[str, list[str]], Any]
) -> None:
    calls: list[str] = []
    provider = tasksync.Provider.builtin(fakes.config(kind.name), make(fakes.fresh, calls))
    hub = Hub(kind, provider)
    fakes.accept(kind.name, fakes.fresh)
    before = len(fakes.seen(kind.name))
    worker = hub.worker(provider)
    for _ in range(3):
        if hub.state() == "succeeded":
            break
        worker.run_once()
        hub.clock.advance(60_000)
    assert hub.state() == "succeeded"
    assert calls and set(calls) == {kind.name}
    auths = [r["headers"].get("authorization") for r in fakes.seen(kind.name)[before:]]
    assert auths[0] == fakes.authorization(kind.name, fakes.token)
    assert auths[-1] == fakes.authorization(kind.name, fakes.fresh)
    # A listing now goes out with the fresh token at once.
    provider.list(kind.scope)
    assert fakes.seen(kind.name)[-1]["headers"]["authorization"] == fakes.authorization(
        kind.name, fakes.fresh
    )


def test_without_a_refresher_a_401_is_final(fakes: Fakes, kind: Kind) -> None:
    provider = tasksync.Provider.builtin(fakes.config(kind.name))
    fakes.accept(kind.name, fakes.fresh)
    with pytest.raises(tasksync.ProviderError) as err:
        provider.list(kind.scope)
    assert err.value.provider_class == "token_expired"


def test_a_404_on_a_push_is_dead_lettered(fakes: Fakes, kind: Kind) -> None:
    provider = tasksync.Provider.builtin(fakes.config(kind.name))
    hub = Hub(kind, provider)
    fakes.fault(kind.name, 404, body='{"message": "gone"}')
    tick = hub.worker(provider).run_once()
    assert tick.dead == 1, tick
    (dead,) = tasksync.JobQueue(hub.store).dead_letters()
    assert dead.id == hub.job["id"] and dead.state == "dead"
    assert "404" in (dead.last_error or "")


def test_the_credential_appears_nowhere(
    fakes: Fakes, kind: Kind, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="tasksync")
    history = tasksync.History(tasksync.MemoryHistoryStore())
    history.start()
    events = tasksync.CollectingSink()
    shown: list[str] = []
    config = fakes.config(kind.name)
    calls: list[str] = []
    provider = tasksync.Provider.builtin(config, plain_refresher(fakes.fresh, calls))
    shown.append(repr(provider))
    hub = Hub(kind, provider, history, events)
    worker = hub.worker(provider, events)
    # An expired token, and a refresher whose token the fake refuses too: the fake's 401 body
    # echoes the presented credential.
    fakes.accept(kind.name, "tok-OTHER-never-handed-out")
    bare = tasksync.Provider.builtin(config)
    puller = tasksync.Puller(
        tasksync.SyncEngine(hub.store, history=history),
        provider,
        {"scope": "s", "provider_scope": kind.scope},
    )
    shown += [repr(puller), json.dumps(puller.config()), repr(worker)]
    failing: list[Callable[[], object]] = [
        lambda: bare.list(kind.scope),
        lambda: provider.list(kind.scope),
        lambda: puller.pull(),
    ]
    for call in failing:
        with pytest.raises(tasksync.TasksyncError) as err:
            call()
        shown += [str(err.value), repr(err.value), repr(vars(err.value))]
    worker.run_once()
    # A server echoing the token in a 400 body, on a push: the job dies.
    fakes.accept(kind.name, fakes.token)
    hub.clock.advance(3_600_000)
    fakes.fault(kind.name, 400, body=json.dumps({"message": f"bad {fakes.token}"}))
    worker.run_once()
    for bad in ({**config, "base_url": "ftp://x"}, {**config, "colour": fakes.token}):
        with pytest.raises(tasksync.InvalidInputError) as refused:
            tasksync.Provider.builtin(bad)
        shown += [str(refused.value), repr(refused.value)]
    history.close()
    runs, _ = history.runs(limit=200)
    shown += [repr(r) for r in runs] + [r.to_json() for r in runs]
    entries, _ = history.audit(limit=200)
    shown += [e.to_json() for e in entries]
    shown += [j.to_json() for j in tasksync.JobQueue(hub.store).jobs()]
    shown += [json.dumps(e) for e in events.take()]
    shown.append(worker.metrics_text())
    shown += [r.getMessage() for r in caplog.records]
    shown.append(caplog.text)
    assert any("expired" in s or "401" in s for s in shown), "the failures were seen"
    assert any(r.status == "failed" for r in runs), "the failed pull is in history"
    for text in shown:
        assert fakes.token not in text
        assert fakes.fresh not in text


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"colour": "red"}, "colour"),
        ({"kind": "jira"}, "kind"),
        ({"token": None}, "token"),
        ({"user": "alice", "password": "pw"}, "token"),
        ({"user": "alice"}, "user"),
        ({"base_url": "ftp://example.org"}, "base_url"),
        ({"client_id": "c"}, "client_id"),
        ({"timeout_ms": 0}, "timeout_ms"),
        ({"rate_limit": {"per_second": 1, "burst": 1, "x": 1}}, "x"),
    ],
)
def test_a_bad_configuration_is_refused_naming_the_field(
    fakes: Fakes, change: dict[str, Any], named: str
) -> None:
    fakes.reset("mstodo")
    config = {**fakes.config("mstodo"), **change}
    if config.get("token") is None:
        del config["token"]
    with pytest.raises(tasksync.InvalidInputError, match=named) as err:
        tasksync.Provider.builtin(config)
    assert fakes.token not in str(err.value)
    assert fakes.seen("mstodo") == [], "nothing was built, nothing called"


def test_a_refresher_must_be_callable_or_have_refresh(fakes: Fakes) -> None:
    with pytest.raises(tasksync.InvalidInputError, match="refresh"):
        tasksync.Provider.builtin(fakes.config("mstodo"), refresher=42)
