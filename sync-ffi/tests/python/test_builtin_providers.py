"""Every built-in provider kind from the uniffi Python bindings against the loopback fakes
(`builtin_provider(config_json, refresher, blocking_refresher)`, the fakes' own ready
configurations): a listing that follows the provider's paging and is the source of a preview
and an execute; a status change pushed through the core's Worker (method, path, headers and
body as the fake recorded them); 429 + Retry-After deferring the job; 401 renewed through a
Python refresher (`async def` and plain `def`) and retried with the fresh token; 404 on a push
dead-lettered; and a credential sweep (the token is in no log line routed to Python, error,
history run, audit entry, event, job or metrics text). Configurations are refused naming the
field, unknown keys included."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
import unittest

import tasksync_ffi as ts
from fakes import KINDS, Fakes

FAKES: Fakes | None = None


def setUpModule() -> None:
    global FAKES
    FAKES = Fakes()


def tearDownModule() -> None:
    if FAKES is not None:
        FAKES.close()


class Refresher(ts.TokenRefresher):
    """Hands out the fakes' fresh secret (`async def`) and records who asked."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.calls: list[str] = []

    async def refresh(self, provider: str) -> str:
        self.calls.append(provider)
        await asyncio.sleep(0)
        return self.secret


class BlockingRefresher(ts.BlockingTokenRefresher):
    """The same with a plain `def`."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.calls: list[str] = []

    def refresh(self, provider: str) -> str:
        self.calls.append(provider)
        return self.secret


class Failing(ts.TokenRefresher):
    """A refresher whose renewal is refused."""

    def __init__(self) -> None:
        self.calls = 0

    async def refresh(self, provider: str) -> str:
        self.calls += 1
        raise ts.ProviderError.Rejected(provider, 400, "refresh token revoked")


class Collect(ts.EventSink):
    def __init__(self) -> None:
        self.events: list[str] = []

    def emit(self, event_json: str) -> None:
        self.events.append(event_json)


class Lines(ts.LogSink):
    """Every log line the binding routes to Python."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def log(self, level: str, target: str, message: str) -> None:
        self.lines.append(f"{level} {target} {message}")


CONFIG = ts.WorkerConfig(id="w1", dead_policy=ts.DeadPolicy.KEEP_FLAGGED)

# What each provider's push of `pending -> in_progress` carries, as its API wants it.
CONTENT_TYPE = {
    "mstodo": "application/json",
    "connectwise": "application/json",
    "processplan": "application/json",
    "azure_devops": "application/json-patch+json",
    "caldav": "text/calendar; charset=utf-8",
}


def in_progress_body(name: str, body: str) -> bool:
    if name == "caldav":
        return "BEGIN:VTODO" in body and "STATUS:IN-PROCESS" in body
    value = json.loads(body)
    if name == "mstodo":
        return value == {"status": "inProgress", "completedDateTime": None}
    if name == "connectwise":
        return value == [{"op": "replace", "path": "status/name", "value": "In Progress"}]
    if name == "processplan":
        return value["status"] == "in_progress"
    return value == [{"op": "add", "path": "/fields/System.State", "value": "Active"}]


