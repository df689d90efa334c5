"""The PostgreSQL store from Python, on the machine's server (DATABASE_URL): the core's task,
job, session and history store suites through the binding (each case on a fresh database),
one database seen by two store objects (tasks, jobs, sessions, history), a store's history on
its own connections, and a URL's password kept out of errors and reprs."""

from __future__ import annotations

from typing import Any

import pytest
import tasksync
from pg import Databases, databases, url_of

SMALL_POOL = 2


def fresh(made: Databases) -> tasksync.PostgresStore:
    return tasksync.PostgresStore(made.new(), pool_size=SMALL_POOL)


def listing(n: int) -> dict[str, Any]:
    items = [
        {"external_id": f"e{i}", "kind": "task", "title": f"T{i}", "status": "pending"}
        for i in range(n)
    ]
    return {"source": "mstodo", "items": items, "complete": True}


def test_the_postgres_store_passes_the_task_store_suite() -> None:
    with databases() as made:
        assert tasksync.run_store_conformance(lambda: fresh(made)) == []


def test_the_postgres_store_passes_the_job_store_suite() -> None:
    with databases() as made:
        assert tasksync.run_job_store_conformance(lambda: fresh(made)) == []


def test_the_postgres_store_passes_the_session_store_suite() -> None:
    with databases() as made:
        assert tasksync.run_session_store_conformance(lambda: fresh(made)) == []


def test_the_postgres_history_stores_pass_the_history_store_suite() -> None:
    with databases() as made:
        assert (
            tasksync.run_history_store_conformance(
                lambda: tasksync.PostgresHistoryStore(made.new(), pool_size=SMALL_POOL)
            )
            == []
        )
        assert tasksync.run_history_store_conformance(lambda: fresh(made).history()) == []


def test_two_store_objects_on_one_database_see_the_same_hub(pg_url: str) -> None:
    clock = tasksync.ManualClock(1_000)
    first = tasksync.PostgresStore(pg_url)
    engine = tasksync.SyncEngine(first, clock=clock)
    engine.execute(engine.preview("wo-1", listing(2)), confirmed=True)
    task_id = tasksync.hub_id("mstodo", "e0")
    targets = [{"name": "mstodo", "kind": "ms_todo"}]
    job = tasksync.StatusService(first, targets=targets, clock=clock).change_status(
        task_id, "completed"
    )
    tasksync.SessionEngine(first, clock=clock).create("s1", [{"id": "a", "name": "A"}])

    second = tasksync.PostgresStore(pg_url)
    # The execute and the status change each moved the scope on.
    assert second.scope_version("wo-1") == first.scope_version("wo-1") == 2
    got = second.get(task_id)
    assert got is not None and got["status"] == "completed"
    assert len(second.snapshot("wo-1")["tasks"]) == 2
    queued = tasksync.JobQueue(second, clock=clock).job(job.jobs[0]["id"])
    assert queued is not None and queued.state == "pending"
    assert tasksync.SessionEngine(second, clock=clock).get("s1").status == "created"
    # A plan made on one object is stale on the other once the scope moved on.
    stale = tasksync.SyncEngine(second, clock=clock).preview("wo-1", listing(3))
    engine.execute(engine.preview("wo-1", listing(4)), confirmed=True)
    with pytest.raises(tasksync.StalePlanError):
        tasksync.SyncEngine(second, clock=clock).execute(stale, confirmed=True)


def test_history_written_on_a_store_reads_back_through_the_url(pg_url: str) -> None:
    store = tasksync.PostgresStore(pg_url)
    history = tasksync.History(store.history())
    history.start()
    engine = tasksync.SyncEngine(store, history=history)
    engine.execute(engine.preview("wo-1", listing(2)), confirmed=True)
    history.close()
    assert history.stats()["lost"] == 0
    reader = tasksync.History(tasksync.PostgresHistoryStore(pg_url))
    runs, _ = reader.runs()
    assert [r.kind for r in runs] == ["execute", "preview"]
    items, _ = reader.items(runs[0].id)
    assert len(items) == 2
    assert "password" not in repr(store.history())


def test_the_password_of_the_url_never_shows(pg_url: str) -> None:
    secret = "s3cr3t-Pa55word"
    # Trust authentication ignores the password, so this one connects.
    with_password = pg_url.replace("postgres@", f"postgres:{secret}@", 1)
    assert secret in with_password
    store = tasksync.PostgresStore(with_password)
    assert secret not in repr(store)
    assert secret not in repr(tasksync.PostgresHistoryStore(with_password))
    # Nothing listens on port 1: the connect fails, and the error does not carry the password.
    unreachable = f"postgres://postgres:{secret}@127.0.0.1:1/tasksync"
    for make in (tasksync.PostgresStore, tasksync.PostgresHistoryStore):
        with pytest.raises(tasksync.TasksyncError) as err:
            make(unreachable)
        assert secret not in str(err.value) and secret not in repr(err.value)
        assert err.value.code == "store"


def test_a_bad_url_is_refused_with_a_typed_error() -> None:
    with pytest.raises(tasksync.TasksyncError) as err:
        tasksync.PostgresStore("not a url at all")
    assert err.value.code in ("invalid_input", "store")
    with pytest.raises(tasksync.TasksyncError):
        tasksync.PostgresStore(url_of("tasksync_py_never_created"))
