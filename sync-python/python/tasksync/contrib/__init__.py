"""Integrations of tasksync with host frameworks (``tasksync.contrib.django``)."""