class Case:
    """One kind's tests (mixed into a TestCase per kind below)."""

    name = ""

    def setUp(self) -> None:
        FAKES.reset(self.name)
        self.spec = KINDS[self.name]

    def provider(self, refresher=None, secret=None, blocking=None):
        return ts.builtin_provider(FAKES.config(self.name, secret), refresher, blocking)

    def target(self) -> ts.Target:
        return ts.Target(name=self.name, kind=getattr(ts.ProviderKind, self.spec["target"]))

    @property
    def scope(self) -> str:
        return FAKES.scope(self.name)

    def requests(self, since: int = 0) -> list[dict]:
        return FAKES.seen(self.name)[since:]

    async def synced(self, provider, history=None, events=None):
        """A memory hub with the provider's listing previewed and executed into scope `s`,
        and its first pending task changed to in progress (one job queued); answers
        (store, service, job, task)."""
        store = ts.HubStore.memory()
        engine = ts.SyncEngine(store, history=history)
        listing = await ts.list_from(provider, self.scope)
        plan = await engine.preview("s", listing, ts.default_policy())
        self.assertEqual(plan.counts().creates, self.spec["items"])
        done = await engine.execute(plan, True)
        self.assertEqual(done.created, self.spec["items"])
        service = ts.StatusService(store, [self.target()], events=events, history=history)
        tasks = sorted((await store.snapshot("s")).tasks, key=lambda t: t.external_id)
        self.assertEqual(len(tasks), self.spec["items"])
        task = next(t for t in tasks if t.status == ts.Status.PENDING)
        [job] = (await service.change_status(task.id, ts.Status.IN_PROGRESS, "kim")).jobs
        return store, service, job, task

    async def another_change(self, store, service, done) -> bool:
        """Queues a status change on a task other than `done`; whether one was allowed."""
        for task in (await store.snapshot("s")).tasks:
            for status in (ts.Status.IN_PROGRESS, ts.Status.BLOCKED, ts.Status.CANCELLED):
                if task.id == done.id or task.status == status:
                    continue
                try:
                    if (await service.change_status(task.id, status, "kim")).jobs:
                        return True
                except ts.TasksyncError.InvalidTransition:
                    continue
        return False

    # -- list ---------------------------------------------------------------------------
    def test_list_follows_the_providers_paging(self) -> None:
        async def run() -> None:
            provider = self.provider()
            self.assertEqual(provider.name(), self.name)
            listing = await ts.list_from(provider, self.scope)
            self.assertEqual(listing.source, self.name)
            self.assertTrue(listing.complete)
            ids = [i.external_id for i in listing.items]
            self.assertEqual(len(ids), self.spec["items"])
            self.assertEqual(len(ids), len(set(ids)), "no page listed twice")
            reads = self.requests()
            auth = FAKES.authorization(self.name, FAKES.token)
            self.assertTrue(all(r["headers"].get("authorization") == auth for r in reads))
            self.assertEqual(len(reads), self.spec["reads"], reads)
            if self.spec["reads"] > 1:
                pages = {(r["path"], r["query"]) for r in reads}
                self.assertEqual(len(pages), len(reads), "every page asked for once")
            # The host may call the provider itself, too.
            self.assertEqual(await provider.list(self.scope), listing)

        asyncio.run(run())

    # -- push ---------------------------------------------------------------------------
    def test_a_status_change_is_pushed_through_the_worker(self) -> None:
        async def run() -> None:
            provider = self.provider()
            store, _, job, task = await self.synced(provider)
            before = len(self.requests())
            tick = await ts.Worker(store, [provider], CONFIG).run_once()
            self.assertEqual((tick.claimed, tick.succeeded), (1, 1), tick)
            sent = self.requests(before)
            [push] = [r for r in sent if r["method"] != "GET"]
            self.assertEqual(push["method"], self.spec["push_method"], sent)
            self.assertRegex(push["path"], self.spec["push_path"])
            leaf = re.split(r"[/]", task.external_id)[-1]
            self.assertTrue(push["path"].endswith("/" + leaf), (push["path"], leaf))
            headers = push["headers"]
            self.assertEqual(
                headers.get("authorization"), FAKES.authorization(self.name, FAKES.token)
            )
            self.assertEqual(headers.get("content-type"), CONTENT_TYPE[self.name])
            if self.spec["idempotency_key"]:
                self.assertEqual(headers.get("idempotency-key"), job.id)
            else:
                self.assertNotIn("idempotency-key", headers)
            if self.name == "connectwise":
                self.assertEqual(headers.get("clientid"), FAKES.info["client_id"])
                self.assertTrue(
                    headers.get("accept", "").startswith(
                        "application/vnd.connectwise.com+json; version="
                    )
                )
            if self.name == "azure_devops":
                self.assertIn("api-version=7.1", push["query"])
            if self.name == "caldav":
                self.assertTrue(headers.get("if-match"), "the ETag guards the PUT")
            self.assertTrue(in_progress_body(self.name, push["body"]), push["body"])
            done = await store.job(job.id)
            self.assertEqual(done.state, ts.JobState.SUCCEEDED)
            [status] = await store.sync_status(task.id)
            self.assertEqual(status.status, ts.SyncStatus.SYNCED)

        asyncio.run(run())

    # -- 429 ----------------------------------------------------------------------------
    def test_429_with_retry_after_is_rate_limited(self) -> None:
        async def run() -> None:
            provider = self.provider()
            FAKES.fault(self.name, 429, {"retry-after": "1"})
            with self.assertRaises(ts.TasksyncError.Provider) as caught:
                await ts.list_from(provider, self.scope)
            err = caught.exception
            self.assertEqual(err.provider_class, "rate_limited")
            self.assertEqual(err.retry_after_ms, 1_000)
            self.assertEqual(err.provider, self.name)

        asyncio.run(run())

    def test_429_on_a_push_defers_the_job_and_pauses_the_provider(self) -> None:
        async def run() -> None:
            provider = self.provider()
            store, service, job, task = await self.synced(provider)
            FAKES.fault(self.name, 429, {"retry-after": "30"})
            before_ms = int(time.time() * 1000)
            worker = ts.Worker(store, [provider], CONFIG)
            tick = await worker.run_once()
            self.assertEqual((tick.claimed, tick.retried, tick.succeeded, tick.dead), (1, 1, 0, 0))
            queued = await store.job(job.id)
            self.assertEqual(queued.state, ts.JobState.PENDING)
            self.assertGreaterEqual(queued.run_at, before_ms + 30_000, "not before Retry-After")
            self.assertIn("rate limited", queued.last_error or "")
            # The provider is paused: another change waits without a call.
            self.assertTrue(await self.another_change(store, service, task), "a second job")
            seen = len(self.requests())
            tick = await worker.run_once()
            self.assertEqual((tick.claimed, tick.deferred, tick.succeeded), (1, 1, 0), tick)
            self.assertEqual(len(self.requests()), seen, "no call while paused")

        asyncio.run(run())

    # -- 401 ----------------------------------------------------------------------------
    def renewed(self, refresher, blocking=False) -> None:
        async def run() -> None:
            FAKES.accept(self.name, FAKES.fresh)
            provider = self.provider(blocking=refresher) if blocking else self.provider(refresher)
            before = len(self.requests())
            listing = await ts.list_from(provider, self.scope)
            self.assertEqual(len(listing.items), self.spec["items"])
            self.assertEqual(refresher.calls, [self.name])
            auths = [r["headers"].get("authorization") for r in self.requests(before)]
            self.assertEqual(auths[0], FAKES.authorization(self.name, FAKES.token))
            self.assertEqual(
                auths[1:], [FAKES.authorization(self.name, FAKES.fresh)] * (len(auths) - 1)
            )

        asyncio.run(run())

    def test_401_is_renewed_by_an_async_refresher(self) -> None:
        self.renewed(Refresher(FAKES.fresh))

    def test_401_is_renewed_by_a_blocking_refresher(self) -> None:
        self.renewed(BlockingRefresher(FAKES.fresh), blocking=True)

    def test_401_without_or_with_a_failing_refresher_is_final(self) -> None:
        async def run() -> None:
            FAKES.accept(self.name, FAKES.fresh)
            with self.assertRaises(ts.TasksyncError.Provider) as caught:
                await ts.list_from(self.provider(), self.scope)
            self.assertEqual(caught.exception.provider_class, "token_expired")
            self.assertEqual(caught.exception.http_status, None)
            failing = Failing()
            with self.assertRaises(ts.TasksyncError.Provider) as caught:
                await ts.list_from(self.provider(failing), self.scope)
            self.assertEqual(caught.exception.provider_class, "rejected")
            self.assertIn("refresh token revoked", str(caught.exception))
            self.assertEqual(failing.calls, 1)

        asyncio.run(run())

    def test_a_worker_push_after_401_uses_the_fresh_token(self) -> None:
        async def run() -> None:
            refresher = Refresher(FAKES.fresh)
            provider = self.provider(refresher)
            store, _, job, _ = await self.synced(provider)
            FAKES.accept(self.name, FAKES.fresh)
            before = len(self.requests())
            tick = await ts.Worker(store, [provider], CONFIG).run_once()
            self.assertEqual(tick.succeeded, 1, tick)
            self.assertEqual((await store.job(job.id)).state, ts.JobState.SUCCEEDED)
            self.assertEqual(refresher.calls, [self.name])
            sent = self.requests(before)
            self.assertEqual(
                sent[0]["headers"].get("authorization"), FAKES.authorization(self.name, FAKES.token)
            )
            self.assertEqual(sent[-1]["method"], self.spec["push_method"])
            self.assertEqual(
                sent[-1]["headers"].get("authorization"),
                FAKES.authorization(self.name, FAKES.fresh),
            )

        asyncio.run(run())

    # -- 404 ----------------------------------------------------------------------------
    def test_404_on_a_push_is_dead_lettered(self) -> None:
        async def run() -> None:
            provider = self.provider()
            store, _, job, _ = await self.synced(provider)
            FAKES.fault(self.name, 404, body='{"message": "gone"}')
            tick = await ts.Worker(store, [provider], CONFIG).run_once()
            self.assertEqual((tick.dead, tick.succeeded), (1, 0), tick)
            [dead] = await store.dead_letters(10)
            self.assertEqual(dead.id, job.id)
            self.assertEqual(dead.state, ts.JobState.DEAD)
            self.assertIn("404", dead.last_error or "")

        asyncio.run(run())

    # -- credential sweep ---------------------------------------------------------------
    def test_the_credential_appears_nowhere(self) -> None:
        async def run() -> None:
            lines = Lines()
            ts.set_log_sink(lines, "trace")
            try:
                await self.sweep(lines)
            finally:
                ts.set_log_sink(None, "info")

        asyncio.run(run())

    async def sweep(self, lines: Lines) -> None:
        history = await ts.History.memory()
        events = Collect()
        shown: list[str] = []
        provider = self.provider()
        shown.append(repr(provider))
        store, _, job, _ = await self.synced(provider, history, events)
        worker = ts.Worker(store, [provider], CONFIG, events=events)
        # An expired token (the fake echoes the presented credential in its body).
        FAKES.accept(self.name, FAKES.fresh)
        puller = ts.Puller(
            ts.SyncEngine(store, history=history),
            provider,
            json.dumps({"scope": "s", "provider_scope": self.scope}),
        )
        for call in (lambda: ts.list_from(provider, self.scope), puller.pull):
            with self.assertRaises(ts.TasksyncError) as caught:
                await call()
            shown += [str(caught.exception), repr(caught.exception)]
        with self.assertRaises(ts.ProviderError) as direct:
            await provider.list(self.scope)
        shown += [str(direct.exception), repr(direct.exception)]
        await worker.run_once()
        # A server echoing the token in a 400 body, on a push: the job dies.
        FAKES.accept(self.name, FAKES.token)
        FAKES.fault(self.name, 400, body=json.dumps({"message": f"bad {FAKES.token}"}))
        await worker.run_once()
        bad = dict(FAKES.info["configs"][self.name], base_url="ftp://x")
        with self.assertRaises(ts.TasksyncError) as refused:
            ts.builtin_provider(json.dumps(bad), None, None)
        shown += [str(refused.exception), repr(refused.exception)]
        await history.shutdown()
        shown += [repr(r) for r in (await history.runs()).runs]
        shown += [repr(e) for e in (await history.audit(None, None, None, 100)).entries]
        shown += [repr(j) for j in await store.jobs(ts.JobQuery())]
        shown.append(repr(await store.job(job.id)))
        shown += events.events
        shown.append(worker.metrics_prometheus())
        self.assertTrue(any("expired" in s for s in shown), "the failures were seen")
        self.assertTrue(lines.lines, "the binding routed log lines")
        for text in shown + lines.lines:
            self.assertNotIn(FAKES.token, text)
            self.assertNotIn(FAKES.fresh, text)


