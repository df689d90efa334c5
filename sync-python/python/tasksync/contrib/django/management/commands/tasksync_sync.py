"""``manage.py tasksync_sync SCOPE PATH [--source S] [--yes]``: previews a sync of a scope from
a folder of Markdown task files or a JSON listing, and executes it with ``--yes``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

import tasksync
from tasksync.contrib.django.listing import read_listing
from tasksync.contrib.django.store import DjangoQueueStore


class Command(BaseCommand):
    help = "Preview (and with --yes execute) a sync of SCOPE from a Markdown folder or JSON file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("scope")
        parser.add_argument("path")
        parser.add_argument("--source", default="files", help="source name of a Markdown folder")
        parser.add_argument("--yes", action="store_true", help="execute the previewed plan")
        parser.add_argument("--json", action="store_true", help="print the plan as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        if not path.exists():
            raise CommandError(f"{path}: no such file or folder")
        try:
            listing = read_listing(path, options["source"])
            engine = tasksync.SyncEngine(DjangoQueueStore())
            plan = engine.preview(options["scope"], listing)
            if options["json"]:
                self.stdout.write(plan.to_json())
            else:
                self.stdout.write(f"plan for `{plan.scope}`: {json.dumps(plan.counts)}")
            if not options["yes"]:
                self.stdout.write("preview only; run again with --yes to execute")
                return
            report = engine.execute(plan, confirmed=True)
        except (ValueError, tasksync.TasksyncError) as e:
            raise CommandError(str(e)) from e
        self.stdout.write(
            f"executed: {report.created} created, {report.updated} updated, "
            f"{report.deleted} deleted; `{report.scope}` is at version {report.scope_version}"
        )
