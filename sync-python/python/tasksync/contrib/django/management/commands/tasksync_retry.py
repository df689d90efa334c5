"""``manage.py tasksync_retry JOB_ID [--discard]``: puts a dead job back in the queue (or
discards it). A job with a newer intent for its task and target is superseded instead."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

import tasksync
from tasksync.contrib.django.store import DjangoQueueStore


class Command(BaseCommand):
    help = "Retry (or --discard) a dead sync job."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("job_id")
        parser.add_argument("--discard", action="store_true")
        parser.add_argument("--actor", default="manage.py")

    def handle(self, *args: Any, **options: Any) -> None:
        queue = tasksync.JobQueue(DjangoQueueStore())
        try:
            if options["discard"]:
                job = queue.discard(options["job_id"], actor=options["actor"])
            else:
                job = queue.requeue(options["job_id"], actor=options["actor"])
        except tasksync.TasksyncError as e:
            raise CommandError(str(e)) from e
        self.stdout.write(f"job {job.id} is now {job.state}")
