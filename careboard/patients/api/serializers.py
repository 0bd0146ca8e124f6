"""Patients, admissions and observations: input validation and output shapes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from careboard.core.representation import Representation
from careboard.organizations.api.scoping import ScopedPrimaryKeyRelatedField
from careboard.organizations.models import Organization, Ward
from careboard.organizations.roles import Capability, Role
from careboard.patients.assessment import VITAL_FIELDS
from careboard.patients.models import (
    Admission,
    AdmissionMove,
    Consciousness,
    DenguePhase,
    Observation,
    Outcome,
    Patient,
    PhaseChange,
    Protocol,
    Shift,
)
from careboard.patients.scoring import WARNING_SIGN_CODES
from careboard.users.models import User


class CurrentAdmissionSerializer(
    serializers.Serializer[dict[str, Any]]
):  # describes the dict get_current_admission builds
    """A patient's open admission, as the patient list shows it."""

    id = serializers.UUIDField()
    ward = serializers.UUIDField()
    ward_name = serializers.CharField()
    bed = serializers.CharField(allow_blank=True)
    admitted_at = serializers.DateTimeField()


class PatientSerializer(serializers.ModelSerializer[Patient]):
    # Scoped to what the caller sees; whether their role may write there is the view's
    # check (403), so a viewer is not told that their own organisation "does not exist".
    organization = ScopedPrimaryKeyRelatedField(
        capability=Capability.PATIENT_VIEW,
        org_field="pk",
        queryset=Organization.objects.all(),
        required=False,
        help_text="Needed only when the caller belongs to several organisations.",
    )
    current_admission = serializers.SerializerMethodField()

    class Meta:
        model = Patient
        fields = (
            "id",
            "organization",
            "mrn",
            "given_name",
            "family_name",
            "birth_date",
            "sex",
            "preferred_language",
            "phone",
            "email",
            "current_admission",
            "created_at",
            "updated_at",
        )
        read_only_fields = ("id", "created_at", "updated_at")
        # Uniqueness of the MRN is checked by the service, within the organisation.
        validators: list[Any] = []

    @extend_schema_field(CurrentAdmissionSerializer(allow_null=True))
    def get_current_admission(self, patient: Patient) -> dict[str, Any] | None:
        current = getattr(patient, "current_admissions", None)
        if current is None:
            current = [a for a in patient.admissions.all() if a.discharged_at is None]
        if not current:
            return None
        admission = current[0]
        return {
            "id": str(admission.pk),
            "ward": str(admission.ward_id),
            "ward_name": admission.ward.name,
            "bed": admission.bed,
            "admitted_at": admission.admitted_at.isoformat(),
        }

    def validate_mrn(self, value: str) -> str:
        value = value.strip()
        if not value:
            raise serializers.ValidationError("This field may not be blank.")
        return value

    def validate_birth_date(self, value: Any) -> Any:
        if value > timezone.localdate():
            raise serializers.ValidationError("The date of birth is in the future.")
        if value.year < 1880:
            raise serializers.ValidationError("The date of birth is implausibly early.")
        return value


class UserRefSerializer(serializers.Serializer[User]):
    id = serializers.UUIDField(source="public_id")
    name = serializers.CharField(source="get_full_name")


class AdmissionSerializer(serializers.ModelSerializer[Admission]):
    patient = ScopedPrimaryKeyRelatedField(
        capability=Capability.PATIENT_VIEW, queryset=Patient.objects.all()
    )
    ward = ScopedPrimaryKeyRelatedField(
        capability=Capability.PATIENT_VIEW, queryset=Ward.objects.all()
    )
    attending_physician = serializers.SlugRelatedField(
        slug_field="public_id",
        queryset=User.objects.all(),
        required=False,
        allow_null=True,
        help_text="The user id (from /api/v1/me/ or memberships) of a physician.",
    )
    spo2_scale_set_by = UserRefSerializer(read_only=True, allow_null=True)
    interval_override_by = UserRefSerializer(read_only=True, allow_null=True)
    # Declared because a field made read-only through Meta loses ``allow_blank``, and the
    # schema would then leave out the "" an open (outcome) or non-dengue (phase) admission has.
    outcome = serializers.ChoiceField(
        choices=Outcome.choices, read_only=True, allow_blank=True, help_text="Empty while open."
    )
    phase = serializers.ChoiceField(
        choices=DenguePhase.choices,
        read_only=True,
        allow_blank=True,
        help_text="Empty unless the protocol is dengue.",
    )

    class Meta:
        model = Admission
        fields = (
            "id",
            "patient",
            "ward",
            "bed",
            "admitted_at",
            "discharged_at",
            "outcome",
            "protocol",
            "pregnant",
            "phase",
            "attending_physician",
            "spo2_scale",
            "spo2_scale_set_by",
            "spo2_scale_set_at",
            "interval_override_minutes",
            "interval_override_reason",
            "interval_override_by",
            "interval_override_at",
            "next_due_at",
            "created_at",
            "updated_at",
        )
        extra_kwargs = {"admitted_at": {"required": False, "help_text": "Defaults to now."}}
        read_only_fields = (
            "id",
            "discharged_at",
            "outcome",
            "phase",
            "spo2_scale",
            "spo2_scale_set_at",
            "interval_override_minutes",
            "interval_override_reason",
            "interval_override_at",
            "next_due_at",
            "created_at",
            "updated_at",
        )
        validators: list[Any] = []

    def validate_attending_physician(self, user: User | None) -> User | None:
        ward = self.initial_data.get("ward") if isinstance(self.initial_data, dict) else None
        org_id = self.instance.ward.organization_id if self.instance else None
        if org_id is None and ward:
            try:
                org_id = (
                    Ward.objects.filter(pk=ward).values_list("organization_id", flat=True).first()
                )
            except DjangoValidationError:  # not a UUID: the ward field reports it
                org_id = None
        return _physician_of(user, org_id)


