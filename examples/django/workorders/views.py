"""JSON views. Work-order sync: preview (read-only) returns the plan; execute takes it back with
``confirmed: true`` under a row lock on the work order (409 when the scope moved on, 400 on bad
input); needed says whether the process and the tasks differ. Completing a task: a status
change writes the task and its sync jobs in one transaction (422 on a transition the rules
refuse)."""

from __future__ import annotations

import json
from typing import Any

import tasksync
from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from . import services
from .models import WorkOrder

# The core's error kinds as HTTP statuses.
_STATUS = {
    tasksync.InvalidInputError: 400,
    tasksync.NotConfirmedError: 400,
    tasksync.NotFoundError: 404,
    tasksync.StalePlanError: 409,
    tasksync.ConflictError: 409,
    tasksync.InvalidStateError: 409,
    tasksync.InvalidTransitionError: 422,
}


def _error(err: Exception, status: int) -> JsonResponse:
    code = getattr(err, "code", "invalid_input")
    return JsonResponse({"error": code, "message": str(err)}, status=status)


def _tasksync_error(err: tasksync.TasksyncError) -> JsonResponse:
    for kind, status in _STATUS.items():
        if isinstance(err, kind):
            return _error(err, status)
    return _error(err, 500)


def _body(request: HttpRequest) -> dict[str, Any]:
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError) as e:
        raise tasksync.InvalidInputError(f"the body is not JSON: {e}") from e
    if not isinstance(body, dict):
        raise tasksync.InvalidInputError("the body must be a JSON object")
    return body


@csrf_exempt
@require_POST
def sync_preview(request: HttpRequest, pk: int) -> JsonResponse:
    order = get_object_or_404(WorkOrder, pk=pk)
    try:
        plan = services.engine().preview(order.scope, order.listing())
    except tasksync.TasksyncError as e:
        return _tasksync_error(e)
    return JsonResponse(json.loads(plan.to_json()))


@csrf_exempt
@require_POST
def sync_execute(request: HttpRequest, pk: int) -> JsonResponse:
    try:
        body = _body(request)
        plan = body.get("plan")
        if not isinstance(plan, dict):
            raise tasksync.InvalidInputError("`plan` must be the plan object from preview")
        if body.get("confirmed") is not True:
            raise tasksync.NotConfirmedError("execute needs `confirmed: true`")
        with transaction.atomic():
            # Locks the work order against a concurrent process edit.
            order = get_object_or_404(WorkOrder.objects.select_for_update(), pk=pk)
            if plan.get("scope") != order.scope:
                raise tasksync.InvalidInputError("the plan is for another work order")
            report = services.engine().execute(json.dumps(plan), confirmed=True)
    except tasksync.TasksyncError as e:
        return _tasksync_error(e)
    return JsonResponse(report.to_dict())


@require_GET
def sync_needed(request: HttpRequest, pk: int) -> JsonResponse:
    order = get_object_or_404(WorkOrder, pk=pk)
    try:
        needed = services.engine().check_sync_needed(order.scope, order.listing())
    except tasksync.TasksyncError as e:
        return _tasksync_error(e)
    return JsonResponse({"sync_needed": needed})


@csrf_exempt
@require_POST
def change_status(request: HttpRequest, task_id: str) -> JsonResponse:
    try:
        body = _body(request)
        to = body.get("status")
        actor = body.get("actor")
        if not isinstance(to, str) or not (actor is None or isinstance(actor, str)):
            raise tasksync.InvalidInputError("`status` must be a string, `actor` a string")
        report = services.status_service().change_status(task_id, to, actor=actor)
    except tasksync.TasksyncError as e:
        return _tasksync_error(e)
    return JsonResponse(report.to_dict())


@require_GET
def sync_status(request: HttpRequest, task_id: str) -> JsonResponse:
    if services.store().get(task_id) is None:
        return JsonResponse({"error": "not_found", "message": f"no task `{task_id}`"}, status=404)
    return JsonResponse({"task_id": task_id, "targets": services.queue().sync_status(task_id)})
