"""The built-in CalDAV provider from the uniffi Python bindings against a real CalDAV server:
Radicale from PyPI (scripts/radicale.sh, the virtualenv `$RADICALE_VENV`, default
target/radicale-venv, created by the script when missing) on a free loopback port with its
own storage folder. The calendar's VTODOs are listed and synced, a status change is pushed
through the Worker and read back from the server, a wrong password is renewed by a Python
refresher (`async def` and plain `def`), a VTODO deleted on the server dead-letters its job,
and the password is in no error, job or log line. If Radicale cannot be started the tests
fail: they are never skipped."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import pathlib
import socket
import subprocess
import tempfile
import unittest
import urllib.request

import tasksync_ffi as ts

ROOT = pathlib.Path(__file__).resolve().parents[3]
USER = "ana"
PASSWORD = "pw-SECRET-7d41c09e5a"
WRONG = "pw-WRONG-2f8b61ce34"
DEMO = ["Write the quarterly report", "Review the pull request", "Book the team offsite"]

SERVER: Radicale | None = None


class Radicale:
    """A running Radicale with the `tasks` calendar holding demo-1.ics .. demo-3.ics."""

    def __init__(self) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.dir = tempfile.TemporaryDirectory(prefix="tasksync-radicale-")
        out = self.script("start")
        if out.returncode != 0:
            raise RuntimeError(f"could not start Radicale: {out.stdout}\n{out.stderr}")

    def script(self, action: str) -> subprocess.CompletedProcess:
        env = dict(
            os.environ,
            RADICALE_VENV=os.environ.get("RADICALE_VENV", str(ROOT / "target" / "radicale-venv")),
            RADICALE_DIR=self.dir.name,
            RADICALE_PORT=str(self.port),
            RADICALE_USER=USER,
            RADICALE_PASSWORD=PASSWORD,
            RADICALE_CALENDAR="tasks",
            RADICALE_SEED="1",
        )
        return subprocess.run(
            ["bash", str(ROOT / "scripts" / "radicale.sh"), action],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )

    def close(self) -> None:
        self.script("stop")
        self.dir.cleanup()

    @property
    def home(self) -> str:
        return f"http://127.0.0.1:{self.port}/{USER}/"

    def seed(self) -> None:
        """demo-1.ics .. demo-3.ics back as the script seeds them (NEEDS-ACTION)."""
        for n, title in enumerate(DEMO, start=1):
            body = (
                "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//tasksync//demo//EN\r\n"
                f"BEGIN:VTODO\r\nUID:demo-{n}\r\nDTSTAMP:20260101T090000Z\r\n"
                f"SUMMARY:{title}\r\nSTATUS:NEEDS-ACTION\r\nPERCENT-COMPLETE:0\r\n"
                "X-TASKSYNC-NOTE:kept as is\r\nEND:VTODO\r\nEND:VCALENDAR\r\n"
            )
            self.request("PUT", f"demo-{n}.ics", body)

    def request(self, method: str, name: str, body: str | None = None) -> str:
        """`method` on the calendar's resource `name` as the owner; the body."""
        data = None if body is None else body.encode()
        request = urllib.request.Request(f"{self.home}tasks/{name}", data=data, method=method)
        raw = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        request.add_header("authorization", f"Basic {raw}")
        if data is not None:
            request.add_header("content-type", "text/calendar; charset=utf-8")
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.read().decode()


def setUpModule() -> None:
    global SERVER
    SERVER = Radicale()


def tearDownModule() -> None:
    if SERVER is not None:
        SERVER.close()


class Async(ts.TokenRefresher):
    def __init__(self) -> None:
        self.calls: list[str] = []

    async def refresh(self, provider: str) -> str:
        self.calls.append(provider)
        return PASSWORD


class Blocking(ts.BlockingTokenRefresher):
    def __init__(self) -> None:
        self.calls: list[str] = []

    def refresh(self, provider: str) -> str:
        self.calls.append(provider)
        return PASSWORD


class Lines(ts.LogSink):
    def __init__(self) -> None:
        self.lines: list[str] = []

    def log(self, level: str, target: str, message: str) -> None:
        self.lines.append(f"{level} {target} {message}")


CONFIG = ts.WorkerConfig(id="w1", dead_policy=ts.DeadPolicy.KEEP_FLAGGED)
TARGET = ts.Target(name="caldav", kind=ts.ProviderKind.CAL_DAV)


