"""Patients, admissions, moves, dengue phase changes and observations.

Scores are stored with each observation (``news2_*``, ``dengue_*``, ``next_due_at``) so the
board and the history read them without recomputation; ``manage.py rescore`` recomputes
them when the tables change. The admission keeps a pointer to its latest valid observation
for the same reason: the ward board is one query over admissions.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

if TYPE_CHECKING:
    from django.db.models.expressions import Combinable
    from django_stubs_ext import StrOrPromise

from careboard.organizations.models import Organization, Ward


class Sex(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other")
    UNKNOWN = "unknown", _("Unknown")


class PatientQuerySet(models.QuerySet["Patient"]):
    def search(self, term: str) -> PatientQuerySet:
        """Match every word of ``term`` against the given name, family name or MRN."""
        qs = self
        for word in term.split():
            qs = qs.filter(
                Q(given_name__icontains=word)
                | Q(family_name__icontains=word)
                | Q(mrn__iexact=word)
                | Q(mrn__istartswith=word)
            )
        return qs


class Patient(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="patients"
    )
    mrn = models.CharField(_("hospital number (MRN)"), max_length=40)
    given_name = models.CharField(_("given name"), max_length=120)
    family_name = models.CharField(_("family name"), max_length=120)
    birth_date = models.DateField(_("date of birth"))
    sex = models.CharField(_("sex"), max_length=10, choices=Sex.choices)
    preferred_language = models.CharField(_("preferred language"), max_length=10, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PatientQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ("family_name", "given_name", "mrn")
        constraints = [
            # "h-1001" and "H-1001" are one hospital number.
            models.UniqueConstraint("organization", Lower("mrn"), name="patient_unique_mrn_ci"),
            models.CheckConstraint(condition=Q(sex__in=Sex.values), name="patient_sex_valid"),
        ]
        indexes = [models.Index(fields=["organization", "family_name", "given_name"])]

    def __str__(self) -> str:
        return f"{self.family_name}, {self.given_name} ({self.mrn})"

    def age_on(self, day: date) -> int:
        """Age in whole years on ``day``."""
        before_birthday = (day.month, day.day) < (self.birth_date.month, self.birth_date.day)
        return day.year - self.birth_date.year - int(before_birthday)


class Protocol(models.TextChoices):
    GENERAL = "general", _("General")
    DENGUE = "dengue", _("Dengue")


class DenguePhase(models.TextChoices):
    FEBRILE = "febrile", _("Febrile")
    CRITICAL = "critical", _("Critical")
    RECOVERY = "recovery", _("Recovery")


class Outcome(models.TextChoices):
    HOME = "home", _("Discharged home")
    TRANSFERRED = "transferred", _("Transferred to another facility")
    AGAINST_ADVICE = "against_advice", _("Left against medical advice")
    DECEASED = "deceased", _("Deceased")
    OTHER = "other", _("Other")


class AdmissionQuerySet(models.QuerySet["Admission"]):
    def current(self) -> AdmissionQuerySet:
        return self.filter(discharged_at__isnull=True)


class Admission(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="admissions")
    ward = models.ForeignKey(Ward, on_delete=models.PROTECT, related_name="admissions")
    bed = models.CharField(_("bed"), max_length=20, blank=True)
    admitted_at = models.DateTimeField(_("admitted at"))
    discharged_at = models.DateTimeField(_("discharged at"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    protocol = models.CharField(
        _("protocol"), max_length=10, choices=Protocol.choices, default=Protocol.GENERAL
    )
    pregnant = models.BooleanField(_("pregnant"), default=False)
    attending_physician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="attending_admissions",
    )
    # SpO2 scale 2 (hypercapnic respiratory failure) is a physician's decision, kept with
    # who and when (RCP 2017: "only on the instruction of a competent clinical decision-maker").
    spo2_scale = models.PositiveSmallIntegerField(
        _("SpO2 scale"), choices=[(1, "1"), (2, "2")], default=1
    )
    spo2_scale_set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    spo2_scale_set_at = models.DateTimeField(null=True, blank=True)
    interval_override_minutes = models.PositiveIntegerField(null=True, blank=True)
    interval_override_reason = models.CharField(max_length=300, blank=True)
    interval_override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    interval_override_at = models.DateTimeField(null=True, blank=True)
    phase = models.CharField(
        _("dengue phase"), max_length=10, choices=DenguePhase.choices, blank=True
    )
    # Denormalised from the observations (kept by the services) so the board needs no
    # per-row queries: the latest valid observation, the one before it, and when next due.
    latest_observation = models.ForeignKey(
        "Observation", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    previous_news2_total = models.SmallIntegerField(null=True, blank=True)
    next_due_at = models.DateTimeField(null=True, blank=True)
    # The overdue period an alert was last sent for (so the sweep alerts once per period).
    overdue_alerted_for = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AdmissionQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["latest_observation", "updated_at"])

    class Meta:
        ordering = ("-admitted_at",)
        constraints = [
            models.UniqueConstraint(
                fields=["patient"],
                condition=Q(discharged_at__isnull=True),
                name="admission_one_open_per_patient",
            ),
            models.CheckConstraint(
                condition=Q(discharged_at__isnull=True)
                | Q(discharged_at__gte=models.F("admitted_at")),
                name="admission_discharge_after_admit",
            ),
            models.CheckConstraint(
                condition=Q(protocol__in=Protocol.values), name="admission_protocol_valid"
            ),
            models.CheckConstraint(condition=Q(spo2_scale__in=[1, 2]), name="admission_spo2_scale"),
        ]
        indexes = [
            # The board: current admissions of a ward.
            models.Index(
                fields=["ward"], condition=Q(discharged_at__isnull=True), name="admission_open_ward"
            ),
            # The overdue sweep.
            models.Index(
                fields=["next_due_at"],
                condition=Q(discharged_at__isnull=True),
                name="admission_open_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.patient} in {self.ward} since {self.admitted_at:%Y-%m-%d}"

    @property
    def is_current(self) -> bool:
        return self.discharged_at is None


class AdmissionMove(models.Model):
    """One transfer within the organisation (ward and/or bed), kept for the timeline."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    admission = models.ForeignKey(Admission, on_delete=models.CASCADE, related_name="moves")
    from_ward = models.ForeignKey(Ward, on_delete=models.PROTECT, related_name="+")
    from_bed = models.CharField(max_length=20, blank=True)
    to_ward = models.ForeignKey(Ward, on_delete=models.PROTECT, related_name="+")
    to_bed = models.CharField(max_length=20, blank=True)
    moved_at = models.DateTimeField()
    moved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ("moved_at",)

    def __str__(self) -> str:
        return f"{self.from_ward}/{self.from_bed} → {self.to_ward}/{self.to_bed}"


