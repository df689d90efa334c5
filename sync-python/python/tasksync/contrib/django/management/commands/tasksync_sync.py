"""``manage.py tasksync_sync SCOPE PATH [--source S] [--yes] [--json]``: previews a sync of a
scope from a folder of Markdown task files (the core's folder source, ``tasksync.FolderSource``:
every ``*.md`` file below PATH, checklists and front matter included) or from a JSON listing
file, and executes it with ``--yes``. Files the folder source skipped are listed as warnings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

import tasksync
from tasksync.contrib.django.store import DjangoQueueStore


def read_json(path: Path) -> dict[str, Any]:
    """A JSON listing file: a listing object, or a list of items (a complete listing)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if isinstance(data, list):
        return {"source": "files", "complete": True, "items": data}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a listing object or a list of items")
    return data


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
            if path.is_dir():
                listing, warnings = tasksync.FolderSource(path, options["source"]).read_report()
                for warning in warnings:
                    self.stderr.write(f"warning: {json.dumps(warning)}")
            else:
                listing = read_json(path)
            engine = tasksync.SyncEngine(DjangoQueueStore())
            plan = engine.preview(options["scope"], listing)
            if options["json"]:
                self.stdout.write(plan.to_json())
            else:
                self.stdout.write(
                    f"{len(listing['items'])} tasks read; plan for `{plan.scope}`: "
                    f"{json.dumps(plan.counts)}"
                )
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
