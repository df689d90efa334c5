"""The management commands: ``tasksync_sync`` from the example Markdown folder (the core's
folder source) and a JSON listing, ``tasksync_worker`` with a provider of one's own named in
the settings (its lease length and worker id), its worker loop stopped by SIGTERM after the
batch in flight, and ``tasksync_retry`` on a job the To Do fake refused."""

from __future__ import annotations

import json
import os
import signal
import socket
import threading
import time
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import tasksync
from django.core.management import call_command
from django.core.management.base import CommandError
from tasksync.contrib.django.store import DjangoQueueStore

from conftest import Fakes

pytestmark = pytest.mark.usefixtures("clean_hub")
EXAMPLE_TASKS = Path(__file__).resolve().parents[2] / "tasks"
TARGETS = [{"name": "mstodo", "kind": "ms_todo", "max_attempts": 3}]


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_sync_reads_the_example_markdown_folder_through_the_folder_source() -> None:
    store = DjangoQueueStore()
    out = run("tasksync_sync", "docs", str(EXAMPLE_TASKS))
    assert "28 tasks read" in out and "preview only" in out
    assert store.scope_version("docs") == 0
    assert "28 created" in run("tasksync_sync", "docs", str(EXAMPLE_TASKS), "--yes")
    tasks = store.snapshot("docs")["tasks"]
    assert len(tasks) == 28 and {t["source"] for t in tasks} == {"files"}
    assert "0 created, 0 updated, 0 deleted" in run(
        "tasksync_sync", "docs", str(EXAMPLE_TASKS), "--yes"
    )


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


def queue_completion(external_id: str = "list-1/t1") -> tuple[DjangoQueueStore, str]:
    store = DjangoQueueStore()
    listing = {
        "source": "mstodo",
        "complete": True,
        "items": [{"external_id": external_id, "kind": "task", "title": "T", "status": "pending"}],
    }
    engine = tasksync.SyncEngine(store)
    engine.execute(engine.preview("inbox", listing), confirmed=True)
    report = tasksync.StatusService(store, targets=TARGETS).change_status(
        tasksync.hub_id("mstodo", external_id), "completed"
    )
    return store, str(report.jobs[0]["id"])


def own(settings: Any, path: str) -> None:
    settings.TASKSYNC = {"providers": {"mstodo": {"class": path}}, "targets": TARGETS}


def test_the_example_journal_provider_records_the_push(
    tmp_path: Path, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    own(settings, "workorders.journal.JournalProvider")
    journal = tmp_path / "pushes.jsonl"
    monkeypatch.setenv("TASKSYNC_JOURNAL", str(journal))
    store, job_id = queue_completion()
    assert "succeeded=1" in run("tasksync_worker", "--until-idle")
    (line,) = journal.read_text().splitlines()
    assert json.loads(line)["change"]["payload"]["status"] == "completed"
    assert store.job(job_id)["state"] == "succeeded"  # type: ignore[index]


@pytest.fixture
def todo(fakes: Fakes, settings: Any, monkeypatch: pytest.MonkeyPatch) -> Fakes:
    settings.TASKSYNC = {
        "providers": {
            "mstodo": {"kind": "mstodo", "base_url": fakes.info["mstodo"], "token_env": "TOK"}
        },
        "targets": TARGETS,
    }
    monkeypatch.setenv("TOK", fakes.token)
    return fakes


def test_the_worker_loop_stops_on_sigterm_after_its_batch(todo: Fakes) -> None:
    store, job_id = queue_completion()

    def terminate_once_pushed() -> None:
        while not any(r["method"] == "PATCH" for r in todo.control("mstodo", "GET", "/_fake/seen")):
            time.sleep(0.01)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=terminate_once_pushed, daemon=True).start()
    before = signal.getsignal(signal.SIGTERM)
    out = run("tasksync_worker", "--max-sleep-ms", "50")
    assert "claimed=1 succeeded=1" in out
    # The push in flight when SIGTERM came was recorded before the loop ended.
    assert store.job(job_id)["state"] == "succeeded"  # type: ignore[index]
    assert signal.getsignal(signal.SIGTERM) is before


def test_a_refused_job_is_dead_and_retried_by_the_command(todo: Fakes) -> None:
    store, job_id = queue_completion()
    todo.control("mstodo", "POST", "/_fake/fault", {"status": 400, "body": "{}"})
    assert "dead=1" in run("tasksync_worker", "--until-idle")
    assert store.job(job_id)["state"] == "dead"  # type: ignore[index]
    assert "pending" in run("tasksync_retry", job_id)
    assert store.job(job_id)["state"] == "pending"  # type: ignore[index]
    with pytest.raises(CommandError):
        run("tasksync_retry", job_id)  # not dead any more
    with pytest.raises(CommandError):
        run("tasksync_retry", "job-missing")
    assert "succeeded=1" in run("tasksync_worker", "--until-idle")


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


def test_worker_id_is_unique_per_process_and_the_lease_length_is_configurable(
    settings: Any,
) -> None:
    own(settings, RECORDING)
    Recording.seen.clear()
    _, job_id = queue_completion()
    run("tasksync_worker", "--lease-ms", "4321", "--until-idle")
    (seen,) = Recording.seen
    assert seen["target"] == "mstodo" and seen["id"] == job_id
    assert seen["lease_owner"] == f"django-worker-{socket.gethostname()}-{os.getpid()}"
    assert seen["lease_until"] - seen["updated_at"] == 4321
    Recording.seen.clear()
    settings.TASKSYNC["worker"] = {"lease_ms": 5000}
    queue_completion("list-1/t2")
    run("tasksync_worker", "--id", "w-7", "--until-idle")
    (seen,) = Recording.seen
    assert seen["lease_owner"] == "w-7"
    assert seen["lease_until"] - seen["updated_at"] == 5000
