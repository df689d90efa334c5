"""``manage.py tasksync_worker [--http NAME=URL]... [--journal PATH] [--until-idle]``: runs the
worker over the Django queue store. Each target of ``settings.TASKSYNC_TARGETS`` needs a
provider: ``--http`` for that name, else the journal file when ``--journal`` is given."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

import tasksync
from tasksync.contrib.django.providers import HttpProvider, JournalProvider
from tasksync.contrib.django.store import DjangoQueueStore


class Command(BaseCommand):
    help = "Push queued status changes to their targets."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--http", action="append", default=[], metavar="NAME=URL")
        parser.add_argument("--journal", metavar="PATH")
        parser.add_argument("--until-idle", action="store_true", help="stop when nothing is due")
        parser.add_argument("--id", default="django-worker", help="the worker's lease owner id")
        parser.add_argument("--max-sleep-ms", type=int, default=1_000)

    def handle(self, *args: Any, **options: Any) -> None:
        providers = self._providers(options)
        store = DjangoQueueStore()
        worker = tasksync.Worker(store, providers=providers, id=options["id"])
        clock = tasksync.SystemClock()
        totals = {"claimed": 0, "succeeded": 0, "retried": 0, "dead": 0}
        try:
            while True:
                tick = worker.run_once()
                for key in totals:
                    totals[key] += int(getattr(tick, key))
                if tick.claimed:
                    continue
                wake = worker.next_wake()
                now = clock.now_ms()
                if options["until_idle"] and (wake is None or wake > now):
                    break
                wait = options["max_sleep_ms"] if wake is None else max(0, wake - now)
                time.sleep(min(wait, options["max_sleep_ms"]) / 1000)
        except KeyboardInterrupt:
            pass
        except tasksync.TasksyncError as e:
            raise CommandError(str(e)) from e
        self.stdout.write(" ".join(f"{k}={v}" for k, v in totals.items()))

    def _providers(self, options: dict[str, Any]) -> list[Any]:
        http: dict[str, str] = {}
        for spec in options["http"]:
            name, sep, url = spec.partition("=")
            if not sep or not name or not url:
                raise CommandError(f"--http {spec!r}: expected NAME=URL")
            http[name] = url
        providers: list[Any] = []
        for target in getattr(settings, "TASKSYNC_TARGETS", []):
            name = target["name"]
            if name in http:
                providers.append(HttpProvider(name, http[name]))
            elif options["journal"]:
                providers.append(JournalProvider(name, options["journal"]))
            else:
                raise CommandError(f"target `{name}` has no provider: pass --http or --journal")
        return providers
