"""Reads of the privacy records: the access log, consent state, who is due for erasure."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from django.db.models import Exists, Max, OuterRef, QuerySet

from careboard.core.prepared import PreparedQuery
from careboard.patients.models import Admission, Patient
from careboard.privacy.models import (
    AccessLog,
    ConsentDecision,
    ConsentPurpose,
    ConsentRecord,
    ErasureRecord,
)


def access_log_list(
    *,
    organization_ids: Sequence[uuid.UUID],
    patient_id: uuid.UUID | None = None,
    user_public_id: uuid.UUID | None = None,
    ward_id: uuid.UUID | None = None,
    action: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> QuerySet[AccessLog]:
    """The access log of ``organization_ids``, filtered, newest first."""
    rows = AccessLog.objects.filter(organization_id__in=organization_ids).select_related("user")
    if patient_id is not None:
        rows = rows.filter(patient_id=patient_id)
    if user_public_id is not None:
        rows = rows.filter(user__public_id=user_public_id)
    if ward_id is not None:
        rows = rows.filter(ward_id=ward_id)
    if action:
        rows = rows.filter(action=action)
    if start is not None:
        rows = rows.filter(at__gte=start)
    if end is not None:
        rows = rows.filter(at__lte=end)
    return rows.order_by("-at", "-id")


def consent_current(*, patient: Patient) -> dict[str, ConsentRecord | None]:
    """The latest record of each purpose (None: never recorded). One query."""
    current: dict[str, ConsentRecord | None] = dict.fromkeys(ConsentPurpose.values)
    for record in patient.consents.select_related("recorded_by").order_by(
        "purpose", "-decided_at", "-created_at"
    ):
        if current[record.purpose] is None:
            current[record.purpose] = record
    return current


# Checked on every portal request: compiled once (careboard.core.prepared).
_LATEST_DECISION = PreparedQuery(
    lambda patient_id, purpose: (
        ConsentRecord.objects.filter(patient_id=patient_id, purpose=purpose)
        .order_by("-decided_at", "-created_at")
        .values_list("decision")[:1]
    ),
    patient_id=uuid.UUID,
    purpose=str,
)


def consent_withdrawn(*, patient_id: uuid.UUID, purpose: str) -> bool:
    """Whether the latest record of ``purpose`` withdraws it. One indexed query."""
    for (decision,) in _LATEST_DECISION.rows(patient_id=patient_id, purpose=purpose):
        return bool(decision == ConsentDecision.WITHDRAWN)
    return False


def is_erased(*, patient_id: uuid.UUID) -> bool:
    return ErasureRecord.objects.filter(patient_id=patient_id).exists()


def retention_due(*, discharged_before: datetime) -> QuerySet[Patient]:
    """Patients not yet erased, with no open admission, whose last discharge is older than
    ``discharged_before``. Patients never admitted have no last discharge (NULL) and are
    not included."""
    open_admissions = Admission.objects.current().filter(patient=OuterRef("pk"))
    erased = ErasureRecord.objects.filter(patient=OuterRef("pk"))
    return (
        Patient.objects.exclude(Exists(open_admissions))
        .exclude(Exists(erased))
        .annotate(last_discharge=Max("admissions__discharged_at"))
        .filter(last_discharge__lt=discharged_before)
        .order_by("last_discharge", "pk")
    )
