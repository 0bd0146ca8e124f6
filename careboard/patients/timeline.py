"""A patient's timeline: what happened to the patient and their record, newest first.

Built from the domain rows that say who did what (observations, moves, phase changes) and
from django-simple-history for what only the history knows (amendments, record edits,
clinical settings of an admission), with field-level before/after from ``diff_against``.

Every source is read in bulk (one query each, users and wards in one more), so the number
of queries does not grow with the number of entries; the whole timeline is assembled in
memory and the API pages through it. A patient's record holds thousands of entries, not
millions, so that is cheap, and it keeps the merge of nine kinds of entries simple.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from careboard.organizations.models import Ward
from careboard.patients.assessment import VITAL_FIELDS
from careboard.patients.models import (
    Admission,
    AdmissionMove,
    DenguePhase,
    Observation,
    ObservationStatus,
    Outcome,
    Patient,
    PhaseChange,
)
from careboard.users.models import User

KINDS = (
    "observation.recorded",
    "observation.amended",
    "observation.entered_in_error",
    "admission.admitted",
    "admission.discharged",
    "admission.transferred",
    "admission.changed",
    "phase.changed",
    "patient.changed",
)
# Entries at the same instant are ordered by what logically comes first (an admission before
# the dengue phase it sets, a recording before its amendment); the list is newest first.
_KIND_ORDER = {kind: index for index, kind in enumerate(KINDS)}
_KIND_ORDER["admission.admitted"] = -1
_KIND_ORDER["admission.discharged"] = len(KINDS)

# What an amendment can change, and the score it changes with them.
AMENDABLE_FIELDS = ("recorded_at", *VITAL_FIELDS, "news2_total", "news2_band")
# Settings of an admission reported as "admission.changed". Ward and bed are reported as
# transfers (AdmissionMove), the phase as phase changes, discharge on its own; the rest of
# the history (next due time, trend) is the system's bookkeeping after each observation.
ADMISSION_SETTING_FIELDS = (
    "protocol",
    "pregnant",
    "attending_physician",
    "spo2_scale",
    "interval_override_minutes",
    "interval_override_reason",
)
_USER_FIELDS = ("attending_physician",)
PATIENT_IGNORED_FIELDS = ("updated_at", "organization")


@dataclass
class Entry:
    at: datetime
    kind: str
    by: User | None
    summary: str
    changes: list[dict[str, Any]] = field(default_factory=list)
    ref: dict[str, str] = field(default_factory=dict)

    def sort_key(self) -> tuple[datetime, int, tuple[str, ...]]:
        return (self.at, _KIND_ORDER[self.kind], tuple(self.ref.values()))


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


# Fields whose model has no verbose name of its own.
_LABELS = {
    "interval_override_minutes": gettext_lazy("observation interval override"),
    "interval_override_reason": gettext_lazy("reason for the interval override"),
}


def _label(model: type[models.Model], name: str) -> str:
    if name in _LABELS:
        return str(_LABELS[name])
    field = model._meta.get_field(name)
    # Only the model's own (concrete) fields are listed; reverse relations have no label.
    if not isinstance(field, models.Field):
        return name
    return str(field.verbose_name)


class _Lookup:
    """Users and wards referenced anywhere in the timeline, fetched in one query each."""

    def __init__(self, user_ids: Iterable[Any], ward_ids: Iterable[Any]) -> None:
        self.users = User.objects.in_bulk({i for i in user_ids if i is not None})
        self.wards = Ward.objects.in_bulk({i for i in ward_ids if i is not None})

    def user(self, user_id: Any) -> User | None:
        return self.users.get(user_id) if user_id is not None else None

    def ward(self, ward_id: Any) -> str:
        # Wards are never deleted while admissions refer to them (on_delete=PROTECT).
        return self.wards[ward_id].name


def _by_object(records: Iterable[Any]) -> dict[Any, list[Any]]:
    """Historical records grouped by the object they record, each group oldest first."""
    groups: dict[Any, list[Any]] = {}
    for record in sorted(records, key=lambda r: (r.history_date, r.history_id)):
        groups.setdefault(record.id, []).append(record)
    return groups


def _changes(
    new: Any,
    old: Any,
    *,
    included: Sequence[str] | None = None,
    excluded: Sequence[str] = (),
    lookup: _Lookup | None = None,
) -> list[dict[str, Any]]:
    delta = new.diff_against(old, included_fields=included, excluded_fields=excluded)
    out = []
    for change in delta.changes:
        before, after = change.old, change.new
        if lookup is not None and change.field in _USER_FIELDS:
            before, after = _user_ref(lookup.user(before)), _user_ref(lookup.user(after))
        out.append({"field": change.field, "before": _plain(before), "after": _plain(after)})
    return out


def _user_ref(user: User | None) -> dict[str, Any] | None:
    return {"id": str(user.public_id), "name": user.get_full_name()} if user else None


def _field_list(model: type[models.Model], changes: list[dict[str, Any]]) -> str:
    return ", ".join(_label(model, change["field"]) for change in changes)


def _bed(ward: str, bed: str) -> str:
    return _("%(ward)s, bed %(bed)s") % {"ward": ward, "bed": bed} if bed else ward


# Sources ----------------------------------------------------------------------------------


def _observation_entries(
    observations: list[Observation], history: dict[Any, list[Any]], lookup: _Lookup
) -> list[Entry]:
    entries = []
    for observation in observations:
        ref = {"admission": str(observation.admission_id), "observation": str(observation.pk)}
        records = history.get(observation.pk, [])
        # The values as recorded (the row may since have been amended).
        first = records[0] if records and records[0].history_type == "+" else observation
        if first.news2_total is not None:
            summary = _("Observations recorded (NEWS2 %(total)s, %(band)s).") % {
                "total": first.news2_total,
                "band": first.news2_band,
            }
        else:
            summary = _("Observations recorded.")
        entries.append(
            Entry(
                at=observation.recorded_at,
                kind="observation.recorded",
                by=lookup.user(observation.recorded_by_id),
                summary=summary,
                ref=ref,
            )
        )
        for old, new in zip(records, records[1:], strict=False):
            # Rescoring also saves the row; only a change of status stamp is a person's act.
            if new.status_changed_at == old.status_changed_at:
                continue
            at = new.status_changed_at or new.history_date
            by = lookup.user(new.status_changed_by_id)
            if new.status == ObservationStatus.ENTERED_IN_ERROR:
                entries.append(
                    Entry(
                        at=at,
                        kind="observation.entered_in_error",
                        by=by,
                        summary=_("Observations marked entered in error: %(reason)s")
                        % {"reason": new.status_reason},
                        changes=[{"field": "status", "before": old.status, "after": new.status}],
                        ref=ref,
                    )
                )
            elif new.status == ObservationStatus.AMENDED:
                entries.append(
                    Entry(
                        at=at,
                        kind="observation.amended",
                        by=by,
                        summary=_("Observations amended: %(reason)s")
                        % {"reason": new.status_reason},
                        changes=_changes(new, old, included=AMENDABLE_FIELDS),
                        ref=ref,
                    )
                )
    return entries


def _admission_entries(
    admissions: list[Admission], history: dict[Any, list[Any]], lookup: _Lookup
) -> list[Entry]:
    entries = []
    for admission in admissions:
        ref = {"admission": str(admission.pk)}
        records = history.get(admission.pk, [])
        created = records[0] if records and records[0].history_type == "+" else None
        ward_id = created.ward_id if created else admission.ward_id
        bed = created.bed if created else admission.bed
        entries.append(
            Entry(
                at=admission.admitted_at,
                kind="admission.admitted",
                by=lookup.user(created.history_user_id if created else None),
                summary=_("Admitted to %(place)s.") % {"place": _bed(lookup.ward(ward_id), bed)},
                ref=ref,
            )
        )
        discharged_by = None
        for old, new in zip(records, records[1:], strict=False):
            if old.discharged_at is None and new.discharged_at is not None:
                discharged_by = lookup.user(new.history_user_id)
            changes = _changes(new, old, included=ADMISSION_SETTING_FIELDS, lookup=lookup)
            if not changes:
                continue
            names = {change["field"] for change in changes}
            # The admission keeps who set the SpO2 scale and the override (the history user
            # is known only for changes made through a request).
            if "spo2_scale" in names:
                by_id = new.spo2_scale_set_by_id
            elif names & {"interval_override_minutes", "interval_override_reason"}:
                by_id = new.interval_override_by_id
            else:
                by_id = new.history_user_id
            entries.append(
                Entry(
                    at=new.history_date,
                    kind="admission.changed",
                    by=lookup.user(by_id),
                    summary=_("Admission changed: %(fields)s.")
                    % {"fields": _field_list(Admission, changes)},
                    changes=changes,
                    ref=ref,
                )
            )
        if admission.discharged_at is not None:
            entries.append(
                Entry(
                    at=admission.discharged_at,
                    kind="admission.discharged",
                    by=discharged_by,
                    summary=_("Discharged: %(outcome)s.")
                    % {"outcome": _choice_label(Outcome, admission.outcome)},
                    changes=[{"field": "outcome", "before": "", "after": admission.outcome}],
                    ref=ref,
                )
            )
    return entries


def _move_entries(moves: list[AdmissionMove], lookup: _Lookup) -> list[Entry]:
    return [
        Entry(
            at=move.moved_at,
            kind="admission.transferred",
            by=lookup.user(move.moved_by_id),
            summary=_("Moved from %(before)s to %(after)s.")
            % {
                "before": _bed(lookup.ward(move.from_ward_id), move.from_bed),
                "after": _bed(lookup.ward(move.to_ward_id), move.to_bed),
            },
            changes=[
                {
                    "field": "ward",
                    "before": lookup.ward(move.from_ward_id),
                    "after": lookup.ward(move.to_ward_id),
                },
                {"field": "bed", "before": move.from_bed, "after": move.to_bed},
            ],
            ref={
                "admission": str(move.admission_id),
                "move": str(move.pk),
                "from_ward": str(move.from_ward_id),
                "to_ward": str(move.to_ward_id),
            },
        )
        for move in moves
    ]


def _phase_entries(changes: list[PhaseChange], lookup: _Lookup) -> list[Entry]:
    entries = []
    for change in changes:
        to_phase = _choice_label(DenguePhase, change.to_phase)
        if change.from_phase:
            summary = _("Dengue phase changed from %(before)s to %(after)s.") % {
                "before": _choice_label(DenguePhase, change.from_phase),
                "after": to_phase,
            }
        else:
            summary = _("Dengue phase set to %(after)s.") % {"after": to_phase}
        if change.note:
            summary = f"{summary} {change.note}"
        entries.append(
            Entry(
                at=change.changed_at,
                kind="phase.changed",
                by=lookup.user(change.changed_by_id),
                summary=summary,
                changes=[{"field": "phase", "before": change.from_phase, "after": change.to_phase}],
                ref={"admission": str(change.admission_id), "phase_change": str(change.pk)},
            )
        )
    return entries


def _patient_entries(patient: Patient, records: list[Any], lookup: _Lookup) -> list[Entry]:
    entries = []
    for old, new in zip(records, records[1:], strict=False):
        changes = _changes(new, old, excluded=PATIENT_IGNORED_FIELDS)
        if not changes:
            continue
        entries.append(
            Entry(
                at=new.history_date,
                kind="patient.changed",
                by=lookup.user(new.history_user_id),
                summary=_("Patient record changed: %(fields)s.")
                % {"fields": _field_list(Patient, changes)},
                changes=changes,
                ref={"patient": str(patient.pk)},
            )
        )
    return entries


def _choice_label(choices: type[models.TextChoices], value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


# The timeline -----------------------------------------------------------------------------


def patient_timeline(*, patient: Patient) -> list[Entry]:
    """Every entry of the patient's timeline, newest first. A fixed number of queries."""
    admissions = list(Admission.objects.filter(patient=patient))
    admission_ids = [admission.pk for admission in admissions]
    observations = list(Observation.objects.filter(admission_id__in=admission_ids))
    observation_history = list(Observation.history.filter(admission_id__in=admission_ids))
    admission_history = list(Admission.history.filter(id__in=admission_ids))
    moves = list(AdmissionMove.objects.filter(admission_id__in=admission_ids))
    phase_changes = list(PhaseChange.objects.filter(admission_id__in=admission_ids))
    patient_history = sorted(
        Patient.history.filter(id=patient.pk), key=lambda r: (r.history_date, r.history_id)
    )

    lookup = _Lookup(
        user_ids=[
            *(o.recorded_by_id for o in observations),
            *(r.status_changed_by_id for r in observation_history),
            *(r.history_user_id for r in admission_history),
            *(r.spo2_scale_set_by_id for r in admission_history),
            *(r.interval_override_by_id for r in admission_history),
            *(r.attending_physician_id for r in admission_history),
            *(m.moved_by_id for m in moves),
            *(c.changed_by_id for c in phase_changes),
            *(r.history_user_id for r in patient_history),
        ],
        ward_ids=[
            *(a.ward_id for a in admissions),
            *(r.ward_id for r in admission_history),
            *(m.from_ward_id for m in moves),
            *(m.to_ward_id for m in moves),
        ],
    )
    entries = [
        *_admission_entries(admissions, _by_object(admission_history), lookup),
        *_phase_entries(phase_changes, lookup),
        *_move_entries(moves, lookup),
        *_observation_entries(observations, _by_object(observation_history), lookup),
        *_patient_entries(patient, patient_history, lookup),
    ]
    entries.sort(key=Entry.sort_key, reverse=True)
    return entries
