"""The built-in CalDAV provider from Python against a real CalDAV server: Radicale (from PyPI, in
the virtualenv `$RADICALE_VENV`, default target/radicale-venv, made by scripts/radicale.sh when
missing) on a free loopback port with its own storage. Its seeded VTODOs list as a preview
source; a status change pushed by the Worker lands in the server's calendar; a wrong password is
renewed through the host's refresher."""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import tasksync
from fakes import ROOT

USER = "radi"
PASSWORD = "radi-SECRET-93be1f0a7c"


@dataclass
class Radicale:
    home: str
    dir: Path

    def ics(self, name: str) -> str:
        request = urllib.request.Request(f"{self.home}tasks/{name}")
        auth = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        request.add_header("authorization", f"Basic {auth}")
        with urllib.request.urlopen(request, timeout=10) as response:
            text: str = response.read().decode()
        return text


def script(action: str, port: int, folder: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "RADICALE_VENV": os.environ.get("RADICALE_VENV", str(ROOT / "target" / "radicale-venv")),
        "RADICALE_DIR": str(folder),
        "RADICALE_PORT": str(port),
        "RADICALE_USER": USER,
        "RADICALE_PASSWORD": PASSWORD,
        "RADICALE_CALENDAR": "tasks",
        "RADICALE_SEED": "1",
    }
    return subprocess.run(
        ["bash", str(ROOT / "scripts" / "radicale.sh"), action],
        env=env,
        capture_output=True,
        text=True,
    )


@pytest.fixture(scope="module")
def radicale(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Radicale]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    folder = tmp_path_factory.mktemp("radicale")
    started = script("start", port, folder)
    assert started.returncode == 0, f"Radicale did not start: {started.stdout}{started.stderr}"
    try:
        yield Radicale(f"http://127.0.0.1:{port}/{USER}/", folder)
    finally:
        script("stop", port, folder)


def config(radicale: Radicale, password: str = PASSWORD) -> dict[str, str]:
    return {"kind": "caldav", "base_url": radicale.home, "user": USER, "password": password}


def test_radicales_todos_list_and_a_pushed_status_lands_there(radicale: Radicale) -> None:
    provider = tasksync.Provider.builtin(config(radicale))
    listing = provider.list("tasks")
    ids = sorted(i["external_id"] for i in listing["items"])
    assert ids == ["tasks/demo-1.ics", "tasks/demo-2.ics", "tasks/demo-3.ics"]
    store = tasksync.MemoryStore()
    engine = tasksync.SyncEngine(store)
    assert engine.execute(engine.preview("cal", listing), confirmed=True).created == 3
    task_id = tasksync.hub_id("caldav", "tasks/demo-1.ics")
    service = tasksync.StatusService(store, targets=[{"name": "caldav", "kind": "cal_dav"}])
    (job,) = service.change_status(task_id, "completed", actor="kim").jobs
    tick = tasksync.Worker(store, providers=[provider]).run_once()
    assert (tick.claimed, tick.succeeded) == (1, 1), tick
    ics = radicale.ics("demo-1.ics")
    assert "STATUS:COMPLETED" in ics
    assert "X-TASKSYNC-NOTE:kept as is" in ics, "the rest of the VTODO is kept"
    assert "STATUS:NEEDS-ACTION" in radicale.ics("demo-2.ics")
    assert tasksync.JobQueue(store).sync_status(task_id) == {"caldav": "synced"}
    assert job["target"] == "caldav"


def test_a_wrong_password_is_renewed_through_the_refresher(radicale: Radicale) -> None:
    calls: list[str] = []

    async def refresh(provider: str) -> str:
        calls.append(provider)
        return PASSWORD

    provider = tasksync.Provider.builtin(config(radicale, "stale-password"), refresh)
    assert len(provider.list("tasks")["items"]) == 3
    assert calls == ["caldav"]
    with pytest.raises(tasksync.ProviderError) as err:
        tasksync.Provider.builtin(config(radicale, "stale-password")).list("tasks")
    assert PASSWORD not in str(err.value) and "stale-password" not in str(err.value)
