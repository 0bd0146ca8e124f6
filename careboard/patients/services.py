"""Writes on patients, admissions and observations: validate, save, score, keep history,
publish live events after commit."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from careboard.core.problems import Conflict
from careboard.organizations.models import Organization, Ward
from careboard.patients import assessment, events
from careboard.patients.models import (
    Admission,
    AdmissionMove,
    DenguePhase,
    Observation,
    ObservationStatus,
    Patient,
    PhaseChange,
    Protocol,
)
from careboard.patients.rules_history import load_rules
from careboard.users.models import User

PATIENT_FIELDS = (
    "mrn",
    "given_name",
    "family_name",
    "birth_date",
    "sex",
    "preferred_language",
    "phone",
    "email",
)


# Patients ----------------------------------------------------------------------------


def recorded_by(instance: Any, user: User | None) -> None:
    """Name the user in the history row the next save writes.

    The history middleware does this for web requests; services also run from commands,
    workers and the demo loader, where only the caller knows who acted.
    """
    if user is not None:
        instance._history_user = user


def latest_possible_today() -> date:
    """Today where the calendar is furthest ahead (UTC+14): no real birth date is later."""
    return (timezone.now() + timedelta(hours=14)).date()


_MRN_TAKEN = "Another patient has this hospital number."


def _save_patient(patient: Patient) -> None:
    try:
        with transaction.atomic():
            patient.save()
    except IntegrityError as exc:
        # Two registrations of one MRN at once: the constraint decides; answer like the check.
        raise ValidationError({"mrn": _MRN_TAKEN}) from exc


def patient_create(*, organization: Organization, by: User | None = None, **fields: Any) -> Patient:
    patient = Patient(organization=organization, **fields)
    _clean_patient(patient)
    recorded_by(patient, by)
    _save_patient(patient)
    return patient


def patient_update(*, patient: Patient, by: User | None = None, **fields: Any) -> Patient:
    for name, value in fields.items():
        setattr(patient, name, value)
    _clean_patient(patient)
    recorded_by(patient, by)
    _save_patient(patient)
    return patient


def _clean_patient(patient: Patient) -> None:
    if patient.birth_date and patient.birth_date > latest_possible_today():
        raise ValidationError({"birth_date": "The date of birth is in the future."})
    clash = Patient.objects.filter(organization=patient.organization, mrn__iexact=patient.mrn)
    if patient.pk:
        clash = clash.exclude(pk=patient.pk)
    if clash.exists():
        raise ValidationError({"mrn": _MRN_TAKEN})
    patient.full_clean(exclude=["organization"], validate_constraints=False)


# Admissions --------------------------------------------------------------------------
#
# Edits of an admission save only the columns they change: the request's copy of the
# admission may predate an observation recorded meanwhile, and a full save would put the
# board's pointers (latest observation, next due, overdue alert) back to that older state.


def admission_admit(
    *,
    patient: Patient,
    ward: Ward,
    by: User,
    bed: str = "",
    admitted_at: datetime | None = None,
    protocol: str = Protocol.GENERAL,
    pregnant: bool = False,
    attending_physician: User | None = None,
) -> Admission:
    """Admit ``patient`` to ``ward``; a patient has at most one open admission."""
    if ward.organization_id != patient.organization_id:
        raise ValidationError({"ward": "The ward belongs to another organisation."})
    if ward.archived:
        raise ValidationError({"ward": "This ward is archived."})
    admitted_at = admitted_at or timezone.now()
    if admitted_at > timezone.now():
        raise ValidationError({"admitted_at": "The admission time is in the future."})
    with transaction.atomic():
        # Lock the patient row: two nurses admitting the same patient at once get one 409.
        Patient.objects.select_for_update().filter(pk=patient.pk).first()
        if Admission.objects.current().filter(patient=patient).exists():
            raise Conflict("This patient is already admitted; transfer or discharge first.")
        admission = Admission(
            patient=patient,
            ward=ward,
            bed=bed,
            admitted_at=admitted_at,
            protocol=protocol,
            pregnant=pregnant,
            attending_physician=attending_physician,
            phase=DenguePhase.FEBRILE if protocol == Protocol.DENGUE else "",
            # The first set of observations is due on admission.
            next_due_at=admitted_at,
        )
        admission.full_clean(validate_constraints=False)
        recorded_by(admission, by)
        admission.save()
        if admission.phase:
            PhaseChange.objects.create(
                admission=admission,
                from_phase="",
                to_phase=admission.phase,
                note="Set on admission",
                changed_at=admitted_at,
                changed_by=by,
            )
        events.admission_changed(admission)
    return admission


def _require_open(admission: Admission) -> None:
    if not admission.is_current:
        raise Conflict("This admission is closed (the patient was discharged).")


def admission_update(*, admission: Admission, by: User, **fields: Any) -> Admission:
    """Edit plain details of an open admission (protocol, pregnancy, attending physician)."""
    _require_open(admission)
    rescore = False
    for name, value in fields.items():
        if getattr(admission, name) != value and name in ("protocol", "pregnant"):
            rescore = True
        setattr(admission, name, value)
    with transaction.atomic():
        if "protocol" in fields:
            if admission.protocol == Protocol.DENGUE and not admission.phase:
                admission.phase = DenguePhase.FEBRILE
                PhaseChange.objects.create(
                    admission=admission,
                    to_phase=admission.phase,
                    note="Dengue protocol started",
                    changed_at=timezone.now(),
                    changed_by=by,
                )
            elif admission.protocol == Protocol.GENERAL:
                admission.phase = ""
        admission.full_clean(validate_constraints=False)
        recorded_by(admission, by)
        admission.save(update_fields=[*fields, "phase", "updated_at"])
        if rescore:
            admission_rescore(admission=admission)
        else:
            admission_refresh(admission=admission)
    return admission


def admission_transfer(
    *, admission: Admission, by: User, ward: Ward, bed: str = "", at: datetime | None = None
) -> Admission:
    """Move a patient to another ward and/or bed; each move is kept."""
    _require_open(admission)
    if ward.organization_id != admission.ward.organization_id:
        raise ValidationError({"ward": "The ward belongs to another organisation."})
    if ward.archived:
        raise ValidationError({"ward": "This ward is archived."})
    if ward.pk == admission.ward_id and bed == admission.bed:
        raise ValidationError({"bed": "The patient is already in this bed."})
    at = at or timezone.now()
    if at > timezone.now() or at < admission.admitted_at:
        raise ValidationError({"at": "The move must be between admission and now."})
    old_ward = admission.ward
    with transaction.atomic():
        AdmissionMove.objects.create(
            admission=admission,
            from_ward=old_ward,
            from_bed=admission.bed,
            to_ward=ward,
            to_bed=bed,
            moved_at=at,
            moved_by=by,
        )
        admission.ward = ward
        admission.bed = bed
        recorded_by(admission, by)
        admission.save(update_fields=["ward", "bed", "updated_at"])
        events.admission_changed(admission, previous_ward_id=old_ward.pk)
    return admission


def admission_discharge(
    *, admission: Admission, by: User, outcome: str, at: datetime | None = None
) -> Admission:
    at = at or timezone.now()
    with transaction.atomic():
        # The same lock as observation_record: a set being recorded either lands before
        # the discharge or is refused after it.
        Admission.objects.select_for_update().filter(pk=admission.pk).first()
        admission.refresh_from_db()
        _require_open(admission)
        if at > timezone.now() or at < admission.admitted_at:
            raise ValidationError({"discharged_at": "Discharge must be between admission and now."})
        # Recording refuses times after the discharge; a back-dated discharge must not
        # leave observations or moves behind it either.
        if (
            admission.observations.valid().filter(recorded_at__gt=at).exists()
            or admission.moves.filter(moved_at__gt=at).exists()
        ):
            raise ValidationError(
                {"discharged_at": "The patient was observed or moved after this time."}
            )
        admission.discharged_at = at
        admission.outcome = outcome
        admission.full_clean(validate_constraints=False)
        recorded_by(admission, by)
        admission.save(update_fields=["discharged_at", "outcome", "updated_at"])
        events.admission_changed(admission)
    return admission


def admission_set_spo2_scale(*, admission: Admission, by: User, scale: int) -> Admission:
    """A physician's choice of SpO2 scale; applies to observations recorded from now on."""
    _require_open(admission)
    if scale not in (1, 2):
        raise ValidationError({"spo2_scale": "The SpO2 scale is 1 or 2."})
    admission.spo2_scale = scale
    admission.spo2_scale_set_by = by
    admission.spo2_scale_set_at = timezone.now()
    recorded_by(admission, by)
    admission.save(
        update_fields=["spo2_scale", "spo2_scale_set_by", "spo2_scale_set_at", "updated_at"]
    )
    events.admission_changed(admission)
    return admission


