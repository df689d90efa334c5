"""``settings.TASKSYNC``: the providers, targets and scheduled pulls of a project.

.. code-block:: python

    TASKSYNC = {
        "providers": {
            # A built-in provider: a ProviderConfig (kind mstodo | connectwise | processplan |
            # azure-devops | caldav, base_url, token or user + password, timeout_ms,
            # rate_limit, max_wait_ms; client_id, api_version, project_route for ConnectWise).
            # A secret may be read from the environment instead: token_env / password_env.
            # refresher: the dotted path of a callable (sync or async) returning a new token.
            "mstodo": {"kind": "mstodo", "base_url": "...", "token_env": "MSTODO_TOKEN"},
            # A provider of your own: the dotted path of a class or factory called with NAME.
            "erp": {"class": "myproject.providers.ErpProvider"},
        },
        # Where status changes are pushed (the core's targets); each needs a provider NAME.
        "targets": [{"name": "mstodo", "kind": "ms_todo", "max_attempts": 3}],
        # Scheduled pulls (the core's PullConfig: scope, provider_scope, policy, rule,
        # interval_ms), run by ``tasksync_worker``; "provider" defaults to the pull's NAME.
        "pull": {"mstodo": {"scope": "inbox", "provider_scope": "list-1"}},
        # The worker's lease length in ms (default: the core's).
        "worker": {"lease_ms": 30000},
    }

A built-in provider serves the target named like it (``mstodo``, ``connectwise``,
``processplan``, ``azure_devops``, ``caldav``), so its NAME is that name. Every value is
checked by the core; :mod:`tasksync.contrib.django.checks` reports what is wrong at startup,
naming the key (``TASKSYNC["providers"]["mstodo"]["base_url"]: ...``). Secrets are never
part of a message.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string

import tasksync

SECTIONS = ("providers", "targets", "pull", "worker")
WORKER_KEYS = ("lease_ms",)
# Keys of a provider entry that are Django's, not the core's ProviderConfig.
OWN_KEYS = ("class", "refresher", "token_env", "password_env")
BUILTIN_NAMES = {
    "mstodo": "mstodo",
    "connectwise": "connectwise",
    "processplan": "processplan",
    "azure-devops": "azure_devops",
    "azure_devops": "azure_devops",
    "caldav": "caldav",
}


class SettingsError(Exception):
    """A bad ``settings.TASKSYNC`` value; the message starts with the key."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"{key}: {message}")
        self.key = key


def key(*parts: str | int) -> str:
    """``TASKSYNC["providers"]["mstodo"]`` for ``("providers", "mstodo")``."""
    return "TASKSYNC" + "".join(f"[{p!r}]" if isinstance(p, str) else f"[{p}]" for p in parts)


def _core_message(err: Exception) -> str:
    text = str(err)
    for prefix in ("invalid input: ", "provider config: ", "worker config: ", "invalid input: "):
        text = text.removeprefix(prefix)
    return text


def section(name: str) -> Any:
    """A section of ``settings.TASKSYNC`` (unknown sections and keys refused)."""
    raw = getattr(settings, "TASKSYNC", {})
    if not isinstance(raw, Mapping):
        raise SettingsError("TASKSYNC", "must be a dict")
    for k in raw:
        if k not in SECTIONS:
            raise SettingsError(key(k), f"unknown key; known keys: {', '.join(SECTIONS)}")
    default: Any = [] if name == "targets" else {}
    value = raw.get(name, default)
    if name == "targets":
        if not isinstance(value, list):
            raise SettingsError(key(name), "must be a list of targets")
    elif not isinstance(value, Mapping):
        raise SettingsError(key(name), "must be a dict")
    return value


def targets() -> list[dict[str, Any]]:
    """``TASKSYNC["targets"]`` (or, without it, the older ``TASKSYNC_TARGETS``), checked by
    the core."""
    value = section("targets")
    where = key("targets")
    raw = getattr(settings, "TASKSYNC", {})
    if "targets" not in raw and hasattr(settings, "TASKSYNC_TARGETS"):
        value, where = settings.TASKSYNC_TARGETS, "TASKSYNC_TARGETS"
        if not isinstance(value, list):
            raise SettingsError(where, "must be a list of targets")
    for i, target in enumerate(value):
        try:
            tasksync.StatusService(tasksync.MemoryStore(), targets=[target])
        except (tasksync.TasksyncError, TypeError) as e:
            raise SettingsError(f"{where}[{i}]", _core_message(e)) from e
    return [dict(t) for t in value]


