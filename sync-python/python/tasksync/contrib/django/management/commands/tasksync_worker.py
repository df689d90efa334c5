"""``manage.py tasksync_worker [--until-idle] [--no-pull] [--id ID] [--lease-ms MS]
[--max-sleep-ms MS] [--actor ACTOR] [--metrics]``: pushes queued status changes to their
targets and runs the scheduled pulls, all from ``settings.TASKSYNC`` (see
:mod:`tasksync.contrib.django.conf`).

Every target of ``TASKSYNC["targets"]`` is pushed through the provider of its name in
``TASKSYNC["providers"]``. Without ``--until-idle`` it runs the core's worker loop
(``Worker.run``: batches while there is work, lease heartbeats while provider calls are out,
idle waits of at most ``--max-sleep-ms``) and, on a thread each, every pull of
``TASKSYNC["pull"]`` (``Puller.run``, every ``interval_ms``), until SIGINT or SIGTERM, which let
the batch and the pulls in flight finish; then it prints the totals. With ``--until-idle``
each pull runs once, then the queue is worked until nothing is due. A held pull is kept for a
person (``Puller.held()``) and announced in the output and the log.

The worker's id (its lease owner) defaults to ``django-worker-<host>-<pid>``, unique per
process; ``--lease-ms`` (default ``TASKSYNC["worker"]["lease_ms"]``, else the core's) is how
long a claimed job stays with this worker before another may take it over. Pulls and their
history entries run as ``--actor`` (default ``tasksync_worker``).
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

import tasksync
from tasksync.contrib.django import conf
from tasksync.contrib.django.history import DjangoHistoryStore
from tasksync.contrib.django.store import DjangoQueueStore

TOTALS = ("claimed", "succeeded", "retried", "dead")
log = logging.getLogger("tasksync.contrib.django")


def default_worker_id() -> str:
    """``django-worker-<host>-<pid>``: unique per running worker process."""
    return f"django-worker-{socket.gethostname()}-{os.getpid()}"


class ThreadStore:
    """The queue store as the worker's threads use it: a call made off the main thread closes
    that thread's database connection afterwards (outside a transaction), since Django only
    closes the connections of request threads."""

    def __init__(self, inner: DjangoQueueStore) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        if not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                return attr(*args, **kwargs)
            finally:
                if threading.current_thread() is not threading.main_thread():
                    conn = connections[self._inner.using]
                    if not conn.in_atomic_block:
                        conn.close()

        return call


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
        for k in totals:
            totals[k] += int(getattr(tick, k))
        if tick.claimed:
            continue
        wake = worker.next_wake()
        now = clock.now_ms()
        if wake is None or wake > now:
            break
        stop.wait(min(max(0, wake - now), max_sleep_ms) / 1000)
    return totals


def _reason(reason: Any) -> str:
    """``too_many_deletes deletes=3 limit=0`` for a hold reason."""
    if not isinstance(reason, dict):
        return str(reason)
    rest = " ".join(f"{k}={v}" for k, v in reason.items() if k != "reason")
    return f"{reason.get('reason', '?')} {rest}".strip()


def describe(name: str, result: Any) -> str:
    """One line for a pull's result (its outcome and counts; never a credential)."""
    if isinstance(result, BaseException):
        return f"pull {name}: failed: {result}"
    outcome = str(result.get("outcome", "?"))
    if outcome == "executed":
        r = result.get("report") or {}
        return (
            f"pull {name}: executed ({r.get('created', 0)} created, {r.get('updated', 0)} "
            f"updated, {r.get('deleted', 0)} deleted)"
        )
    if outcome == "held":
        reasons = [_reason(r) for r in result.get("reasons", [])]
        return f"pull {name}: held for a person ({'; '.join(reasons)})"
    return f"pull {name}: {outcome}"


class Command(BaseCommand):
    help = "Push queued status changes to their targets and run the scheduled pulls."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--until-idle", action="store_true", help="stop when nothing is due")
        parser.add_argument("--no-pull", action="store_true", help="run no scheduled pull")
        parser.add_argument(
            "--id", default=None, help="the lease owner id (default: django-worker-<host>-<pid>)"
        )
        parser.add_argument(
            "--lease-ms", type=int, default=None, help="how long a claimed job stays, in ms"
        )
        parser.add_argument(
            "--max-sleep-ms", type=int, default=1_000, help="the longest idle wait, in ms"
        )
        parser.add_argument("--actor", default="tasksync_worker", help="who the pulls run as")
        parser.add_argument(
            "--metrics", action="store_true", help="print the worker's metrics at the end"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            providers = conf.providers()
            targets = conf.targets()
            lease_ms = options["lease_ms"]
            if lease_ms is None:
                lease_ms = conf.worker_config().get("lease_ms")
            pulls = [] if options["no_pull"] else conf.pulls()
        except conf.SettingsError as e:
            raise CommandError(str(e)) from e
        pushers = []
        for i, target in enumerate(targets):
            entry = providers.get(target["name"])
            if entry is None:
                raise CommandError(
                    f"{conf.key('targets', i)}: no provider `{target['name']}` in "
                    "TASKSYNC['providers']"
                )
            pushers.append(entry.build())
        store = ThreadStore(DjangoQueueStore())
        config: dict[str, Any] = {"id": options["id"] or default_worker_id()}
        if lease_ms is not None:
            config["lease_ms"] = lease_ms
        config["poll_ms"] = options["max_sleep_ms"]
        history = tasksync.History(DjangoHistoryStore())
        history.start()
        try:
            worker = tasksync.Worker(store, providers=pushers, **config)
            engine = tasksync.SyncEngine(store, history=history)
            pullers = [
                (p.name, conf.check_pull(p, engine, providers[p.provider].build())) for p in pulls
            ]
            stop = tasksync.StopToken()
            with stop_on_signals(stop):
                if options["until_idle"]:
                    for name, puller in pullers:
                        self._report(name, self._pull_once(puller, options["actor"]))
                    totals = until_idle(worker, options["max_sleep_ms"], stop)
                else:
                    threads = [self._pull_thread(n, p, stop, options["actor"]) for n, p in pullers]
                    report = worker.run(stop=stop)
                    stop.stop()
                    for thread in threads:
                        thread.join()
                    totals = {k: int(getattr(report, k)) for k in TOTALS}
        except conf.SettingsError as e:
            raise CommandError(str(e)) from e
        except tasksync.TasksyncError as e:
            raise CommandError(str(e)) from e
        finally:
            history.close()
        self.stdout.write(" ".join(f"{k}={v}" for k, v in totals.items()))
        if options["metrics"]:
            self.stdout.write(worker.metrics_text())

    def _pull_once(self, puller: Any, actor: str) -> Any:
        try:
            return puller.pull(actor={"user": actor})
        except tasksync.TasksyncError as e:
            return e

    def _report(self, name: str, result: Any) -> None:
        line = describe(name, result)
        if isinstance(result, BaseException):
            log.warning(line)
        elif result.get("outcome") == "held":
            log.info(line)
        self.stdout.write(line)

    def _pull_thread(
        self, name: str, puller: Any, stop: tasksync.StopToken, actor: str
    ) -> threading.Thread:
        def on_pull(result: Any) -> None:
            log.info(describe(name, result))

        def run() -> None:
            try:
                puller.run(stop=stop, actor={"user": actor}, on_pull=on_pull)
            finally:
                connections.close_all()

        thread = threading.Thread(target=run, name=f"tasksync-pull-{name}", daemon=True)
        thread.start()
        return thread
