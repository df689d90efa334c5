"""Admin registration of work orders."""

from django.contrib import admin

from .models import WorkOrder

admin.site.register(WorkOrder)