def worker_config() -> dict[str, Any]:
    """``TASKSYNC["worker"]`` (only ``lease_ms``; the core checks its value)."""
    value = section("worker")
    for k in value:
        if k not in WORKER_KEYS:
            raise SettingsError(
                key("worker", k), f"unknown key; known keys: {', '.join(WORKER_KEYS)}"
            )
    if "lease_ms" in value:
        try:
            tasksync.Worker(tasksync.MemoryStore(), id="check", lease_ms=value["lease_ms"])
        except (tasksync.TasksyncError, TypeError) as e:
            raise SettingsError(key("worker", "lease_ms"), _core_message(e)) from e
    return dict(value)


def _import(where: str, path: Any) -> Callable[..., Any]:
    if not isinstance(path, str):
        raise SettingsError(where, "must be a dotted path (a string)")
    try:
        obj = import_string(path)
    except ImportError as e:
        raise SettingsError(where, f"cannot import `{path}`: {e}") from e
    if not callable(obj):
        raise SettingsError(where, f"`{path}` is not callable")
    return obj  # type: ignore[no-any-return]


def _secret(name: str, entry: Mapping[str, Any], field: str, strict: bool) -> str | None:
    """The value of ``field`` or of the variable ``field_env`` names (never shown)."""
    env_key = f"{field}_env"
    if env_key not in entry:
        return None
    if field in entry:
        raise SettingsError(
            key("providers", name, env_key), f"give `{field}` or `{env_key}`, not both"
        )
    var = entry[env_key]
    if not isinstance(var, str) or not var:
        raise SettingsError(key("providers", name, env_key), "must name an environment variable")
    value = os.environ.get(var)
    if value is None:
        if strict:
            raise SettingsError(key("providers", name, env_key), f"`{var}` is not set")
        return "unset-placeholder"
    return value


@dataclass
class ProviderEntry:
    """One ``TASKSYNC["providers"]`` entry, checked; ``build()`` makes the provider."""

    name: str
    build: Callable[[], Any]


def provider_entry(name: str, entry: Any, strict: bool = True) -> ProviderEntry:
    """Checks entry ``name`` (``strict=False``: an unset ``*_env`` variable is not an error)
    and returns how to build it."""
    where = key("providers", name)
    if not isinstance(entry, Mapping):
        raise SettingsError(where, "must be a dict")
    if "class" in entry:
        extra = [k for k in entry if k != "class"]
        if extra:
            raise SettingsError(key("providers", name, extra[0]), "unknown key beside `class`")
        factory = _import(key("providers", name, "class"), entry["class"])
        return ProviderEntry(name, lambda: factory(name))
    config = {k: v for k, v in entry.items() if k not in OWN_KEYS}
    expected = BUILTIN_NAMES.get(str(config.get("kind")))
    if expected is not None and expected != name:
        raise SettingsError(
            where,
            f"a built-in `{config['kind']}` provider serves the target `{expected}`; name it so",
        )
    for field in ("token", "password"):
        value = _secret(name, entry, field, strict)
        if value is not None:
            config[field] = value
    refresher = None
    if "refresher" in entry:
        refresher = _import(key("providers", name, "refresher"), entry["refresher"])
    try:
        tasksync.Provider.builtin(config, refresher)
    except (tasksync.TasksyncError, TypeError) as e:
        raise SettingsError(where, _core_message(e)) from e
    return ProviderEntry(name, lambda: tasksync.Provider.builtin(config, refresher))


def providers(strict: bool = True) -> dict[str, ProviderEntry]:
    """Every ``TASKSYNC["providers"]`` entry, checked."""
    return {name: provider_entry(name, e, strict) for name, e in section("providers").items()}


@dataclass
class PullEntry:
    """One ``TASKSYNC["pull"]`` entry: the provider it lists and the core's PullConfig."""

    name: str
    provider: str
    config: dict[str, Any]


def pulls() -> list[PullEntry]:
    """Every ``TASKSYNC["pull"]`` entry; the provider it names must be configured."""
    known = section("providers")
    out: list[PullEntry] = []
    for name, entry in section("pull").items():
        if not isinstance(entry, Mapping):
            raise SettingsError(key("pull", name), "must be a dict")
        provider = entry.get("provider", name)
        if provider not in known:
            raise SettingsError(
                key("pull", name, "provider") if "provider" in entry else key("pull", name),
                f"no provider `{provider}` in TASKSYNC['providers']",
            )
        config = {k: v for k, v in entry.items() if k != "provider"}
        out.append(PullEntry(name, str(provider), config))
    return out


def check_pull(entry: PullEntry, engine: Any, provider: Any) -> Any:
    """The core's ``Puller`` of ``entry`` (its PullConfig checked by the core)."""
    try:
        return tasksync.Puller(engine, provider, entry.config)
    except (tasksync.TasksyncError, TypeError) as e:
        raise SettingsError(key("pull", entry.name), _core_message(e)) from e
