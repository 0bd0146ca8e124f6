from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrganizationsConfig(AppConfig):
    name = "careboard.organizations"
    label = "organizations"
    verbose_name = _("Organisations")
    default_auto_field = "django.db.models.BigAutoField"