def admission_set_interval_override(
    *, admission: Admission, by: User, minutes: int | None, reason: str = ""
) -> Admission:
    """Set (or clear, with ``minutes=None``) a physician's monitoring interval."""
    _require_open(admission)
    if minutes is not None and not reason.strip():
        raise ValidationError({"interval_override_reason": "Give a reason for the override."})
    admission.interval_override_minutes = minutes
    admission.interval_override_reason = reason.strip() if minutes is not None else ""
    admission.interval_override_by = by
    admission.interval_override_at = timezone.now()
    recorded_by(admission, by)
    admission.save(
        update_fields=[
            "interval_override_minutes",
            "interval_override_reason",
            "interval_override_by",
            "interval_override_at",
            "updated_at",
        ]
    )
    admission_refresh(admission=admission)
    return admission


def admission_set_phase(*, admission: Admission, by: User, phase: str, note: str = "") -> Admission:
    """A physician sets the dengue phase; every change is kept with who and when."""
    _require_open(admission)
    if admission.protocol != Protocol.DENGUE:
        raise ValidationError({"phase": "Only dengue admissions have a phase."})
    if phase not in DenguePhase.values:
        raise ValidationError({"phase": f"Unknown phase {phase!r}."})
    if phase == admission.phase:
        raise ValidationError({"phase": "The admission is already in this phase."})
    with transaction.atomic():
        PhaseChange.objects.create(
            admission=admission,
            from_phase=admission.phase,
            to_phase=phase,
            note=note,
            changed_at=timezone.now(),
            changed_by=by,
        )
        admission.phase = phase
        recorded_by(admission, by)
        admission.save(update_fields=["phase", "updated_at"])
        admission_refresh(admission=admission)
    return admission


