"""The example project end to end over real HTTP (pytest-django's live server): the work-order
sync's preview -> execute -> needed, a stale plan (409) and bad input (400); the hub's status change
-> queued job, and 422 (the push itself: ``test_mstodo_flow.py``)."""

from __future__ import annotations

import tasksync

from conftest import Http
from workorders import services
from workorders.models import WorkOrder

STEPS = [{"id": "cut", "title": "Cut"}, {"id": "weld", "title": "Weld"}]


def test_preview_execute_then_no_sync_needed(http: Http) -> None:
    order = WorkOrder.objects.create(title="WO-1", steps=STEPS)
    base = f"/work-orders/{order.pk}/sync"
    assert http.call("GET", f"{base}/needed") == (200, {"sync_needed": True})
    status, plan = http.call("POST", f"{base}/preview")
    assert status == 200 and plan["counts"]["creates"] == 2
    assert services.store().snapshot(order.scope)["tasks"] == []  # preview writes nothing
    status, report = http.call("POST", f"{base}/execute", {"plan": plan, "confirmed": True})
    assert status == 200 and report["created"] == 2 and report["scope_version"] == 1
    titles = sorted(t["title"] for t in services.store().snapshot(order.scope)["tasks"])
    assert titles == ["Cut", "Weld"]
    assert http.call("GET", f"{base}/needed") == (200, {"sync_needed": False})


def test_a_stale_plan_is_refused_with_409(http: Http) -> None:
    order = WorkOrder.objects.create(title="WO-2", steps=STEPS)
    base = f"/work-orders/{order.pk}/sync"
    _, stale = http.call("POST", f"{base}/preview")
    order.steps = [*STEPS, {"id": "paint", "title": "Paint"}]
    order.save()
    _, fresh = http.call("POST", f"{base}/preview")
    assert http.call("POST", f"{base}/execute", {"plan": fresh, "confirmed": True})[0] == 200
    status, body = http.call("POST", f"{base}/execute", {"plan": stale, "confirmed": True})
    assert status == 409 and body["error"] == "stale_plan"
    assert len(services.store().snapshot(order.scope)["tasks"]) == 3


def test_bad_input_is_400_and_changes_nothing(http: Http) -> None:
    order = WorkOrder.objects.create(title="WO-3", steps=STEPS)
    base = f"/work-orders/{order.pk}/sync"
    _, plan = http.call("POST", f"{base}/preview")
    assert http.call("POST", f"{base}/execute", raw=b"{not json")[0] == 400
    assert http.call("POST", f"{base}/execute", {"plan": plan})[0] == 400  # not confirmed
    assert http.call("POST", f"{base}/execute", {"plan": "x", "confirmed": True})[0] == 400
    tampered = dict(plan, creates=plan["creates"][:1])
    status, _ = http.call("POST", f"{base}/execute", {"plan": tampered, "confirmed": True})
    assert status in (400, 409)
    assert services.store().scope_version(order.scope) == 0
    assert http.call("POST", "/work-orders/999999/sync/preview")[0] == 404


def seed_inbox() -> str:
    listing = {
        "source": "mstodo",
        "complete": True,
        "items": [{"external_id": "AAMk1", "kind": "task", "title": "Call", "status": "pending"}],
    }
    engine = services.engine()
    engine.execute(engine.preview("inbox", listing), confirmed=True)
    return tasksync.hub_id("mstodo", "AAMk1")


def test_status_change_queues_a_job(http: Http) -> None:
    task_id = seed_inbox()
    status, report = http.call(
        "POST", f"/tasks/{task_id}/status", {"status": "completed", "actor": "alice"}
    )
    assert status == 200 and [j["target"] for j in report["jobs"]] == ["mstodo"]
    assert services.store().get(task_id)["status"] == "completed"  # type: ignore[index]
    assert http.call("GET", f"/tasks/{task_id}/sync-status") == (
        200,
        {"task_id": task_id, "targets": {"mstodo": "pending"}},
    )


def test_an_invalid_transition_is_422(http: Http) -> None:
    task_id = seed_inbox()
    assert http.call("POST", f"/tasks/{task_id}/status", {"status": "completed"})[0] == 200
    status, body = http.call("POST", f"/tasks/{task_id}/status", {"status": "draft"})
    assert status == 422 and body["error"] == "invalid_transition"
    assert services.store().get(task_id)["status"] == "completed"  # type: ignore[index]
    assert http.call("POST", f"/tasks/{task_id}/status", {"status": 7})[0] == 400
    assert http.call("POST", "/tasks/nope/status", {"status": "completed"})[0] == 404
    assert http.call("GET", "/tasks/nope/sync-status")[0] == 404
