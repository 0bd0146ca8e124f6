"""The patient's export (GDPR Art. 15 and 20): one JSON document with everything held.

Rows are written out generically, field by field (``_row``), so that a field added to a
model appears in the export without a change here; the builder's models (assignments,
portal tokens, activity logs) are read the same way. Only secrets are left out (token
digests, request fingerprints). A fixed number of queries, whatever the size of the record.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models import Q
from django.utils import timezone
from rest_framework import serializers

from careboard.builder.models import ActivityLog, Assignment, PortalToken
from careboard.organizations.models import Ward
from careboard.patients import timeline
from careboard.patients.api.history_views import TimelineEntrySerializer
from careboard.patients.models import Admission, AdmissionMove, Observation, Patient, PhaseChange
from careboard.privacy.models import AccessLog, ConsentRecord, ErasureRecord
from careboard.users.models import User

FORMAT = {"name": "careboard.patient-export", "version": 1}

# Secrets and technical digests: not data about the patient, and harmful if leaked.
EXCLUDED_FIELDS: dict[type[models.Model], tuple[str, ...]] = {
    PortalToken: ("token_hash", "prefix"),
    ActivityLog: ("request_fingerprint", "idempotency_key"),
}

_as_time = serializers.DateTimeField()


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dt.datetime):
        return _as_time.to_representation(value)
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


class _Users:
    """Every user the export names, fetched in one query."""

    def __init__(self, ids: Iterable[Any]) -> None:
        self.users = User.objects.in_bulk({i for i in ids if i is not None})

    def ref(self, user_id: Any) -> dict[str, str] | None:
        user = self.users.get(user_id)
        if user is None:
            return None
        return {"id": str(user.public_id), "name": user.get_full_name()}


def _user_ids(instances: Iterable[models.Model]) -> list[Any]:
    return [
        getattr(instance, field.attname)
        for instance in instances
        for field in instance._meta.concrete_fields
        if field.is_relation and field.related_model is User
    ]


def _row(instance: models.Model, users: _Users) -> dict[str, Any]:
    """Every stored field of ``instance``; users as ``{id, name}``, other relations as ids."""
    excluded = EXCLUDED_FIELDS.get(type(instance), ())
    row: dict[str, Any] = {}
    for field in instance._meta.concrete_fields:
        if field.name in excluded:
            continue
        value = getattr(instance, field.attname)
        if field.is_relation and field.related_model is User:
            row[field.name] = users.ref(value)
        else:
            row[field.name] = _plain(value)
    return row


def _stays(
    admissions: list[Admission], moves: list[AdmissionMove], now: dt.datetime
) -> list[tuple[uuid.UUID, dt.datetime, dt.datetime]]:
    """``(ward_id, from, until)`` for every ward the patient lay on."""
    stays = []
    for admission in admissions:
        own = [move for move in moves if move.admission_id == admission.pk]
        ward_id = own[0].from_ward_id if own else admission.ward_id
        start = admission.admitted_at
        for move in own:
            stays.append((ward_id, start, move.moved_at))
            ward_id, start = move.to_ward_id, move.moved_at
        stays.append((ward_id, start, admission.discharged_at or now))
    return stays


def _access_row(row: AccessLog, users: _Users) -> dict[str, Any]:
    # Address and request id describe the staff member's device, not the patient.
    return {
        "at": _plain(row.at),
        "action": row.action,
        "user": users.ref(row.user_id),
        "ward": _plain(row.ward_id),
        "count": row.count,
    }


def patient_export(*, patient: Patient, by: User, now: dt.datetime | None = None) -> dict[str, Any]:
    """Everything held about ``patient``, as one JSON-ready document."""
    now = now or timezone.now()
    admissions = list(Admission.objects.filter(patient=patient).order_by("admitted_at"))
    admission_ids = [admission.pk for admission in admissions]
    moves = list(AdmissionMove.objects.filter(admission_id__in=admission_ids).order_by("moved_at"))
    phase_changes = list(
        PhaseChange.objects.filter(admission_id__in=admission_ids).order_by("changed_at")
    )
    observations = list(
        Observation.objects.filter(admission_id__in=admission_ids).order_by(
            "recorded_at", "created_at"
        )
    )
    assignments = list(Assignment.objects.filter(patient=patient).order_by("created_at"))
    assignment_ids = [assignment.pk for assignment in assignments]
    tokens = list(
        PortalToken.objects.filter(assignment_id__in=assignment_ids).order_by("created_at")
    )
    logs = list(
        ActivityLog.objects.filter(assignment_id__in=assignment_ids).order_by("performed_at")
    )
    consents = list(ConsentRecord.objects.filter(patient=patient).order_by("decided_at"))
    erasure = ErasureRecord.objects.filter(patient=patient).first()
    accesses = list(AccessLog.objects.filter(patient_id=patient.pk).order_by("at", "id"))
    # The board shows every patient on the ward: its reads while the patient lay there.
    stays = _stays(admissions, moves, now)
    ward_reads = Q()
    for ward_id, start, until in stays:
        ward_reads |= Q(ward_id=ward_id, patient_id__isnull=True, at__gte=start, at__lte=until)
    ward_accesses = list(AccessLog.objects.filter(ward_reads).order_by("at", "id")) if stays else []
    wards = Ward.objects.in_bulk(
        {admission.ward_id for admission in admissions}
        | {move.from_ward_id for move in moves}
        | {move.to_ward_id for move in moves}
    )
    entries = TimelineEntrySerializer(timeline.patient_timeline(patient=patient), many=True).data

    instances: list[models.Model] = [
        patient,
        *admissions,
        *moves,
        *phase_changes,
        *observations,
        *assignments,
        *tokens,
        *logs,
        *consents,
        *([erasure] if erasure else []),
    ]
    users = _Users(
        [
            by.pk,
            *_user_ids(instances),
            *(row.user_id for row in accesses),
            *(row.user_id for row in ward_accesses),
        ]
    )

    def children(rows: list[Any], attribute: str, parent: Any) -> list[dict[str, Any]]:
        return [_row(row, users) for row in rows if getattr(row, attribute) == parent]

    return {
        "format": FORMAT,
        "generated_at": _plain(now),
        "generated_by": users.ref(by.pk),
        "organization": {"id": str(patient.organization_id), "name": patient.organization.name},
        "patient": _row(patient, users),
        "admissions": [
            {
                **_row(admission, users),
                "moves": children(moves, "admission_id", admission.pk),
                "phase_changes": children(phase_changes, "admission_id", admission.pk),
                "observations": children(observations, "admission_id", admission.pk),
            }
            for admission in admissions
        ],
        "wards": {str(pk): ward.name for pk, ward in wards.items()},
        "history": entries,
        "assignments": [
            {
                **_row(assignment, users),
                "portal_tokens": children(tokens, "assignment_id", assignment.pk),
                "activity_logs": children(logs, "assignment_id", assignment.pk),
            }
            for assignment in assignments
        ],
        "consents": [_row(consent, users) for consent in consents],
        "access_log": [_access_row(row, users) for row in accesses],
        "ward_access_log": [_access_row(row, users) for row in ward_accesses],
        "erasure": _row(erasure, users) if erasure else None,
    }
