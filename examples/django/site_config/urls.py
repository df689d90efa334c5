"""URLs: the admin and the work-order (seed 002) and task-status (seed 001) endpoints."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("workorders.urls")),
]