def provider(password: str = PASSWORD, refresher=None, blocking=None) -> ts.Provider:
    config = {"kind": "caldav", "base_url": SERVER.home, "user": USER, "password": password}
    return ts.builtin_provider(json.dumps(config), refresher, blocking)


async def synced(source: ts.Provider):
    store = ts.HubStore.memory()
    engine = ts.SyncEngine(store)
    listing = await ts.list_from(source, "tasks")
    await engine.execute(await engine.preview("s", listing, ts.default_policy()), True)
    tasks = {t.external_id: t for t in (await store.snapshot("s")).tasks}
    return store, ts.StatusService(store, [TARGET]), tasks


class CalDavOnRadicale(unittest.TestCase):
    def setUp(self) -> None:
        SERVER.seed()

    def test_the_calendar_is_listed(self) -> None:
        async def run() -> None:
            listing = await ts.list_from(provider(), "tasks")
            self.assertEqual(listing.source, "caldav")
            self.assertTrue(listing.complete)
            ids = sorted(i.external_id for i in listing.items)
            self.assertEqual(ids, [f"tasks/demo-{n}.ics" for n in (1, 2, 3)])
            self.assertEqual({i.status for i in listing.items}, {ts.Status.PENDING})

        asyncio.run(run())

    def test_a_status_change_reaches_the_server(self) -> None:
        async def run() -> None:
            source = provider()
            store, service, tasks = await synced(source)
            task = tasks["tasks/demo-1.ics"]
            [job] = (await service.change_status(task.id, ts.Status.COMPLETED, "kim")).jobs
            tick = await ts.Worker(store, [source], CONFIG).run_once()
            self.assertEqual((tick.claimed, tick.succeeded), (1, 1), tick)
            self.assertEqual((await store.job(job.id)).state, ts.JobState.SUCCEEDED)
            ics = SERVER.request("GET", "demo-1.ics")
            self.assertIn("STATUS:COMPLETED", ics)
            self.assertIn("X-TASKSYNC-NOTE:kept as is", ics, "other properties kept")

        asyncio.run(run())

    def test_a_wrong_password_is_renewed_by_the_hosts_refresher(self) -> None:
        async def run() -> None:
            for refresher, blocking in ((Async(), None), (None, Blocking())):
                source = provider(WRONG, refresher, blocking)
                listing = await ts.list_from(source, "tasks")
                self.assertGreaterEqual(len(listing.items), 3)
                self.assertEqual((refresher or blocking).calls, ["caldav"])
            with self.assertRaises(ts.TasksyncError.Provider) as caught:
                await ts.list_from(provider(WRONG), "tasks")
            self.assertEqual(caught.exception.provider_class, "token_expired")

        asyncio.run(run())

    def test_a_vtodo_deleted_on_the_server_dead_letters_its_job(self) -> None:
        async def run() -> None:
            source = provider()
            store, service, tasks = await synced(source)
            SERVER.request("DELETE", "demo-3.ics")
            task = tasks["tasks/demo-3.ics"]
            [job] = (await service.change_status(task.id, ts.Status.IN_PROGRESS, "kim")).jobs
            tick = await ts.Worker(store, [source], CONFIG).run_once()
            self.assertEqual((tick.dead, tick.succeeded), (1, 0), tick)
            [dead] = await store.dead_letters(10)
            self.assertEqual(dead.id, job.id)
            self.assertIn("404", dead.last_error or "")

        asyncio.run(run())

    def test_the_password_appears_nowhere(self) -> None:
        async def run() -> None:
            lines = Lines()
            ts.set_log_sink(lines, "trace")
            shown: list[str] = []
            try:
                source = provider()
                store, service, tasks = await synced(source)
                task = tasks["tasks/demo-2.ics"]
                await service.change_status(task.id, ts.Status.COMPLETED, "kim")
                wrong = provider(WRONG)
                with self.assertRaises(ts.TasksyncError.Provider) as caught:
                    await ts.list_from(wrong, "tasks")
                shown += [str(caught.exception), repr(caught.exception), repr(wrong)]
                worker = ts.Worker(store, [wrong], CONFIG)
                await worker.run_once()
                shown += [repr(j) for j in await store.jobs(ts.JobQuery())]
                shown.append(worker.metrics_prometheus())
            finally:
                ts.set_log_sink(None, "info")
            self.assertTrue(lines.lines)
            for text in shown + lines.lines:
                self.assertNotIn(PASSWORD, text)
                self.assertNotIn(WRONG, text)

        asyncio.run(run())


if __name__ == "__main__":
    unittest.main()
