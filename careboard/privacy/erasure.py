"""What erasure overwrites, and where (``careboard.privacy.services.patient_erase`` runs it).

The patient row keeps its id, organisation, sex and language, and its clinical rows keep
their values, so statistics still count them; everything that names or reaches the person
goes, in the current rows and in every history row:

- MRN: a random ``ERASED-…`` token (the MRN stays unique per organisation);
- given and family name: ``Erased``; phone and e-mail: blank;
- birth date: 1 January of the birth year (1 July when the real date is 1 January), so
  ages stay right to within a year without keeping the day;
- free text (observation notes and status reasons, interval-override reasons, phase-change
  notes, activity-log comments, consent notes, history change reasons): ``[erased]`` where
  there was any, since a note may name anyone;
- the person's identifiers wherever text must stay (the program snapshots of their
  assignments, the erasure's own reason): replaced by ``[erased]``;
- portal tokens: deleted; active assignments: ended;
- the Django admin's log entries about the patient and their admissions (whose
  ``object_repr`` carries the name and MRN).

Nothing caches patient data today; whatever does in the future registers an invalidation
with ``on_patient_erased``.
"""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet
from django.utils import timezone

from careboard.builder.models import ActivityLog, Assignment, AssignmentStatus, PortalToken
from careboard.patients.models import Admission, Observation, Patient, PhaseChange
from careboard.privacy.models import ConsentRecord
from careboard.users.models import User

ERASED_NAME = "Erased"
ERASED_TEXT = "[erased]"
ERASED_MRN_PREFIX = "ERASED-"

ErasureHook = Callable[[uuid.UUID], None]
_hooks: list[ErasureHook] = []


def on_patient_erased(hook: ErasureHook) -> ErasureHook:
    """Register ``hook(patient_id)`` to run after an erasure commits: the place for any
    cache of patient data to drop its entries (register in ``AppConfig.ready``)."""
    _hooks.append(hook)
    return hook


def run_hooks(patient_id: uuid.UUID) -> None:
    for hook in list(_hooks):
        hook(patient_id)


def erased_mrn() -> str:
    return ERASED_MRN_PREFIX + secrets.token_hex(8).upper()


def coarse_birth_date(real: date) -> date:
    """1 January of the birth year, or 1 July for someone born on 1 January."""
    new_year = date(real.year, 1, 1)
    return new_year if real != new_year else date(real.year, 7, 1)


def birth_date_forms(day: date) -> list[str]:
    """The ways a birth date is commonly written (ISO, European, US, digits only)."""
    d, m, y = f"{day.day:02d}", f"{day.month:02d}", f"{day.year:04d}"
    return [
        f"{y}-{m}-{d}",
        f"{d}.{m}.{y}",
        f"{d}/{m}/{y}",
        f"{m}/{d}/{y}",
        f"{d}-{m}-{y}",
        f"{y}{m}{d}",
        f"{d}{m}{y}",
        f"{day.day}.{day.month}.{y}",
        f"{day.day}/{day.month}/{y}",
        f"{day.month}/{day.day}/{y}",
    ]


def identifiers(patient: Patient) -> list[str]:
    """The strings that identify ``patient``, longest first (for ``redact``)."""
    values = [
        patient.mrn,
        patient.given_name,
        patient.family_name,
        f"{patient.given_name} {patient.family_name}",
        f"{patient.family_name}, {patient.given_name}",
        patient.phone,
        re.sub(r"[\s\-/().]", "", patient.phone),
        patient.email,
        *birth_date_forms(patient.birth_date),
    ]
    kept = {value.strip() for value in values if len(value.strip()) >= 2}
    return sorted(kept, key=len, reverse=True)


def redact(text: str, words: Iterable[str]) -> str:
    """``text`` with every occurrence of ``words`` (whole words, any case) ``[erased]``."""
    words = list(words)
    if not words or not text:
        return text
    pattern = re.compile(
        r"(?<!\w)(?:" + "|".join(re.escape(word) for word in words) + r")(?!\w)", re.IGNORECASE
    )
    return pattern.sub(ERASED_TEXT, text)


def redact_json(value: Any, words: list[str]) -> Any:
    """``redact`` applied to every string (keys included) of a JSON value."""
    if isinstance(value, str):
        return redact(value, words)
    if isinstance(value, list):
        return [redact_json(item, words) for item in value]
    if isinstance(value, dict):
        return {redact(key, words): redact_json(item, words) for key, item in value.items()}
    return value


