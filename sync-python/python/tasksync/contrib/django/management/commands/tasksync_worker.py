"""``manage.py tasksync_worker [--provider NAME=DOTTED.PATH]... [--http NAME=URL]...
[--journal PATH] [--id ID] [--lease-ms MS] [--max-sleep-ms MS] [--until-idle]``: runs the worker
over the Django queue store.

Without ``--until-idle`` it runs the core's worker loop (``Worker.run``: batches while there is
work, lease heartbeats while provider calls are out, idle waits of at most ``--max-sleep-ms``)
until SIGINT or SIGTERM, which let the batch in flight finish; then it prints the totals. With
``--until-idle`` it stops as soon as nothing is due.

Each target of ``settings.TASKSYNC_TARGETS`` needs a provider, looked up in this order:
``--provider NAME=dotted.path`` (or ``settings.TASKSYNC_PROVIDERS = {NAME: "dotted.path"}``),
a class or factory of your own called with the target's name that returns a provider object
(``name``, ``list``, ``push``, ``refresh_token``); ``--http NAME=URL``; else the journal file
when ``--journal`` is given.

The worker's id (its lease owner) defaults to ``django-worker-<host>-<pid>``, unique per
process, so two workers never share leases; ``--lease-ms`` (default
``settings.TASKSYNC_WORKER_LEASE_MS``, else the core's default) is how long a claimed job stays
with this worker before another may take it over.
"""

from __future__ import annotations

import os
import signal
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.module_loading import import_string

import tasksync
from tasksync.contrib.django.providers import HttpProvider, JournalProvider
from tasksync.contrib.django.store import DjangoQueueStore

TOTALS = ("claimed", "succeeded", "retried", "dead")


def default_worker_id() -> str:
    """``django-worker-<host>-<pid>``: unique per running worker process."""
    return f"django-worker-{socket.gethostname()}-{os.getpid()}"


def pairs(flag: str, specs: list[str]) -> dict[str, str]:
    """``NAME=VALUE`` arguments of ``flag`` as a dict; a malformed one is a ``CommandError``."""
    out: dict[str, str] = {}
    for spec in specs:
        name, sep, value = spec.partition("=")
        if not sep or not name or not value:
            raise CommandError(f"{flag} {spec!r}: expected NAME=VALUE")
        out[name] = value
    return out


def own_provider(name: str, path: str) -> Any:
    """The provider the class or factory at the dotted ``path`` builds for target ``name``."""
    try:
        factory = import_string(path)
    except ImportError as e:
        raise CommandError(f"provider `{name}`: cannot import `{path}`: {e}") from e
    if not callable(factory):
        raise CommandError(f"provider `{name}`: `{path}` is not a class or a function")
    return factory(name)


@contextmanager
def stop_on_signals(stop: tasksync.StopToken) -> Iterator[None]:
    """SIGINT and SIGTERM stop ``stop`` (on the main thread; elsewhere nothing is installed)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    wanted = (signal.SIGINT, signal.SIGTERM)
    before = {s: signal.getsignal(s) for s in wanted}
    for s in wanted:
        signal.signal(s, lambda _signum, _frame: stop.stop())
    try:
        yield
    finally:
        for s, handler in before.items():
            signal.signal(s, handler)


def until_idle(
    worker: tasksync.Worker, max_sleep_ms: int, stop: tasksync.StopToken
) -> dict[str, int]:
    """Batches until nothing is due now (or ``stop`` is stopped); the totals."""
    totals = dict.fromkeys(TOTALS, 0)
    clock = tasksync.SystemClock()
    while not stop.stopped:
        tick = worker.run_once()
        for key in totals:
            totals[key] += int(getattr(tick, key))
        if tick.claimed:
            continue
        wake = worker.next_wake()
        now = clock.now_ms()
        if wake is None or wake > now:
            break
        stop.wait(min(max(0, wake - now), max_sleep_ms) / 1000)
    return totals


class Command(BaseCommand):
    help = "Push queued status changes to their targets."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--provider",
            action="append",
            default=[],
            metavar="NAME=DOTTED.PATH",
            help="a provider class (or factory) of your own for target NAME",
        )
        parser.add_argument("--http", action="append", default=[], metavar="NAME=URL")
        parser.add_argument("--journal", metavar="PATH")
        parser.add_argument("--until-idle", action="store_true", help="stop when nothing is due")
        parser.add_argument(
            "--id",
            default=None,
            help="the worker's lease owner id (default: django-worker-<host>-<pid>)",
        )
        parser.add_argument(
            "--lease-ms",
            type=int,
            default=None,
            help="how long a claimed job stays with this worker, in ms",
        )
        parser.add_argument(
            "--max-sleep-ms",
            type=int,
            default=1_000,
            help="the longest idle wait before the queue is looked at again, in ms",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        providers = self._providers(options)
        store = DjangoQueueStore()
        config: dict[str, Any] = {"id": options["id"] or default_worker_id()}
        lease_ms = options["lease_ms"]
        if lease_ms is None:
            lease_ms = getattr(settings, "TASKSYNC_WORKER_LEASE_MS", None)
        if lease_ms is not None:
            config["lease_ms"] = lease_ms
        config["poll_ms"] = options["max_sleep_ms"]
        try:
            worker = tasksync.Worker(store, providers=providers, **config)
            stop = tasksync.StopToken()
            with stop_on_signals(stop):
                if options["until_idle"]:
                    totals = until_idle(worker, options["max_sleep_ms"], stop)
                else:
                    report = worker.run(stop=stop)
                    totals = {k: int(getattr(report, k)) for k in TOTALS}
        except tasksync.TasksyncError as e:
            raise CommandError(str(e)) from e
        self.stdout.write(" ".join(f"{k}={v}" for k, v in totals.items()))

    def _providers(self, options: dict[str, Any]) -> list[Any]:
        own = {
            **getattr(settings, "TASKSYNC_PROVIDERS", {}),
            **pairs("--provider", options["provider"]),
        }
        http = pairs("--http", options["http"])
        providers: list[Any] = []
        for target in getattr(settings, "TASKSYNC_TARGETS", []):
            name = target["name"]
            if name in own:
                providers.append(own_provider(name, own[name]))
            elif name in http:
                providers.append(HttpProvider(name, http[name]))
            elif options["journal"]:
                providers.append(JournalProvider(name, options["journal"]))
            else:
                raise CommandError(
                    f"target `{name}` has no provider: pass --provider, --http or --journal"
                )
        return providers