for _name in KINDS:
    _cls = type(
        f"Builtin_{_name}", (Case, unittest.TestCase), {"name": _name, "__module__": __name__}
    )
    globals()[_cls.__name__] = _cls
del _name, _cls


class Configuration(unittest.TestCase):
    def test_bad_configurations_are_refused_naming_the_field(self) -> None:
        base = {"kind": "mstodo", "base_url": "http://127.0.0.1:9/v1.0", "token": "t-XYZ"}
        cases = [
            ({**base, "tenant": "x"}, "tenant"),
            ({**base, "kind": "jira"}, "kind"),
            ({**base, "base_url": "ftp://example.org"}, "base_url"),
            ({**base, "client_id": "c"}, "client_id"),
            ({**base, "user": "u", "password": "p"}, "token"),
            ({"kind": "mstodo", "base_url": "http://127.0.0.1:9"}, "token"),
            ({**base, "kind": "connectwise"}, "client_id"),
            ({**base, "timeout_ms": 0}, "timeout_ms"),
            ({**base, "rate_limit": {"per_second": 1, "burst": 1, "x": 1}}, "x"),
        ]
        for config, named in cases:
            with self.assertRaises(ts.TasksyncError.InvalidInput, msg=config) as caught:
                ts.builtin_provider(json.dumps(config), None, None)
            self.assertIn(named, str(caught.exception), config)
            self.assertNotIn("t-XYZ", str(caught.exception))
        with self.assertRaises(ts.TasksyncError.InvalidInput):
            ts.builtin_provider("{not json", None, None)
        with self.assertRaises(ts.TasksyncError.InvalidInput) as both:
            ts.builtin_provider(json.dumps(base), Refresher("x"), BlockingRefresher("x"))
        self.assertIn("blocking_refresher", str(both.exception))

    def test_a_builtin_provider_is_taken_by_the_worker_beside_host_providers(self) -> None:
        from hosts import PyProvider

        store = ts.HubStore.memory()
        builtin = ts.builtin_provider(
            json.dumps({"kind": "processplan", "base_url": "http://127.0.0.1:9", "token": "t"}),
        )
        worker = ts.Worker(store, [builtin, PyProvider("files")], CONFIG)

        async def run() -> None:
            self.assertEqual((await worker.run_once()).claimed, 0)

        asyncio.run(run())

    def test_log_lines_reach_the_sink_at_its_level(self) -> None:
        lines = Lines()
        ts.set_log_sink(lines, "warn")
        try:
            ts.log_for_tests("info", "quiet")
            ts.log_for_tests("warn", "heard")
        finally:
            ts.set_log_sink(None, "info")
        ts.log_for_tests("warn", "after")
        self.assertEqual(lines.lines, ["warn sync_core heard"])
        with self.assertRaises(ts.TasksyncError.InvalidInput) as caught:
            ts.set_log_sink(lines, "loud")
        self.assertIn("level", str(caught.exception))
        logging.getLogger(__name__).debug("the sink is gone")


if __name__ == "__main__":
    unittest.main()
