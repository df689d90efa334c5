"""``settings.TASKSYNC`` is checked at startup (Django's system checks, ``tasksync.E001``) and
by the worker: every problem names its key, unknown keys are refused, no secret is shown."""

from __future__ import annotations

import copy
from io import StringIO
from typing import Any

import pytest
from django.core import checks
from django.core.management import call_command
from django.core.management.base import CommandError

from site_config import settings as site_settings

SECRET = "tok-do-not-show-9a8b7c"


def errors(settings: Any, tasksync: Any) -> list[str]:
    settings.TASKSYNC = tasksync
    found = checks.run_checks(tags=["tasksync"])
    return [f"{m.id} {m.msg}" for m in found]


def base() -> dict[str, Any]:
    config = copy.deepcopy(site_settings.TASKSYNC)
    config["providers"]["mstodo"] = {
        "kind": "mstodo",
        "base_url": "http://127.0.0.1:9/v1.0",
        "token": SECRET,
    }
    return config


def with_(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    config = base()
    node: Any = config
    for part in path[:-1]:
        node = node[part] if isinstance(node, list) else node.setdefault(part, {})
    node[path[-1]] = value
    return config


def test_the_project_settings_pass_but_for_the_unset_token(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MSTODO_TOKEN", raising=False)
    found = errors(settings, copy.deepcopy(site_settings.TASKSYNC))
    assert found == [
        "tasksync.W001 TASKSYNC['providers']['mstodo']['token_env']: `MSTODO_TOKEN` is not set"
    ]
    monkeypatch.setenv("MSTODO_TOKEN", SECRET)
    assert errors(settings, copy.deepcopy(site_settings.TASKSYNC)) == []


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("pulls",), {}, "TASKSYNC['pulls']: unknown key"),
        (
            ("providers", "mstodo", "tokn"),
            "x",
            "TASKSYNC['providers']['mstodo']: unknown key `tokn`",
        ),
        (
            ("providers", "mstodo", "kind"),
            "trello",
            "TASKSYNC['providers']['mstodo']: kind: unknown provider `trello`",
        ),
        (
            ("providers", "mstodo", "base_url"),
            "ftp://x",
            "TASKSYNC['providers']['mstodo']: base_url",
        ),
        (
            ("providers", "mstodo", "refresher"),
            "no.such.refresh",
            "['mstodo']['refresher']: cannot import",
        ),
        (
            ("providers", "todo"),
            {"kind": "mstodo", "base_url": "http://x", "token": "t"},
            "name it so",
        ),
        (
            ("providers", "erp"),
            {"class": "workorders.journal.Nope"},
            "['erp']['class']: cannot import",
        ),
        (
            ("targets", 0, "kind"),
            "trello",
            "TASKSYNC['targets'][0]: targets: unknown value `trello`",
        ),
        (("targets", 0, "colour"), "red", "TASKSYNC['targets'][0]: unknown key `colour`"),
        (("pull", "mstodo", "every"), 5, "TASKSYNC['pull']['mstodo']: unknown key `every`"),
        (("pull", "mstodo", "interval_ms"), 0, "TASKSYNC['pull']['mstodo']: interval_ms"),
        (("pull", "erp"), {"scope": "x"}, "TASKSYNC['pull']['erp']: no provider `erp`"),
        (("worker", "lease"), 5, "TASKSYNC['worker']['lease']: unknown key"),
        (("worker", "lease_ms"), 0, "TASKSYNC['worker']['lease_ms']: "),
    ],
)
def test_a_bad_value_is_an_error_naming_its_key(
    settings: Any, path: tuple[Any, ...], value: Any, message: str
) -> None:
    found = errors(settings, with_(path, value))
    assert any(m.startswith("tasksync.E001") and message in m for m in found), found
    assert all(SECRET not in m for m in found)


def test_settings_of_the_older_layout_are_refused_or_flagged(settings: Any) -> None:
    settings.TASKSYNC_WORKER_LEASE_MS = 5
    settings.TASKSYNC_TARGETS = [{"name": "mstodo", "kind": "nope"}]
    found = errors(settings, {})
    lease = 'tasksync.E002 TASKSYNC_WORKER_LEASE_MS: moved to TASKSYNC["worker"]["lease_ms"]'
    assert lease in found
    assert any(m.startswith("tasksync.W002 TASKSYNC_TARGETS") for m in found)
    assert any(m.startswith("tasksync.E001 TASKSYNC_TARGETS[0]: ") for m in found), found


def test_the_worker_refuses_bad_settings_naming_the_key(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MSTODO_TOKEN", raising=False)
    settings.TASKSYNC = copy.deepcopy(site_settings.TASKSYNC)
    with pytest.raises(CommandError, match=r"\['token_env'\]: `MSTODO_TOKEN` is not set"):
        call_command("tasksync_worker", "--until-idle", stdout=StringIO())
    settings.TASKSYNC = with_(("targets", 0, "name"), "erp")
    with pytest.raises(CommandError, match=r"TASKSYNC\['targets'\]\[0\]: no provider `erp`"):
        call_command("tasksync_worker", "--until-idle", stdout=StringIO())
    settings.TASKSYNC = with_(("worker", "lease_ms"), "soon")
    with pytest.raises(CommandError, match=r"TASKSYNC\['worker'\]\['lease_ms'\]: invalid type"):
        call_command("tasksync_worker", "--until-idle", stdout=StringIO())