def admission_refresh(*, admission: Admission, publish: bool = True) -> Admission:
    """Recompute the admission's latest observation, trend and next due time."""
    latest_two = list(admission.observations.valid().order_by("-recorded_at", "-created_at")[:2])
    latest = latest_two[0] if latest_two else None
    admission.latest_observation = latest
    admission.previous_news2_total = latest_two[1].news2_total if len(latest_two) > 1 else None
    if latest is None:
        admission.next_due_at = admission.admitted_at
    else:
        due = assessment.due_for(
            admission=admission,
            organization=admission.ward.organization,
            recorded_at=latest.recorded_at,
            band=latest.news2_band or None,
            total=latest.news2_total,
            complete=latest.news2_complete,
        )
        admission.next_due_at = due.due_at
    # A new due time opens a new overdue period. Otherwise the sweep's mark is left alone
    # (decided in the database: this copy of the admission may predate the mark, and writing
    # it back would alert twice). Derived bookkeeping, not a change anyone made: one UPDATE,
    # no history row.
    due_unchanged = Q(next_due_at=admission.next_due_at)
    Admission.objects.filter(pk=admission.pk).update(
        latest_observation=latest,
        previous_news2_total=admission.previous_news2_total,
        next_due_at=admission.next_due_at,
        overdue_alerted_for=Case(
            When(due_unchanged, then=F("overdue_alerted_for")), default=Value(None)
        ),
    )
    if publish:
        events.admission_changed(admission)
    return admission


