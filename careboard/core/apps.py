from __future__ import annotations

from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Cross-cutting API plumbing: problem details, schema, pagination, health checks."""

    name = "careboard.core"
    label = "core"
    default_auto_field = "django.db.models.BigAutoField"
