from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BuilderConfig(AppConfig):
    """Exercise library, programs, assignments, the patient portal and adherence."""

    name = "careboard.builder"
    label = "builder"
    verbose_name = _("Program builder")
    default_auto_field = "django.db.models.BigAutoField"