def admission_rescore(*, admission: Admission) -> int:
    """Recompute every observation's stored scores in time order (then the admission),
    each in the context the admission had when it was recorded: the phase and interval
    override of that moment, so that a rescore does not rewrite history with today's
    clinical decisions. Reads the admission's history once, not once per observation."""
    rules = load_rules([admission])[admission.pk]
    observations = list(admission.observations.order_by("recorded_at", "created_at"))
    contexts = _dengue_contexts(observations) if rules.base.dengue else {}
    count = 0
    for observation in observations:
        result = assessment.score(
            values=assessment.observation_values(observation),
            recorded_at=observation.recorded_at,
            spo2_scale=observation.spo2_scale,
            rules=rules.at(observation.recorded_at),
            context=contexts.get(observation.pk),
        )
        fields = result.model_fields()
        changed = [name for name, value in fields.items() if getattr(observation, name) != value]
        if changed:
            for name in changed:
                setattr(observation, name, fields[name])
            observation.save(update_fields=[*changed, "updated_at"])
            count += 1
    admission_refresh(admission=admission)
    return count


def _dengue_contexts(observations: list[Observation]) -> dict[Any, assessment.DengueContext]:
    """Each observation's ``assessment.dengue_context`` (the observation itself left out),
    from the admission's observations in time order instead of three queries each."""
    valid = [o for o in observations if o.status != ObservationStatus.ENTERED_IN_ERROR]
    # The first hematocrit of the others: the admission's first, or its second for the
    # first itself (whatever their times: ``score`` ignores a baseline from later on).
    hematocrits = [(o.pk, (o.recorded_at, o.hematocrit)) for o in valid if o.hematocrit is not None]
    timeline = assessment.DengueTimeline()
    contexts = {}
    for observation in observations:
        first_hct = next((hct for pk, hct in hematocrits[:2] if pk != observation.pk), None)
        # The timeline's lab and temperature count what came strictly before this moment.
        before = timeline.context(observation.recorded_at)
        contexts[observation.pk] = assessment.DengueContext(
            first_hct=first_hct, previous_lab=before.previous_lab, max_temp=before.max_temp
        )
        if observation.status != ObservationStatus.ENTERED_IN_ERROR:
            timeline.add(
                observation.recorded_at,
                observation.hematocrit,
                observation.platelets,
                observation.temperature,
            )
    return contexts


# Observations ------------------------------------------------------------------------


def _validate_time(admission: Admission, recorded_at: datetime) -> None:
    if recorded_at > timezone.now() + _CLOCK_SKEW:
        raise ValidationError({"recorded_at": "The time is in the future."})
    if recorded_at < admission.admitted_at:
        raise ValidationError({"recorded_at": "The time is before the admission."})
    if admission.discharged_at and recorded_at > admission.discharged_at:
        raise ValidationError({"recorded_at": "The time is after the discharge."})


# A bedside device's clock may run a little ahead of the server's.
_CLOCK_SKEW = timedelta(minutes=2)


def observation_preview(
    *, admission: Admission, values: dict[str, Any], recorded_at: datetime | None = None
) -> assessment.Assessment:
    """Score values without storing them (the form shows the score as the nurse types).

    Refuses what ``observation_record`` would refuse, so a preview never shows a score
    that recording the same set would not give."""
    _require_open(admission)
    recorded_at = recorded_at or timezone.now()
    _validate_time(admission, recorded_at)
    return assessment.assess(
        admission=admission,
        values=values,
        recorded_at=recorded_at,
        spo2_scale=admission.spo2_scale,
    )


_EMPTY_FOR_NULL: dict[str, Callable[[], Any]] = {
    "notes": str,
    "consciousness": str,
    "warning_signs": list,
}


