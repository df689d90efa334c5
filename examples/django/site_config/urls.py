"""URLs: the admin and the work-order sync and task-status endpoints."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("workorders.urls")),
]
