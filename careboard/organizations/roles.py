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
    PATIENT_VIEW = "patient.view"
    PATIENT_WRITE = "patient.write"
    ADMISSION_WRITE = "admission.write"
    ADMISSION_CLINICAL = "admission.clinical"
    OBSERVATION_RECORD = "observation.record"
    EXERCISE_VIEW = "exercise.view"
    EXERCISE_MANAGE = "exercise.manage"
    PROGRAM_VIEW = "program.view"
    PROGRAM_WRITE = "program.write"
    ASSIGNMENT_WRITE = "assignment.write"
    ACCESS_LOG_VIEW = "access_log.view"
    PATIENT_EXPORT = "patient.export"
    PATIENT_ERASE = "patient.erase"
    CONSENT_WRITE = "consent.write"


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
    # Everyone on staff may read patient records (each read is access-logged); viewers exist
    # for exactly that. Admins register patients (front desk) and answer GDPR requests.
    Capability.PATIENT_VIEW: _ALL,
    # Therapists register the outpatients they build programs for.
    Capability.PATIENT_WRITE: frozenset({Role.ADMIN, Role.PHYSICIAN, Role.NURSE, Role.THERAPIST}),
    # Admit, transfer, discharge: the ward's clinical staff.
    Capability.ADMISSION_WRITE: frozenset({Role.PHYSICIAN, Role.NURSE}),
    # Medical decisions on an admission: SpO2 scale 2, dengue phase, interval override.
    Capability.ADMISSION_CLINICAL: frozenset({Role.PHYSICIAN}),
    Capability.OBSERVATION_RECORD: frozenset({Role.PHYSICIAN, Role.NURSE}),
    Capability.EXERCISE_VIEW: _ALL,
    # The organisation's own library; the shared global library is read-only to everyone.
    Capability.EXERCISE_MANAGE: frozenset({Role.ADMIN, Role.THERAPIST}),
    Capability.PROGRAM_VIEW: _ALL,
    # Therapists build programs; physicians prescribe them too (e.g. post-operative).
    Capability.PROGRAM_WRITE: frozenset({Role.THERAPIST, Role.PHYSICIAN}),
    Capability.ASSIGNMENT_WRITE: frozenset({Role.THERAPIST, Role.PHYSICIAN}),
    # GDPR requests (who read the record, a copy of it, its erasure) are answered by the
    # organisation as controller, i.e. its admins; an erasure is irreversible.
    Capability.ACCESS_LOG_VIEW: frozenset({Role.ADMIN}),
    Capability.PATIENT_EXPORT: frozenset({Role.ADMIN}),
    Capability.PATIENT_ERASE: frozenset({Role.ADMIN}),
    # Consent is recorded by whoever the patient gives it to: the front desk or the clinician.
    Capability.CONSENT_WRITE: frozenset({Role.ADMIN, Role.PHYSICIAN, Role.NURSE, Role.THERAPIST}),
}


def allows(role: str | None, capability: Capability) -> bool:
    """Whether ``role`` grants ``capability``. An unknown or missing role grants nothing."""
    if role is None:
        return False
    return role in RULES[capability]


def roles_with(capability: Capability) -> frozenset[Role]:
    """The roles that grant ``capability``."""
    return RULES[capability]