def _locked(admission: Admission | uuid.UUID) -> Admission:
    """The admission (or the one with this id) read again with its row locked (FOR UPDATE,
    of the admission only), with the ward, organisation and patient the scoring reads: one
    query."""
    pk = admission if isinstance(admission, uuid.UUID) else admission.pk
    return (
        Admission.objects.select_for_update(of=("self",))
        .select_related("ward__organization", "patient")
        .get(pk=pk)
    )


def observation_record(
    *,
    admission: Admission | uuid.UUID,
    by: User,
    values: dict[str, Any],
    recorded_at: datetime | None = None,
) -> Observation:
    """Record one set of observations: score it, store it, update the board, publish.

    ``admission`` may be given by id: it is read again under a lock in any case."""
    recorded_at = recorded_at or timezone.now()
    if not any(values.get(name) not in (None, "", []) for name in assessment.VITAL_FIELDS):
        raise ValidationError({"non_field_errors": "Record at least one value."})
    with transaction.atomic():
        # Lock the admission and read it again under the lock: a discharge, SpO2 scale,
        # phase or override saved while this request was on its way must apply to it.
        admission = _locked(admission)
        _require_open(admission)
        _validate_time(admission, recorded_at)
        result = assessment.assess(
            admission=admission,
            values=values,
            recorded_at=recorded_at,
            spo2_scale=admission.spo2_scale,
        )
        vitals = {name: values[name] for name in assessment.VITAL_FIELDS if name in values}
        # These columns are not nullable: a value sent as null is stored empty.
        for name, empty in _EMPTY_FOR_NULL.items():
            if name in vitals and vitals[name] is None:
                vitals[name] = empty()
        observation = Observation(
            admission=admission,
            recorded_at=recorded_at,
            recorded_by=by,
            spo2_scale=admission.spo2_scale,
            **vitals,
            **result.model_fields(),
        )
        observation.full_clean(validate_constraints=False)
        recorded_by(observation, by)
        observation.save()
        admission_refresh(admission=admission, publish=False)
        events.observation_event("observation.recorded", observation)
    return observation


def observation_amend(
    *, observation: Observation, by: User, changes: dict[str, Any], reason: str
) -> Observation:
    """Correct an observation. The old version stays in the history; scores are recomputed."""
    if observation.status == ObservationStatus.ENTERED_IN_ERROR:
        raise Conflict("An observation marked entered-in-error cannot be amended.")
    if not reason.strip():
        raise ValidationError({"reason": "Give a reason for the amendment."})
    admission = observation.admission
    with transaction.atomic():
        recorded_at = changes.pop("recorded_at", observation.recorded_at)
        _validate_time(admission, recorded_at)
        observation.recorded_at = recorded_at
        for name, value in changes.items():
            setattr(observation, name, value)
        result = assessment.assess(
            admission=admission,
            values=assessment.observation_values(observation),
            recorded_at=recorded_at,
            spo2_scale=observation.spo2_scale,
            exclude_id=observation.pk,
        )
        for name, value in result.model_fields().items():
            setattr(observation, name, value)
        observation.status = ObservationStatus.AMENDED
        observation.status_reason = reason.strip()
        observation.status_changed_at = timezone.now()
        observation.status_changed_by = by
        observation.full_clean(validate_constraints=False)
        recorded_by(observation, by)
        observation.save()
        admission_refresh(admission=admission, publish=False)
        events.observation_event("observation.amended", observation)
    return observation


def observation_mark_entered_in_error(
    *, observation: Observation, by: User, reason: str
) -> Observation:
    """Mark a wrong entry; it stays in the record, struck out, and stops counting."""
    if observation.status == ObservationStatus.ENTERED_IN_ERROR:
        raise Conflict("This observation is already marked entered-in-error.")
    if not reason.strip():
        raise ValidationError({"reason": "Give a reason."})
    with transaction.atomic():
        observation.status = ObservationStatus.ENTERED_IN_ERROR
        observation.status_reason = reason.strip()
        observation.status_changed_at = timezone.now()
        observation.status_changed_by = by
        recorded_by(observation, by)
        observation.save()
        admission_refresh(admission=observation.admission, publish=False)
        events.observation_event("observation.amended", observation)
    return observation
