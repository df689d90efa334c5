"""The project's own ``settings.TASKSYNC`` (the configuration the README shows) against the
Microsoft To Do fake: ``tasksync_worker`` pulls the list into the hub, a task completed through
the hub's status endpoint reaches To Do as completed, a renewed token comes from the refresher
the settings name, and no credential shows in output, logs, history, audit, jobs or metrics."""

from __future__ import annotations

import copy
import json
import logging
import os
import signal
import threading
import time
from io import StringIO
from typing import Any

import pytest
import tasksync
from django.core.management import call_command
from tasksync.contrib.django.models import AuditLog, SyncHistoryItem, SyncHistoryRun, SyncJob

from conftest import Fakes, Http
from site_config import settings as site_settings

pytestmark = pytest.mark.usefixtures("clean_hub")
T1 = tasksync.hub_id("mstodo", "list-1/t1")


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def readme_settings(fakes: Fakes) -> dict[str, Any]:
    """``site_config.settings.TASKSYNC`` with the fake's URL (what ``MSTODO_URL`` sets)."""
    config = copy.deepcopy(site_settings.TASKSYNC)
    config["providers"]["mstodo"]["base_url"] = fakes.info["mstodo"]
    return config


@pytest.fixture
def todo(fakes: Fakes, settings: Any, monkeypatch: pytest.MonkeyPatch) -> Fakes:
    settings.TASKSYNC = readme_settings(fakes)
    monkeypatch.setenv("MSTODO_TOKEN", fakes.token)
    return fakes


def todo_task(fakes: Fakes, id_: str) -> dict[str, Any]:
    data = fakes.control("mstodo", "GET", "/_fake/data")
    (task,) = [t for t in data["list-1"] if t["id"] == id_]
    return dict(task)


def test_a_task_completed_in_the_hub_is_completed_in_microsoft_todo(
    todo: Fakes, http: Http
) -> None:
    out = run("tasksync_worker", "--until-idle")
    assert "pull mstodo: executed (5 created, 0 updated, 0 deleted)" in out
    status, task = http.call("GET", f"/tasks/{T1}/sync-status")
    assert status == 200 and task["targets"] == {}

    status, body = http.call("POST", f"/tasks/{T1}/status", {"status": "completed"})
    assert status == 200, body
    assert todo_task(todo, "t1")["status"] == "notStarted"  # queued, not pushed yet

    out = run("tasksync_worker", "--until-idle")
    assert "claimed=1 succeeded=1 retried=0 dead=0" in out
    assert "pull mstodo: unchanged" in out
    assert todo_task(todo, "t1")["status"] == "completed"
    (patch,) = [r for r in todo.control("mstodo", "GET", "/_fake/seen") if r["method"] == "PATCH"]
    assert patch["path"] == "/v1.0/me/todo/lists/list-1/tasks/t1"
    assert json.loads(patch["body"])["status"] == "completed"
    assert patch["headers"]["authorization"] == f"Bearer {todo.token}"
    status, task = http.call("GET", f"/tasks/{T1}/sync-status")
    assert task["targets"] == {"mstodo": "synced"}


@pytest.mark.parametrize("refresher", ["conftest.fresh_token", "conftest.fresh_token_async"])
def test_a_renewed_token_comes_from_the_refresher_and_no_credential_shows(
    todo: Fakes,
    http: Http,
    settings: Any,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
    refresher: str,
) -> None:
    settings.TASKSYNC["providers"]["mstodo"]["refresher"] = refresher
    caplog.set_level(logging.DEBUG)
    out = run("tasksync_worker", "--until-idle")
    http.call("POST", f"/tasks/{T1}/status", {"status": "completed", "actor": "ann"})
    # The fake now takes only the fresh token; its 401 echoes the one presented.
    todo.control("mstodo", "POST", "/_fake/credential", {"token": todo.fresh})
    out += run("tasksync_worker", "--until-idle", "--metrics")
    assert "succeeded=1" in out
    assert todo_task(todo, "t1")["status"] == "completed"
    auths = [
        r["headers"].get("authorization") for r in todo.control("mstodo", "GET", "/_fake/seen")
    ]
    assert f"Bearer {todo.fresh}" in auths and f"Bearer {todo.token}" in auths

    out += run("tasksync_worker", "--until-idle", "--metrics")
    assert "tasksync_jobs_total" in out
    stored = [
        json.dumps(list(model.objects.values()), default=str)
        for model in (SyncJob, SyncHistoryRun, SyncHistoryItem, AuditLog)
    ]
    assert SyncHistoryRun.objects.filter(kind="execute").exists()
    captured = capfd.readouterr()
    for text in (out, caplog.text, captured.out, captured.err, *stored):
        assert todo.token not in text and todo.fresh not in text


