"""The access log, consent records and erasure records.

The access log is append-only: one row per read of a patient's data (or of a ward's board),
written with one INSERT. It names the patient by id only, never by name, so that it can
outlive the patient's erasure without keeping anything that identifies them.
"""

from __future__ import annotations

import uuid
from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from careboard.organizations.models import Organization
from careboard.patients.models import Patient


class ImmutableRecordError(Exception):
    """Raised on any attempt to change or delete an access-log row."""


def _refuse(*args: Any, **kwargs: Any) -> NoReturn:
    raise ImmutableRecordError("The access log is append-only: rows cannot change or go.")


class AccessAction(models.TextChoices):
    PATIENT_VIEW = "patient.view", _("Patient record")
    PATIENT_LIST = "patient.list", _("Patient list or search")
    PATIENT_TIMELINE = "patient.timeline", _("Patient timeline")
    PATIENT_EXPORT = "patient.export", _("Patient export")
    PATIENT_CONSENTS = "patient.consents", _("Consent records")
    ADMISSION_VIEW = "admission.view", _("Admission")
    ADMISSION_LIST = "admission.list", _("Admission list")
    ADMISSION_MOVES = "admission.moves", _("Admission transfers")
    ADMISSION_PHASE_CHANGES = "admission.phase_changes", _("Dengue phase changes")
    ADMISSION_SERIES = "admission.series", _("Chart series")
    OBSERVATION_LIST = "observation.list", _("Observations")
    OBSERVATION_VIEW = "observation.view", _("Observation")
    WARD_BOARD = "ward.board", _("Ward board")
    BOARD_CRITICAL = "board.critical", _("Critical list")
    # Reads of the program builder (wired by its views).
    ASSIGNMENT_LIST = "assignment.list", _("Assignment list")
    ASSIGNMENT_VIEW = "assignment.view", _("Assignment")
    ASSIGNMENT_ADHERENCE = "assignment.adherence", _("Adherence")
    ASSIGNMENT_LOGS = "assignment.logs", _("Activity logs")


class AccessLogQuerySet(models.QuerySet["AccessLog"]):
    # Bulk paths around save()/delete(): refused the same way.
    update = _refuse
    delete = _refuse
    bulk_update = _refuse
    update_or_create = _refuse


class AccessLog(models.Model):
    """Who read what of which patient (or ward), when, from where, in which request."""

    # A sequence, not a UUID: rows are never addressed by URL, and the insert stays cheap.
    id = models.BigAutoField(primary_key=True)
    at = models.DateTimeField(default=timezone.now)
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    # PROTECT: who read a record must stay answerable; staff accounts are deactivated,
    # never deleted.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=40, choices=AccessAction.choices)
    # Ids, not foreign keys: the log outlives whatever happens to the rows it names.
    patient_id = models.UUIDField(null=True, blank=True)
    ward_id = models.UUIDField(null=True, blank=True)
    # How many rows the read returned, where it returned several (a ward's board).
    count = models.PositiveIntegerField(null=True, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)

    objects = AccessLogQuerySet.as_manager()

    class Meta:
        ordering = ("-at", "-id")
        indexes = [
            # The admin's queries: by organisation, by patient, by user, newest first.
            models.Index(fields=["organization", "at"], name="accesslog_org_at"),
            models.Index(fields=["patient_id", "at"], name="accesslog_patient_at"),
            models.Index(fields=["user", "at"], name="accesslog_user_at"),
            # Ward reads, joined to a patient's stays by the export.
            models.Index(
                fields=["ward_id", "at"],
                condition=Q(ward_id__isnull=False),
                name="accesslog_ward_at",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.action} by {self.user_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            _refuse()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        _refuse()


class ConsentPurpose(models.TextChoices):
    PROGRAM = "program", _("Home program and patient portal")
    DATA_PROCESSING = "data_processing", _("Data processing")
    RESEARCH = "research", _("Research")


class ConsentDecision(models.TextChoices):
    GIVEN = "given", _("Given")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class ConsentRecord(models.Model):
    """A consent given or withdrawn. Records are only ever added: the current state of a
    purpose is its latest record (by ``decided_at``, then ``created_at``)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="consents")
    purpose = models.CharField(_("purpose"), max_length=20, choices=ConsentPurpose.choices)
    decision = models.CharField(_("decision"), max_length=10, choices=ConsentDecision.choices)
    # When the patient gave or withdrew it (a paper form may be entered later).
    decided_at = models.DateTimeField(_("decided at"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-decided_at", "-created_at")
        constraints = [
            models.CheckConstraint(
                condition=Q(purpose__in=ConsentPurpose.values), name="consent_purpose_valid"
            ),
            models.CheckConstraint(
                condition=Q(decision__in=ConsentDecision.values), name="consent_decision_valid"
            ),
        ]
        # The current state of one purpose (the portal asks on every request).
        indexes = [models.Index(fields=["patient", "purpose", "decided_at"])]

    def __str__(self) -> str:
        return f"{self.purpose} {self.decision} ({self.patient_id})"


class ErasureTrigger(models.TextChoices):
    REQUEST = "request", _("The patient's request")
    RETENTION = "retention", _("End of the retention period")


class ErasureRecord(models.Model):
    """That, when, why and by whom a patient's data was erased. Keeps nothing of the erased
    data (see docs/privacy.md): one record per patient, which makes erasure happen once."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.OneToOneField(Patient, on_delete=models.PROTECT, related_name="erasure")
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    trigger = models.CharField(max_length=10, choices=ErasureTrigger.choices)
    reason = models.CharField(_("reason"), max_length=500)
    # None: the retention command.
    erased_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    erased_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-erased_at",)
        constraints = [
            models.CheckConstraint(
                condition=Q(trigger__in=ErasureTrigger.values), name="erasure_trigger_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Erasure of {self.patient_id} on {self.erased_at:%Y-%m-%d}"