def _blank_text(rows: QuerySet[Any], *fields: str) -> None:
    """Overwrite the non-empty values of free-text ``fields``."""
    for name in fields:
        rows.exclude(**{name: ""}).exclude(**{f"{name}__isnull": True}).update(
            **{name: ERASED_TEXT}
        )


def _history(model: type[Any]) -> Any:
    return model.history.model.objects


def scrub(patient: Patient, *, by: User | None, now: datetime | None = None) -> None:
    """Overwrite everything identifying of ``patient`` (the caller holds the transaction)."""
    now = now or timezone.now()
    words = identifiers(patient)
    person = {
        "mrn": erased_mrn(),
        "given_name": ERASED_NAME,
        "family_name": ERASED_NAME,
        "birth_date": coarse_birth_date(patient.birth_date),
        "phone": "",
        "email": "",
    }
    # UPDATEs rather than save(): the erasure adds no history row that would show the
    # values it removed; the ErasureRecord says what happened.
    Patient.objects.filter(pk=patient.pk).update(**person, updated_at=now)
    patient_history = _history(Patient).filter(id=patient.pk)
    patient_history.update(**person)
    _blank_text(patient_history, "history_change_reason")

    admission_ids = list(Admission.objects.filter(patient=patient).values_list("pk", flat=True))
    admissions = Admission.objects.filter(pk__in=admission_ids)
    admission_history = _history(Admission).filter(
        Q(id__in=admission_ids) | Q(patient_id=patient.pk)
    )
    _blank_text(admissions, "interval_override_reason")
    _blank_text(admission_history, "interval_override_reason", "history_change_reason")
    _blank_text(PhaseChange.objects.filter(admission_id__in=admission_ids), "note")

    observation_ids = list(
        Observation.objects.filter(admission_id__in=admission_ids).values_list("pk", flat=True)
    )
    _blank_text(Observation.objects.filter(pk__in=observation_ids), "notes", "status_reason")
    _blank_text(
        _history(Observation).filter(Q(id__in=observation_ids) | Q(admission_id__in=admission_ids)),
        "notes",
        "status_reason",
        "history_change_reason",
    )

    _scrub_assignments(patient, by=by, now=now, words=words)
    _blank_text(ConsentRecord.objects.filter(patient=patient), "note")
    _scrub_admin_log(patient, admission_ids)


def _scrub_assignments(
    patient: Patient, *, by: User | None, now: datetime, words: list[str]
) -> None:
    assignments = Assignment.objects.filter(patient=patient)
    assignment_ids = list(assignments.values_list("pk", flat=True))
    PortalToken.objects.filter(assignment_id__in=assignment_ids).delete()
    _blank_text(ActivityLog.objects.filter(assignment_id__in=assignment_ids), "comment")
    # A digest of the logged values (the comment among them) is no longer needed: there is
    # no token left to retry with.
    ActivityLog.objects.filter(assignment_id__in=assignment_ids).update(request_fingerprint="")

    today = timezone.localdate(timezone=patient.organization.tz)
    for assignment in assignments.filter(status=AssignmentStatus.ACTIVE):
        end_date = assignment.end_date
        if end_date is None or end_date > today:
            end_date = max(today, assignment.start_date)
        Assignment.objects.filter(pk=assignment.pk).update(
            status=AssignmentStatus.ENDED, ended_at=now, ended_by=by, end_date=end_date
        )

    # Program snapshots are the organisation's text, but a program made for one person
    # may be named after them.
    for pk, snapshot, past in assignments.values_list("pk", "snapshot", "past_snapshots"):
        new_snapshot, new_past = redact_json(snapshot, words), redact_json(past, words)
        if (new_snapshot, new_past) != (snapshot, past):
            Assignment.objects.filter(pk=pk).update(snapshot=new_snapshot, past_snapshots=new_past)
    history = _history(Assignment).filter(Q(id__in=assignment_ids) | Q(patient_id=patient.pk))
    for history_id, snapshot in history.values_list("history_id", "snapshot"):
        new_snapshot = redact_json(snapshot, words)
        if new_snapshot != snapshot:
            _history(Assignment).filter(history_id=history_id).update(snapshot=new_snapshot)
    _blank_text(history, "history_change_reason")


def _scrub_admin_log(patient: Patient, admission_ids: list[uuid.UUID]) -> None:
    # str() of a patient and of an admission carries the name and MRN.
    types = ContentType.objects.get_for_models(Patient, Admission)
    LogEntry.objects.filter(
        Q(content_type=types[Patient], object_id=str(patient.pk))
        | Q(content_type=types[Admission], object_id__in=[str(pk) for pk in admission_ids])
    ).update(object_repr=ERASED_TEXT, change_message="")