def _physician_of(user: User | None, organization_id: Any) -> User | None:
    """``user`` if they are a physician of the organisation (None stays None)."""
    if user is None:
        return None
    if not user.memberships.filter(organization_id=organization_id, role=Role.PHYSICIAN).exists():
        raise serializers.ValidationError("Choose a physician of this organisation.")
    return user


class AdmissionUpdateSerializer(serializers.Serializer[Any]):  # input only: no instance
    """Editable details of an open admission. Clinical fields need a physician."""

    protocol = serializers.ChoiceField(choices=Protocol.choices, required=False)
    pregnant = serializers.BooleanField(required=False)
    attending_physician = serializers.SlugRelatedField(
        slug_field="public_id", queryset=User.objects.all(), required=False, allow_null=True
    )
    spo2_scale = serializers.ChoiceField(choices=[1, 2], required=False)
    interval_override_minutes = serializers.IntegerField(
        min_value=5, max_value=7 * 24 * 60, required=False, allow_null=True
    )
    interval_override_reason = serializers.CharField(
        max_length=300, required=False, allow_blank=True
    )

    CLINICAL_FIELDS = ("spo2_scale", "interval_override_minutes", "interval_override_reason")

    def validate_attending_physician(self, user: User | None) -> User | None:
        admission: Admission = self.context["admission"]
        return _physician_of(user, admission.ward.organization_id)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs:
            raise serializers.ValidationError("Send at least one field to change.")
        if (
            attrs.get("interval_override_minutes")
            and not (attrs.get("interval_override_reason") or "").strip()
        ):
            raise serializers.ValidationError(
                {"interval_override_reason": ["Give a reason for the override."]}
            )
        return attrs


class TransferSerializer(serializers.Serializer[Any]):  # input only: no instance
    ward = ScopedPrimaryKeyRelatedField(
        capability=Capability.PATIENT_VIEW, queryset=Ward.objects.all()
    )
    bed = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    at = serializers.DateTimeField(required=False)


class DischargeSerializer(serializers.Serializer[Any]):  # input only: no instance
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    discharged_at = serializers.DateTimeField(required=False)


class PhaseSerializer(serializers.Serializer[Any]):  # input only: no instance
    phase = serializers.ChoiceField(choices=DenguePhase.choices)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class AdmissionMoveSerializer(serializers.ModelSerializer[AdmissionMove]):
    moved_by = UserRefSerializer(read_only=True)

    class Meta:
        model = AdmissionMove
        fields = ("id", "from_ward", "from_bed", "to_ward", "to_bed", "moved_at", "moved_by")


class PhaseChangeSerializer(serializers.ModelSerializer[PhaseChange]):
    changed_by = UserRefSerializer(read_only=True)

    class Meta:
        model = PhaseChange
        fields = ("id", "from_phase", "to_phase", "note", "changed_at", "changed_by")


def _dec(max_digits: int, places: int, low: str, high: str, **kw: Any) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=max_digits,
        decimal_places=places,
        min_value=Decimal(low),
        max_value=Decimal(high),
        required=False,
        allow_null=True,
        coerce_to_string=False,
        **kw,
    )


def _ml() -> serializers.IntegerField:
    return serializers.IntegerField(min_value=0, max_value=20000, required=False, allow_null=True)


