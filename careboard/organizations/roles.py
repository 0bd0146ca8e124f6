"""Roles and what each may do: the one declaration of the role rules.

Every permission check in the API asks ``allows(role, capability)``; nothing else in the code
compares role names. The matrix is tested cell by cell in ``tests/test_roles.py``.
"""

from __future__ import annotations

from enum import StrEnum

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    PHYSICIAN = "physician", _("Physician")
    NURSE = "nurse", _("Nurse")
    THERAPIST = "therapist", _("Therapist")
    VIEWER = "viewer", _("Viewer")


class Capability(StrEnum):
    ORGANIZATION_VIEW = "organization.view"
    ORGANIZATION_MANAGE = "organization.manage"
    WARD_VIEW = "ward.view"
    WARD_MANAGE = "ward.manage"
    MEMBERSHIP_VIEW = "membership.view"
    MEMBERSHIP_MANAGE = "membership.manage"
    INVITATION_MANAGE = "invitation.manage"


_ALL = frozenset(Role)

RULES: dict[Capability, frozenset[Role]] = {
    Capability.ORGANIZATION_VIEW: _ALL,
    Capability.ORGANIZATION_MANAGE: frozenset({Role.ADMIN}),
    Capability.WARD_VIEW: _ALL,
    Capability.WARD_MANAGE: frozenset({Role.ADMIN}),
    # Who works here (names, e-mails, roles) is the admins' business.
    Capability.MEMBERSHIP_VIEW: frozenset({Role.ADMIN}),
    Capability.MEMBERSHIP_MANAGE: frozenset({Role.ADMIN}),
    Capability.INVITATION_MANAGE: frozenset({Role.ADMIN}),
}


def allows(role: str | None, capability: Capability) -> bool:
    """Whether ``role`` grants ``capability``. An unknown or missing role grants nothing."""
    if role is None:
        return False
    return role in RULES[capability]


def roles_with(capability: Capability) -> frozenset[Role]:
    """The roles that grant ``capability``."""
    return RULES[capability]
