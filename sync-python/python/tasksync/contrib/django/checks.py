"""System checks of ``settings.TASKSYNC`` (run by ``manage.py check``, ``migrate``,
``runserver`` and every tasksync command): each problem is one error naming its key.

``tasksync.E001``: a bad value; ``tasksync.E002``: a setting of an older layout that is no
longer read (``TASKSYNC_PROVIDERS``, ``TASKSYNC_WORKER_LEASE_MS``); ``tasksync.W001``: a
``*_env`` variable that is not set in this process (only the worker needs it);
``tasksync.W002``: ``TASKSYNC_TARGETS``, still read when ``TASKSYNC["targets"]`` is absent.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks

import tasksync

from . import conf

LEGACY = {
    "TASKSYNC_PROVIDERS": 'TASKSYNC["providers"] (entries {"class": DOTTED.PATH})',
    "TASKSYNC_WORKER_LEASE_MS": 'TASKSYNC["worker"]["lease_ms"]',
}


def _error(err: conf.SettingsError) -> checks.CheckMessage:
    return checks.Error(str(err), id="tasksync.E001", obj=err.key)


@checks.register("tasksync")
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    found: list[checks.CheckMessage] = []
    for old, new in LEGACY.items():
        if hasattr(settings, old):
            found.append(checks.Error(f"{old}: moved to {new}", id="tasksync.E002", obj=old))
    if hasattr(settings, "TASKSYNC_TARGETS"):
        found.append(
            checks.Warning(
                'TASKSYNC_TARGETS: read while TASKSYNC["targets"] is absent; move it there',
                id="tasksync.W002",
                obj="TASKSYNC_TARGETS",
            )
        )
    try:
        conf.section("targets")
    except conf.SettingsError as e:
        return [*found, _error(e)]
    for part in (conf.targets, conf.worker_config):
        try:
            part()
        except conf.SettingsError as e:
            found.append(_error(e))
    built: dict[str, Any] = {}
    for name, entry in conf.section("providers").items():
        try:
            built[name] = conf.provider_entry(name, entry, strict=False)
            conf.provider_entry(name, entry, strict=True)
        except conf.SettingsError as e:
            if name in built:
                found.append(checks.Warning(str(e), id="tasksync.W001", obj=e.key))
            else:
                found.append(_error(e))
    try:
        pulls = conf.pulls()
    except conf.SettingsError as e:
        return [*found, _error(e)]
    engine = tasksync.SyncEngine(tasksync.MemoryStore())
    for pull in pulls:
        if pull.provider in built:
            try:
                conf.check_pull(pull, engine, built[pull.provider].build())
            except conf.SettingsError as e:
                found.append(_error(e))
    return found
