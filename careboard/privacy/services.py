"""Writes of the privacy app: consent records, erasure, retention.

``program_consent_withdrawn`` is the one question the patient portal asks of consent.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from careboard.core.problems import Conflict
from careboard.patients.models import Admission, Patient
from careboard.privacy import erasure, selectors
from careboard.privacy.models import (
    ConsentPurpose,
    ConsentRecord,
    ErasureRecord,
    ErasureTrigger,
)
from careboard.users.models import User

# A tablet's clock may run a little ahead of the server's.
_CLOCK_SKEW = timedelta(minutes=2)
_ALREADY_ERASED = "This patient's data has already been erased."


# Consent ------------------------------------------------------------------------------


def consent_record(
    *,
    patient: Patient,
    by: User,
    purpose: str,
    decision: str,
    decided_at: datetime | None = None,
    note: str = "",
) -> ConsentRecord:
    """Add a consent record; the purpose's current state is its latest record."""
    if selectors.is_erased(patient_id=patient.pk):
        raise Conflict(_ALREADY_ERASED)
    now = timezone.now()
    decided_at = decided_at or now
    if decided_at > now + _CLOCK_SKEW:
        raise ValidationError({"decided_at": "The time is in the future."})
    record = ConsentRecord(
        patient=patient,
        purpose=purpose,
        decision=decision,
        decided_at=decided_at,
        note=note.strip(),
        recorded_by=by,
    )
    record.full_clean()
    record.save()
    return record


def program_consent_withdrawn(patient: Patient) -> bool:
    """Whether the patient's latest word on the home program and portal is a withdrawal.

    The portal refuses its token while this holds; no record at all is not a withdrawal.
    """
    return selectors.consent_withdrawn(patient_id=patient.pk, purpose=ConsentPurpose.PROGRAM)


# Erasure ------------------------------------------------------------------------------


def patient_erase(
    *,
    patient: Patient,
    by: User | None,
    reason: str,
    trigger: str = ErasureTrigger.REQUEST,
) -> ErasureRecord:
    """Anonymise the patient everywhere, history included, irreversibly and all at once
    (``careboard.privacy.erasure`` lists what changes). Refused (409) when already erased
    or while the patient is admitted."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Give a reason."})
    with transaction.atomic():
        # The lock serialises two erasures of one patient (the one-to-one record backs it).
        locked = Patient.objects.select_for_update().select_related("organization")
        patient = locked.get(pk=patient.pk)
        if selectors.is_erased(patient_id=patient.pk):
            raise Conflict(_ALREADY_ERASED)
        # An inpatient must stay identifiable to the ward caring for them.
        if Admission.objects.current().filter(patient=patient).exists():
            raise Conflict("The patient is admitted; discharge them before erasing their data.")
        words = erasure.identifiers(patient)
        now = timezone.now()
        erasure.scrub(patient, by=by, now=now)
        record = ErasureRecord(
            patient=patient,
            organization_id=patient.organization_id,
            trigger=trigger,
            # The reason is the admin's text: it may well name the person.
            reason=erasure.redact(reason, words)[:500],
            erased_by=by,
            erased_at=now,
        )
        try:
            with transaction.atomic():
                record.save(force_insert=True)
        except IntegrityError as exc:
            raise Conflict(_ALREADY_ERASED) from exc
        patient_id = patient.pk
        transaction.on_commit(lambda: erasure.run_hooks(patient_id))
    return record


# Retention ----------------------------------------------------------------------------


def retention_cutoff(*, now: datetime, years: int) -> datetime:
    """``years`` before ``now`` (29 February falls back to the 28th)."""
    try:
        return now.replace(year=now.year - years)
    except ValueError:
        return now.replace(year=now.year - years, day=28)


def retention_due_ids(*, now: datetime | None = None) -> list[uuid.UUID]:
    """Patients whose last discharge is more than ``RETENTION_YEARS_AFTER_DISCHARGE`` ago."""
    cutoff = retention_cutoff(
        now=now or timezone.now(), years=settings.RETENTION_YEARS_AFTER_DISCHARGE
    )
    return list(selectors.retention_due(discharged_before=cutoff).values_list("pk", flat=True))


def retention_apply(*, now: datetime | None = None) -> list[uuid.UUID]:
    """Erase every patient due; each in its own transaction. Returns their ids."""
    years = settings.RETENTION_YEARS_AFTER_DISCHARGE
    erased = []
    for patient_id in retention_due_ids(now=now):
        patient_erase(
            patient=Patient.objects.get(pk=patient_id),
            by=None,
            reason=f"Retention period ended: last discharge more than {years} years ago.",
            trigger=ErasureTrigger.RETENTION,
        )
        erased.append(patient_id)
    return erased
