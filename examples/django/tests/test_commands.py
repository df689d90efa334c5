"""The management commands: ``tasksync_sync`` from a Markdown folder and a JSON listing,
``tasksync_worker`` with the journal provider and a provider class of one's own (its lease
length and worker id), its worker loop stopped by SIGTERM after the batch in flight, and
``tasksync_retry`` on a dead job."""

from __future__ import annotations

import json
import os
import signal
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import tasksync
from django.core.management import call_command
from django.core.management.base import CommandError
from tasksync.contrib.django.store import DjangoQueueStore

pytestmark = pytest.mark.usefixtures("clean_hub")


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_sync_previews_then_executes_a_markdown_folder(tmp_path: Path) -> None:
    (tmp_path / "buy-milk.md").write_text("---\nstatus: pending\n---\n# Buy milk\n\nsoon\n")
    (tmp_path / "call-bob.md").write_text("Call Bob\n")
    store = DjangoQueueStore()
    assert "preview only" in run("tasksync_sync", "home", str(tmp_path))
    assert store.scope_version("home") == 0
    assert "2 created" in run("tasksync_sync", "home", str(tmp_path), "--yes")
    tasks = {t["external_id"]: t for t in store.snapshot("home")["tasks"]}
    assert tasks["buy-milk"]["title"] == "Buy milk" and tasks["buy-milk"]["status"] == "pending"
    assert tasks["call-bob"]["title"] == "Call Bob" and tasks["call-bob"]["source"] == "files"


def test_sync_reads_a_json_listing_and_refuses_bad_input(tmp_path: Path) -> None:
    listing = {
        "source": "erp",
        "complete": True,
        "items": [{"external_id": "1", "kind": "step", "title": "Cut"}],
    }
    good = tmp_path / "listing.json"
    good.write_text(json.dumps(listing))
    assert "1 created" in run("tasksync_sync", "wo-9", str(good), "--yes")
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    with pytest.raises(CommandError):
        run("tasksync_sync", "wo-9", str(bad), "--yes")
    with pytest.raises(CommandError):
        run("tasksync_sync", "wo-9", str(tmp_path / "missing"))
    assert DjangoQueueStore().scope_version("wo-9") == 1


class Refuses(BaseHTTPRequestHandler):
    """A target answering every PATCH with 400 (a permanent refusal)."""

    def do_PATCH(self) -> None:  # noqa: N802 (the http.server naming)
        self.rfile.read(int(self.headers["Content-Length"]))
        out = b'{"error": {"code": "invalidRequest"}}'
        self.send_response(400)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def refusing() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Refuses)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/tasks"
    server.shutdown()
    server.server_close()


def queue_completion() -> tuple[DjangoQueueStore, str]:
    store = DjangoQueueStore()
    listing = {
        "source": "mstodo",
        "complete": True,
        "items": [{"external_id": "A1", "kind": "task", "title": "T", "status": "pending"}],
    }
    engine = tasksync.SyncEngine(store)
    engine.execute(engine.preview("inbox", listing), confirmed=True)
    targets = [{"name": "mstodo", "kind": "ms_todo", "max_attempts": 3}]
    report = tasksync.StatusService(store, targets=targets).change_status(
        tasksync.hub_id("mstodo", "A1"), "completed"
    )
    return store, str(report.jobs[0]["id"])


def test_worker_journal_provider_records_the_push(tmp_path: Path) -> None:
    store, job_id = queue_completion()
    journal = tmp_path / "pushes.jsonl"
    assert "succeeded=1" in run("tasksync_worker", "--journal", str(journal), "--until-idle")
    (line,) = journal.read_text().splitlines()
    assert json.loads(line)["change"]["payload"]["status"] == "completed"
    assert store.job(job_id)["state"] == "succeeded"  # type: ignore[index]