class ObservationValuesSerializer(serializers.Serializer[Any]):  # input only: no instance
    """One set of observations. Limits are physiological extremes ever recorded in living
    patients (wide on purpose: a real reading must never be refused), so only impossible
    values are rejected."""

    temperature = _dec(4, 1, "10.0", "46.0", help_text="°C")
    heart_rate = _dec(4, 1, "0", "350", help_text="beats per minute")
    respiratory_rate = _dec(4, 1, "0", "90", help_text="breaths per minute")
    systolic_bp = _dec(4, 1, "0", "350", help_text="mmHg")
    diastolic_bp = _dec(4, 1, "0", "250", help_text="mmHg")
    spo2 = _dec(4, 1, "0", "100", help_text="%")
    # No default: an amendment that does not mention oxygen must keep the stored value.
    on_oxygen = serializers.BooleanField(required=False, allow_null=True)
    oxygen_flow = _dec(4, 1, "0", "80", help_text="L/min")
    consciousness = serializers.ChoiceField(
        choices=Consciousness.choices, required=False, allow_null=True, allow_blank=True
    )
    pain_score = serializers.IntegerField(
        min_value=0, max_value=10, required=False, allow_null=True
    )
    fluid_in_oral = _ml()
    fluid_in_iv = _ml()
    fluid_in_other = _ml()
    fluid_out_urine = _ml()
    fluid_out_vomit = _ml()
    fluid_out_drain = _ml()
    fluid_out_other = _ml()
    weight = _dec(5, 2, "0.2", "700", help_text="kg")
    hematocrit = _dec(4, 1, "5", "85", help_text="%")
    platelets = _dec(6, 1, "0", "3000", help_text="×10⁹/L")
    wbc = _dec(5, 2, "0", "500", help_text="×10⁹/L")
    warning_signs = serializers.ListField(
        child=serializers.ChoiceField(choices=WARNING_SIGN_CODES),
        required=False,
        allow_empty=True,
        max_length=len(WARNING_SIGN_CODES),
    )
    notes = serializers.CharField(max_length=2000, required=False, allow_blank=True)

    def validate_warning_signs(self, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise serializers.ValidationError("A warning sign is listed twice.")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        errors: dict[str, list[str]] = {}
        merged = {**self.current_values(), **attrs}
        systolic, diastolic = merged.get("systolic_bp"), merged.get("diastolic_bp")
        if systolic is not None and diastolic is not None and diastolic > systolic:
            errors["diastolic_bp"] = ["The diastolic pressure is above the systolic."]
        flow = merged.get("oxygen_flow")
        if flow and merged.get("on_oxygen") is False:
            errors["oxygen_flow"] = ["An oxygen flow is given but the patient is on air."]
        if errors:
            raise serializers.ValidationError(errors)
        if attrs.get("consciousness") is None and "consciousness" in attrs:
            attrs["consciousness"] = ""
        return attrs

    def current_values(self) -> dict[str, Any]:
        """Values already stored (for an amendment's cross-field checks)."""
        return {}


class ObservationRecordSerializer(ObservationValuesSerializer):
    recorded_at = serializers.DateTimeField(required=False, help_text="Defaults to now.")


class ObservationAmendSerializer(ObservationValuesSerializer):
    recorded_at = serializers.DateTimeField(required=False)
    reason = serializers.CharField(max_length=300, help_text="Why the values are corrected.")

    def current_values(self) -> dict[str, Any]:
        observation = self.context.get("observation")
        if observation is None:
            return {}
        return {
            name: getattr(observation, name)
            for name in ("systolic_bp", "diastolic_bp", "oxygen_flow", "on_oxygen")
        }


class ReasonSerializer(serializers.Serializer[Any]):  # input only: no instance
    reason = serializers.CharField(max_length=300)


class ObservationSerializer(serializers.ModelSerializer[Observation]):
    recorded_by = UserRefSerializer(read_only=True)
    status_changed_by = UserRefSerializer(read_only=True, allow_null=True)
    # Declared for its "" (not assessed): see AdmissionSerializer.outcome.
    consciousness = serializers.ChoiceField(
        choices=Consciousness.choices, read_only=True, allow_blank=True
    )
    news2 = serializers.JSONField(read_only=True)
    dengue = serializers.JSONField(read_only=True)
    due = serializers.JSONField(read_only=True)

    class Meta:
        model = Observation
        fields = (
            "id",
            "admission",
            "recorded_at",
            "recorded_by",
            "shift",
            "spo2_scale",
            # The recorded values, in the order of the API (one list: assessment.VITAL_FIELDS).
            *VITAL_FIELDS,
            "news2",
            "dengue",
            "next_due_at",
            "due",
            "suggests_critical_phase",
            "status",
            "status_reason",
            "status_changed_at",
            "status_changed_by",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields


# One observation in a response (record, amend, entered-in-error): the fields built once.
observation_data = Representation(ObservationSerializer)


class FluidTotalsSerializer(serializers.Serializer[dict[str, Any]]):
    in_ml = serializers.IntegerField()
    out_ml = serializers.IntegerField()
    balance_ml = serializers.IntegerField()
    has_data = serializers.BooleanField()


class ShiftFluidBalanceSerializer(FluidTotalsSerializer):
    shift = serializers.ChoiceField(choices=Shift.choices)
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()


class FluidBalanceSerializer(serializers.Serializer[dict[str, Any]]):
    last_24h = FluidTotalsSerializer()
    shifts = ShiftFluidBalanceSerializer(many=True, help_text="Newest first.")


class ObservationPageSerializer(serializers.Serializer[dict[str, Any]]):
    """A cursor page of an admission's observations, newest first, with its fluid balance."""

    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = ObservationSerializer(many=True)
    fluid_balance = FluidBalanceSerializer()


class PreviewSerializer(serializers.Serializer[dict[str, Any]]):
    shift = serializers.CharField()
    news2 = serializers.JSONField()
    dengue = serializers.JSONField(allow_null=True)
    next_due_at = serializers.DateTimeField()
    due = serializers.JSONField()
    suggests_critical_phase = serializers.BooleanField()
