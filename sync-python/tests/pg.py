"""Fresh PostgreSQL databases for the tests: each one is created on DATABASE_URL's server
(default ``postgres://postgres@127.0.0.1:5432/postgres``) under a random name and dropped
(``WITH (FORCE)``) when the test is done. Only databases made here are ever dropped."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import psycopg

SERVER_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")


def _execute(sql: str) -> None:
    with psycopg.connect(SERVER_URL, autocommit=True) as db:
        db.execute(sql.encode())


def url_of(name: str) -> str:
    """The URL of database ``name`` on the test server."""
    parts = urlsplit(SERVER_URL)
    return urlunsplit(parts._replace(path="/" + name))


def create_database() -> str:
    """A new, empty database; returns its URL."""
    name = "tasksync_py_" + secrets.token_hex(6)
    _execute(f'CREATE DATABASE "{name}"')  # a generated name, never input
    return url_of(name)


def drop_database(url: str) -> None:
    """Drops a database ``create_database`` made (its open connections are closed)."""
    name = urlsplit(url).path.lstrip("/")
    assert name.startswith("tasksync_py_"), f"not a test database: {name}"
    _execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Databases:
    """Makes databases on demand and drops every one of them at the end (see ``databases``)."""

    def __init__(self) -> None:
        self.urls: list[str] = []

    def new(self) -> str:
        url = create_database()
        self.urls.append(url)
        return url

    def drop_all(self) -> None:
        """Drops every one, each even if dropping another failed (then raises the first)."""
        failures: list[Exception] = []
        for url in self.urls:
            try:
                drop_database(url)
            except Exception as e:
                failures.append(e)
        self.urls.clear()
        if failures:
            raise failures[0]


@contextmanager
def databases() -> Iterator[Databases]:
    """Databases made inside the block, all dropped when it ends (also on failure)."""
    made = Databases()
    try:
        yield made
    finally:
        made.drop_all()