def test_the_worker_loop_stops_on_sigterm_after_its_batch(tmp_path: Path) -> None:
    store, job_id = queue_completion()
    journal = tmp_path / "pushes.jsonl"

    def terminate_once_pushed() -> None:
        while not (journal.exists() and journal.read_text().strip()):
            time.sleep(0.01)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=terminate_once_pushed, daemon=True).start()
    before = signal.getsignal(signal.SIGTERM)
    out = run("tasksync_worker", "--journal", str(journal), "--max-sleep-ms", "50")
    assert "claimed=1 succeeded=1" in out
    # The push in flight when SIGTERM came was recorded before the loop ended.
    assert store.job(job_id)["state"] == "succeeded"  # type: ignore[index]
    assert signal.getsignal(signal.SIGTERM) is before


def test_a_dead_job_is_retried_by_the_command(refusing: str) -> None:
    store, job_id = queue_completion()
    assert "dead=1" in run("tasksync_worker", "--http", f"mstodo={refusing}", "--until-idle")
    assert store.job(job_id)["state"] == "dead"  # type: ignore[index]
    assert "pending" in run("tasksync_retry", job_id)
    assert store.job(job_id)["state"] == "pending"  # type: ignore[index]
    with pytest.raises(CommandError):
        run("tasksync_retry", job_id)  # not dead any more
    with pytest.raises(CommandError):
        run("tasksync_retry", "job-missing")
    with pytest.raises(CommandError):
        run("tasksync_worker", "--until-idle")  # no provider for `mstodo`


class Recording:
    """A provider class of one's own: records each push with the lease its job was under."""

    seen: list[dict[str, Any]] = []

    def __init__(self, name: str) -> None:
        self.name = name

    def list(self, scope: str) -> dict[str, Any]:
        return {"source": self.name, "items": [], "complete": False}

    def refresh_token(self) -> None:
        pass

    def push(self, change: dict[str, Any]) -> dict[str, Any]:
        job = DjangoQueueStore().job(change["job_id"])
        assert job is not None
        Recording.seen.append({"target": self.name, **job})
        return {"remote": None}


RECORDING = f"{Recording.__module__}.{Recording.__qualname__}"


def test_worker_runs_a_provider_class_named_by_its_dotted_path() -> None:
    Recording.seen.clear()
    store, job_id = queue_completion()
    out = run("tasksync_worker", "--provider", f"mstodo={RECORDING}", "--until-idle")
    assert "succeeded=1" in out
    (seen,) = Recording.seen
    assert seen["target"] == "mstodo" and seen["id"] == job_id
    assert store.job(job_id)["state"] == "succeeded"  # type: ignore[index]


def test_worker_id_is_unique_per_process_and_the_lease_length_is_configurable() -> None:
    Recording.seen.clear()
    queue_completion()
    run(
        "tasksync_worker", "--provider", f"mstodo={RECORDING}", "--lease-ms", "4321", "--until-idle"
    )
    (seen,) = Recording.seen
    assert seen["lease_owner"] == f"django-worker-{socket.gethostname()}-{os.getpid()}"
    assert seen["lease_until"] - seen["updated_at"] == 4321
    Recording.seen.clear()
    queue_completion_again()
    run("tasksync_worker", "--provider", f"mstodo={RECORDING}", "--id", "w-7", "--until-idle")
    (seen,) = Recording.seen
    assert seen["lease_owner"] == "w-7"
    assert seen["lease_until"] - seen["updated_at"] == 30_000


def queue_completion_again() -> None:
    store = DjangoQueueStore()
    targets = [{"name": "mstodo", "kind": "ms_todo"}]
    tasksync.StatusService(store, targets=targets).change_status(
        tasksync.hub_id("mstodo", "A1"), "pending"
    )


def test_worker_refuses_a_bad_provider_path_or_lease() -> None:
    queue_completion()
    with pytest.raises(CommandError, match="cannot import `no.such.Provider`"):
        run("tasksync_worker", "--provider", "mstodo=no.such.Provider", "--until-idle")
    with pytest.raises(CommandError, match="expected NAME=VALUE"):
        run("tasksync_worker", "--provider", "mstodo", "--until-idle")
    with pytest.raises(CommandError, match="lease_ms"):
        run("tasksync_worker", "--journal", "/dev/null", "--lease-ms", "0", "--until-idle")
