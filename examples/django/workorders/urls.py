"""The endpoints of the work-order sync and of completing a task."""

from django.urls import path

from . import views

urlpatterns = [
    path("work-orders/<int:pk>/sync/preview", views.sync_preview),
    path("work-orders/<int:pk>/sync/execute", views.sync_execute),
    path("work-orders/<int:pk>/sync/needed", views.sync_needed),
    path("tasks/<str:task_id>/status", views.change_status),
    path("tasks/<str:task_id>/sync-status", views.sync_status),
]