class PhaseChange(models.Model):
    """A physician's setting of the dengue phase; every change is kept."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    admission = models.ForeignKey(Admission, on_delete=models.CASCADE, related_name="phase_changes")
    from_phase = models.CharField(max_length=10, choices=DenguePhase.choices, blank=True)
    to_phase = models.CharField(max_length=10, choices=DenguePhase.choices)
    note = models.CharField(max_length=300, blank=True)
    changed_at = models.DateTimeField()
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ("changed_at",)

    def __str__(self) -> str:
        return f"{self.from_phase or '-'} → {self.to_phase}"


class Consciousness(models.TextChoices):
    ALERT = "A", _("Alert")
    CONFUSION = "C", _("New confusion")
    VOICE = "V", _("Responds to voice")
    PAIN = "P", _("Responds to pain")
    UNRESPONSIVE = "U", _("Unresponsive")


class ObservationStatus(models.TextChoices):
    FINAL = "final", _("Final")
    AMENDED = "amended", _("Amended")
    ENTERED_IN_ERROR = "entered_in_error", _("Entered in error")


class Shift(models.TextChoices):
    DAY = "D", _("Day")
    EVENING = "E", _("Evening")
    NIGHT = "N", _("Night")


def _vital(
    verbose: StrOrPromise, digits: int = 5, places: int = 1
) -> models.DecimalField[Decimal | float | int | str | Combinable | None, Decimal | None]:
    return models.DecimalField(
        verbose, max_digits=digits, decimal_places=places, null=True, blank=True
    )


def _fluid(
    verbose: StrOrPromise,
) -> models.PositiveIntegerField[float | int | str | Combinable | None, int | None]:
    return models.PositiveIntegerField(verbose, null=True, blank=True)


class ObservationQuerySet(models.QuerySet["Observation"]):
    def valid(self) -> ObservationQuerySet:
        """Observations that count: not marked entered-in-error."""
        return self.exclude(status=ObservationStatus.ENTERED_IN_ERROR)


class Observation(models.Model):
    """One set of bedside observations, with the scores it produced."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # No index of its own: observation_adm_time starts with the admission.
    admission = models.ForeignKey(
        Admission, on_delete=models.PROTECT, related_name="observations", db_index=False
    )
    recorded_at = models.DateTimeField(_("recorded at"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    shift = models.CharField(max_length=1, choices=Shift.choices)
    # The SpO2 scale in force when recorded: a later change of scale does not rewrite history.
    spo2_scale = models.PositiveSmallIntegerField(default=1)

    temperature = _vital(_("temperature (°C)"), 4, 1)
    heart_rate = _vital(_("heart rate (/min)"))
    respiratory_rate = _vital(_("respiratory rate (/min)"))
    systolic_bp = _vital(_("systolic BP (mmHg)"))
    diastolic_bp = _vital(_("diastolic BP (mmHg)"))
    spo2 = _vital(_("SpO2 (%)"), 4, 1)
    on_oxygen = models.BooleanField(_("on oxygen"), null=True, blank=True)
    oxygen_flow = _vital(_("oxygen flow (L/min)"), 4, 1)
    consciousness = models.CharField(
        _("consciousness (ACVPU)"), max_length=1, choices=Consciousness.choices, blank=True
    )
    pain_score = models.PositiveSmallIntegerField(_("pain (0-10)"), null=True, blank=True)
    fluid_in_oral = _fluid(_("oral intake (mL)"))
    fluid_in_iv = _fluid(_("IV intake (mL)"))
    fluid_in_other = _fluid(_("other intake (mL)"))
    fluid_out_urine = _fluid(_("urine (mL)"))
    fluid_out_vomit = _fluid(_("vomit (mL)"))
    fluid_out_drain = _fluid(_("drain (mL)"))
    fluid_out_other = _fluid(_("other output (mL)"))
    weight = _vital(_("weight (kg)"), 5, 2)
    hematocrit = _vital(_("hematocrit (%)"), 4, 1)
    platelets = _vital(_("platelets (×10⁹/L)"), 6, 1)
    wbc = _vital(_("WBC (×10⁹/L)"), 5, 2)
    warning_signs = models.JSONField(_("dengue warning signs"), default=list, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    # Scores, as computed when recorded (or last amended / rescored).
    news2_total = models.SmallIntegerField(null=True, blank=True)
    news2_band = models.CharField(max_length=12, blank=True)
    news2_single_3 = models.BooleanField(default=False)
    news2_complete = models.BooleanField(default=False)
    news2 = models.JSONField(default=dict)
    dengue_class = models.CharField(max_length=24, blank=True)
    dengue = models.JSONField(null=True, blank=True)
    next_due_at = models.DateTimeField(null=True, blank=True)
    due = models.JSONField(default=dict)
    suggests_critical_phase = models.BooleanField(default=False)

    status = models.CharField(
        max_length=20, choices=ObservationStatus.choices, default=ObservationStatus.FINAL
    )
    status_reason = models.CharField(max_length=300, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    # Indexed only where set (below): almost every observation has none, and a full index
    # would take an entry for each one written.
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ObservationQuerySet.as_manager()
    # The history is read by admission (timeline, erasure, generator) and by
    # observation id (erasure); nothing looks history rows up by who recorded or
    # withdrew them, and each index costs every history row written (the bulk import).
    history = HistoricalRecords(no_db_index=["recorded_by", "status_changed_by"])

    class Meta:
        ordering = ("-recorded_at",)
        indexes = [
            # Charts, history and "latest observation": by admission in time order.
            models.Index(fields=["admission", "recorded_at"], name="observation_adm_time"),
            # Erasing a user sets their withdrawals to NULL: found by this small index.
            models.Index(
                fields=["status_changed_by"],
                condition=Q(status_changed_by__isnull=False),
                name="observation_status_by",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ObservationStatus.values), name="observation_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Observation {self.recorded_at:%Y-%m-%d %H:%M} ({self.admission_id})"
