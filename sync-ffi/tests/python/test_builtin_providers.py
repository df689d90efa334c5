"""Every built-in provider kind from the uniffi Python bindings against the loopback fakes
(`builtin_provider(config_json, refresher)`): a listing that follows the provider's paging,
a status change pushed through the core's Worker (method, path, Idempotency-Key where the
adapter sends one, body), 429 + Retry-After as `rate_limited` with its delay, 401 renewed
through a Python refresher and retried with the fresh token, 404 on a push dead-lettered, and
a credential sweep (the token is in no error, history run, audit entry, event, job or metrics
line). Configurations are refused naming the field, unknown keys included."""

from __future__ import annotations

import asyncio
import json
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
    """Hands out the fakes' fresh secret and records who asked."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.calls: list[str] = []

    async def refresh(self, provider: str) -> str:
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


CONFIG = ts.WorkerConfig(id="w1", dead_policy=ts.DeadPolicy.KEEP_FLAGGED)


class Case:
    """One kind's tests (mixed into a TestCase per kind below)."""

    name = ""

    def setUp(self) -> None:
        FAKES.reset(self.name)
        self.spec = KINDS[self.name]

    def provider(self, refresher=None, secret=None):
        return ts.builtin_provider(FAKES.config(self.name, secret), refresher)

    def target(self) -> ts.Target:
        return ts.Target(
            name=self.source, kind=getattr(ts.ProviderKind, self.spec["target"])
        )

    @property
    def source(self) -> str:
        return self.name

    def requests(self, since: int = 0) -> list[dict]:
        return FAKES.seen(self.name)[since:]

    async def synced(self, provider, history=None, events=None):
        """A memory hub with the provider's listing executed into scope `s`, a status
        service on it and one status change queued; answers (store, service, job, task)."""
        store = ts.HubStore.memory()
        engine = ts.SyncEngine(store, history=history)
        listing = await ts.list_from(provider, self.spec["scope"])
        await engine.execute(await engine.preview("s", listing, ts.default_policy()), True)
        service = ts.StatusService(store, [self.target()], events=events, history=history)
        tasks = (await store.snapshot("s")).tasks
        self.assertTrue(tasks, "the listing synced no task")
        for task in tasks:
            for status in (ts.Status.COMPLETED, ts.Status.IN_PROGRESS, ts.Status.PENDING):
                if status == task.status:
                    continue
                try:
                    report = await service.change_status(task.id, status, "kim")
                except (ts.TasksyncError.InvalidTransition, ts.TasksyncError.InvalidInput):
                    continue
                if report.jobs:
                    return store, service, report.jobs[0], task
        self.fail("no status change made a job")

    # -- list ---------------------------------------------------------------------------
    def test_list_follows_the_providers_paging(self) -> None:
        async def run() -> None:
            provider = self.provider()
            self.assertEqual(provider.name(), self.source)
            listing = await ts.list_from(provider, self.spec["scope"])
            self.assertEqual(listing.source, self.source)
            self.assertTrue(listing.complete)
            self.assertGreater(len(listing.items), 0)
            ids = [i.external_id for i in listing.items]
            self.assertEqual(len(ids), len(set(ids)), "no page listed twice")
            reads = self.requests()
            self.assertTrue(reads, "the fake saw the listing")
            auth = FAKES.authorization(self.name, FAKES.token)
            self.assertTrue(all(r["headers"].get("authorization") == auth for r in reads))
            if self.spec["pages"]:
                self.assertGreater(len(reads), 1, "more than one page was read")
            # The host may call the provider itself, too.
            direct = await provider.list(self.spec["scope"])
            self.assertEqual(direct, listing)

        asyncio.run(run())

    # -- push ---------------------------------------------------------------------------
    def test_a_status_change_is_pushed_through_the_worker(self) -> None:
        async def run() -> None:
            provider = self.provider()
            store, _, job, task = await self.synced(provider)
            before = len(self.requests())
            tick = await ts.Worker(store, [provider], CONFIG).run_once()
            self.assertEqual((tick.claimed, tick.succeeded), (1, 1), tick)
            sent = [r for r in self.requests(before) if r["method"] != "GET"]
            self.assertTrue(sent, "a write reached the provider")
            push = next(
                (r for r in sent if r["method"] == self.spec["push_method"]), sent[-1]
            )
            self.assertEqual(push["method"], self.spec["push_method"], sent)
            self.assertTrue(push["body"], "the push has a body")
            self.assertEqual(
                push["headers"].get("authorization"),
                FAKES.authorization(self.name, FAKES.token),
            )
            if self.spec["idempotency_key"]:
                self.assertEqual(push["headers"].get("idempotency-key"), job.id)
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
                await ts.list_from(provider, self.spec["scope"])
            err = caught.exception
            self.assertEqual(err.provider_class, "rate_limited")
            self.assertEqual(err.retry_after_ms, 1_000)
            self.assertEqual(err.provider, self.source)

        asyncio.run(run())

    def test_429_on_a_push_defers_the_job(self) -> None:
        async def run() -> None:
            provider = self.provider()
            store, _, job, _ = await self.synced(provider)
            FAKES.fault(self.name, 429, {"retry-after": "1"})
            tick = await ts.Worker(store, [provider], CONFIG).run_once()
            self.assertEqual(tick.succeeded + tick.dead, 0, tick)
            queued = await store.job(job.id)
            self.assertEqual(queued.state, ts.JobState.PENDING)
            self.assertIn("rate limited", queued.last_error or "")

        asyncio.run(run())

    # -- 401 ----------------------------------------------------------------------------
    def test_401_is_renewed_by_the_hosts_refresher(self) -> None:
        async def run() -> None:
            FAKES.accept(self.name, FAKES.fresh)
            refresher = Refresher(FAKES.fresh)
            provider = self.provider(refresher)
            before = len(self.requests())
            listing = await ts.list_from(provider, self.spec["scope"])
            self.assertGreater(len(listing.items), 0)
            self.assertEqual(refresher.calls, [self.source])
            auths = [r["headers"].get("authorization") for r in self.requests(before)]
            self.assertEqual(auths[0], FAKES.authorization(self.name, FAKES.token))
            self.assertEqual(auths[-1], FAKES.authorization(self.name, FAKES.fresh))
            # Without a refresher the expiry is final.
            with self.assertRaises(ts.TasksyncError.Provider) as caught:
                await ts.list_from(self.provider(), self.spec["scope"])
            self.assertEqual(caught.exception.provider_class, "token_expired")
            self.assertEqual(caught.exception.http_status, None)
            # A refresher that fails ends the call with its error, final (not retried).
            failing = Failing()
            with self.assertRaises(ts.TasksyncError.Provider) as caught:
                await ts.list_from(self.provider(failing), self.spec["scope"])
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
            worker = ts.Worker(store, [provider], CONFIG)
            for _ in range(3):
                if (await store.job(job.id)).state == ts.JobState.SUCCEEDED:
                    break
                await worker.run_once()
            self.assertEqual((await store.job(job.id)).state, ts.JobState.SUCCEEDED)
            self.assertGreaterEqual(len(refresher.calls), 1)
            last = self.requests()[-1]
            self.assertEqual(
                last["headers"].get("authorization"),
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
            self.assertEqual(tick.dead, 1, tick)
            [dead] = await store.dead_letters(10)
            self.assertEqual(dead.id, job.id)
            self.assertEqual(dead.state, ts.JobState.DEAD)
            self.assertIn("404", dead.last_error or "")

        asyncio.run(run())

    # -- credential sweep ---------------------------------------------------------------
    def test_the_credential_appears_nowhere(self) -> None:
        async def run() -> None:
            history = await ts.History.memory()
            events = Collect()
            shown: list[str] = []
            provider = self.provider()
            shown.append(repr(provider))
            store, _, job, _ = await self.synced(provider, history, events)
            worker = ts.Worker(store, [provider], CONFIG, events=events)
            # An expired token (the fake echoes the presented credential in its body).
            FAKES.accept(self.name, FAKES.fresh)
            for call in (
                lambda: ts.list_from(provider, self.spec["scope"]),
                lambda: ts.Puller(
                    ts.SyncEngine(store, history=history),
                    provider,
                    json.dumps({"scope": "s", "provider_scope": self.spec["scope"]}),
                ).pull(),
            ):
                try:
                    await call()
                    self.fail("an expired token listed")
                except ts.TasksyncError as err:
                    shown += [str(err), repr(err)]
            try:
                await provider.list(self.spec["scope"])
                self.fail("an expired token listed")
            except ts.ProviderError as err:
                shown += [str(err), repr(err)]
            await worker.run_once()
            # A server echoing the token in a 400 body, on a push: the job dies.
            FAKES.accept(self.name, FAKES.token)
            FAKES.fault(self.name, 400, body=json.dumps({"message": f"bad {FAKES.token}"}))
            await worker.run_once()
            bad = json.dumps({"kind": KINDS[self.name]["kind"], "base_url": "ftp://x",
                              "token": FAKES.token})
            try:
                ts.builtin_provider(bad, None)
            except ts.TasksyncError as err:
                shown += [str(err), repr(err)]
            await history.shutdown()
            for run_ in (await history.runs()).runs:
                shown.append(repr(run_))
            shown += [repr(e) for e in (await history.audit(None, None, None, 100)).entries]
            shown += [repr(j) for j in await store.jobs(ts.JobQuery())]
            shown.append(repr(await store.job(job.id)))
            shown += events.events
            shown.append(worker.metrics_prometheus())
            self.assertTrue(any("expired" in s for s in shown), "the failures were seen")
            for text in shown:
                self.assertNotIn(FAKES.token, text)
                self.assertNotIn(FAKES.fresh, text)

        asyncio.run(run())


for _name in KINDS:
    _cls = type(
        f"Builtin_{_name}", (Case, unittest.TestCase), {"name": _name, "__module__": __name__}
    )
    globals()[_cls.__name__] = _cls
del _name, _cls


class Configuration(unittest.TestCase):
    def test_bad_configurations_are_refused_naming_the_field(self) -> None:
        base = {"kind": "mstodo", "base_url": "http://127.0.0.1:9/v1.0", "token": "t"}
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
                ts.builtin_provider(json.dumps(config), None)
            self.assertIn(named, str(caught.exception), config)
            self.assertNotIn('"t"', str(caught.exception))
        with self.assertRaises(ts.TasksyncError.InvalidInput):
            ts.builtin_provider("{not json", None)

    def test_a_builtin_provider_is_taken_by_the_worker_beside_host_providers(self) -> None:
        from hosts import PyProvider

        store = ts.HubStore.memory()
        builtin = ts.builtin_provider(
            json.dumps({"kind": "processplan", "base_url": "http://127.0.0.1:9", "token": "t"}),
            None,
        )
        worker = ts.Worker(store, [builtin, PyProvider("files")], CONFIG)

        async def run() -> None:
            self.assertEqual((await worker.run_once()).claimed, 0)

        asyncio.run(run())

if __name__ == "__main__":
    unittest.main()