def test_a_pull_from_the_settings_executes_or_is_held(todo: Fakes, settings: Any) -> None:
    settings.TASKSYNC["pull"]["mstodo"]["rule"] = {"auto_execute": False}
    out = run("tasksync_worker", "--until-idle")
    assert "pull mstodo: held for a person (auto_execute_off)" in out
    assert not SyncHistoryRun.objects.filter(kind="execute").exists()

    del settings.TASKSYNC["pull"]["mstodo"]["rule"]
    assert "pull mstodo: executed (5 created" in run("tasksync_worker", "--until-idle")
    # A task gone from the list: a deletion (the policy lets a pull delete any status), more
    # than the rule's max_deletes (0).
    settings.TASKSYNC["pull"]["mstodo"]["policy"] = {"writable": None}
    data = todo.control("mstodo", "GET", "/_fake/data")
    data["list-1"] = [t for t in data["list-1"] if t["id"] != "t5"]
    todo.control("mstodo", "PUT", "/_fake/data", data)
    out = run("tasksync_worker", "--until-idle")
    assert "pull mstodo: held for a person (too_many_deletes" in out
    settings.TASKSYNC["pull"]["mstodo"]["rule"] = {"max_deletes": 1}
    assert "pull mstodo: executed (0 created, 0 updated, 1 deleted)" in run(
        "tasksync_worker", "--until-idle"
    )
    assert "pull mstodo" not in run("tasksync_worker", "--until-idle", "--no-pull")


def test_the_worker_loop_pulls_and_pushes_until_sigterm(
    todo: Fakes, http: Http, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="tasksync.contrib.django")

    def complete_then_terminate() -> None:
        # The pull thread brings the list in; the status change goes through the hub's view.
        while http.call("GET", f"/tasks/{T1}/sync-status")[0] != 200:
            time.sleep(0.02)
        http.call("POST", f"/tasks/{T1}/status", {"status": "completed"})
        while todo_task(todo, "t1")["status"] != "completed":
            time.sleep(0.02)
        os.kill(os.getpid(), signal.SIGTERM)

    helper = threading.Thread(target=complete_then_terminate, daemon=True)
    helper.start()
    out = run("tasksync_worker", "--max-sleep-ms", "50")
    helper.join(timeout=30)
    assert "claimed=1 succeeded=1 retried=0 dead=0" in out
    assert "pull mstodo: executed (5 created, 0 updated, 0 deleted)" in caplog.text
    # The pull threads ended with the loop.
    assert not [t for t in threading.enumerate() if t.name.startswith("tasksync-pull")]


def test_a_connectwise_board_is_pulled_with_a_password_from_the_environment(
    fakes: Fakes, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.TASKSYNC = {
        "providers": {
            "connectwise": {
                "kind": "connectwise",
                "base_url": fakes.info["connectwise"],
                "user": fakes.info["users"]["connectwise"],
                "password_env": "CW_PASSWORD",
                "client_id": fakes.info["client_id"],
            }
        },
        "pull": {
            "service-desk": {
                "provider": "connectwise",
                "scope": "service",
                "provider_scope": "tickets",
            }
        },
    }
    monkeypatch.setenv("CW_PASSWORD", fakes.token)
    out = run("tasksync_worker", "--until-idle")
    assert "pull service-desk: executed (5 created, 0 updated, 0 deleted)" in out
    assert fakes.token not in out
