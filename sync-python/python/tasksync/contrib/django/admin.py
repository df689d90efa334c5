"""Admin registration: read-mostly lists of tasks, jobs, runs and the audit log."""

from __future__ import annotations

from django.contrib import admin

from .models import AuditLog, HubTask, ScopeVersion, SyncHistoryItem, SyncHistoryRun, SyncJob


@admin.register(HubTask)
class HubTaskAdmin(admin.ModelAdmin):
    list_display = ("id", "scope", "source", "external_id", "title", "status", "version")
    list_filter = ("status", "source", "kind")
    search_fields = ("id", "external_id", "title", "scope")


@admin.register(ScopeVersion)
class ScopeVersionAdmin(admin.ModelAdmin):
    list_display = ("scope", "version")


@admin.register(SyncJob)
class SyncJobAdmin(admin.ModelAdmin):
    list_display = ("job_id", "task_id", "target", "to_status", "state", "attempts", "run_at")
    list_filter = ("state", "target")
    search_fields = ("job_id", "task_id")


@admin.register(SyncHistoryRun)
class SyncHistoryRunAdmin(admin.ModelAdmin):
    list_display = ("id", "kind", "scope", "status", "started_at")
    list_filter = ("kind", "status")


@admin.register(SyncHistoryItem)
class SyncHistoryItemAdmin(admin.ModelAdmin):
    list_display = ("run_id", "seq")


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    list_display = ("id", "at", "entity_type", "entity_id")
    list_filter = ("entity_type",)
