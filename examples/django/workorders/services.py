"""The engine and services over the Django stores (one per process; they are thread-safe)."""

from __future__ import annotations

from functools import cache

import tasksync
from tasksync.contrib.django import conf
from tasksync.contrib.django.store import DjangoQueueStore


@cache
def store() -> DjangoQueueStore:
    return DjangoQueueStore()


@cache
def engine() -> tasksync.SyncEngine:
    return tasksync.SyncEngine(store())


@cache
def status_service() -> tasksync.StatusService:
    return tasksync.StatusService(store(), targets=conf.targets())


@cache
def queue() -> tasksync.JobQueue:
    return tasksync.JobQueue(store())
