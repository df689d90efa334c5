"""Settings of the example project.

``TASKSYNC_DB=postgres`` uses PostgreSQL from ``DATABASE_URL`` (default
``postgres://postgres@127.0.0.1:5432/postgres``); otherwise SQLite in ``db.sqlite3`` (or
``TASKSYNC_SQLITE``). The tests' database is ``tasksync_test_django`` (or
``TASKSYNC_TEST_DATABASE``), created and dropped by the run. SQLite uses ``BEGIN IMMEDIATE``
transactions: there they serialise writers, as ``select_for_update()`` does on PostgreSQL.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "example-only-not-secret")
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
ROOT_URLCONF = "site_config.urls"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
STATIC_URL = "static/"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "tasksync.contrib.django",
    "workorders",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.request",
            ]
        },
    }
]


def _database() -> dict[str, Any]:
    if os.environ.get("TASKSYNC_DB") == "postgres":
        url = urlparse(
            os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
        )
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": url.path.lstrip("/") or "postgres",
            "USER": url.username or "postgres",
            "PASSWORD": url.password or "",
            "HOST": url.hostname or "127.0.0.1",
            "PORT": str(url.port or 5432),
            # Two checkouts testing on one server at once set their own name.
            "TEST": {"NAME": os.environ.get("TASKSYNC_TEST_DATABASE", "tasksync_test_django")},
        }
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("TASKSYNC_SQLITE", str(BASE_DIR / "db.sqlite3")),
        "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
        # A file, not Django's default shared-cache memory database: there a background
        # writer (the history pump's thread) gets table locks ("database table is locked")
        # instead of waiting its turn.
        "TEST": {
            "NAME": os.environ.get(
                "TASKSYNC_TEST_SQLITE",
                os.path.join(tempfile.gettempdir(), f"tasksync_test_django_{os.getpid()}.sqlite3"),
            )
        },
    }


DATABASES = {"default": _database()}

# tasksync: Microsoft To Do as a target (completing a hub task completes it there) and a
# scheduled pull of one To Do list into the hub scope `inbox`. The URL and token come from the
# environment; the token is read by `tasksync_worker` and never shown.
TASKSYNC: dict[str, Any] = {
    "providers": {
        "mstodo": {
            "kind": "mstodo",
            "base_url": os.environ.get("MSTODO_URL", "https://graph.microsoft.com/v1.0"),
            "token_env": "MSTODO_TOKEN",
        },
    },
    "targets": [{"name": "mstodo", "kind": "ms_todo", "max_attempts": 3}],
    "pull": {
        "mstodo": {"scope": "inbox", "provider_scope": os.environ.get("MSTODO_LIST", "list-1")},
    },
}
