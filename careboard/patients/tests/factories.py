"""Test data for patients, admissions and observations.

Patients come from a plain model factory; admissions and observations carry scores and
denormalised board fields, so tests build them through the services (``admit``,
``record``) to get exactly what the API would have stored.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import factory
from django.utils import timezone

from careboard.organizations.models import Ward
from careboard.organizations.tests.factories import OrganizationFactory
from careboard.patients import services
from careboard.patients.models import Admission, Observation, Patient, Sex
from careboard.users.models import User

# A complete set scoring NEWS2 0 (every parameter in its 0 row).
VITALS_SCORE_0: dict[str, Any] = {
    "respiratory_rate": 16,
    "spo2": 97,
    "on_oxygen": False,
    "systolic_bp": 125,
    "diastolic_bp": 80,
    "heart_rate": 72,
    "consciousness": "A",
    "temperature": 36.8,
}

# A complete set worth 6, medium: RR 22 (2), SpO2 95 (1), air (0), SBP 105 (1),
# HR 95 (1), alert (0), 38.5 °C (1).
VITALS_MEDIUM_6: dict[str, Any] = {
    "respiratory_rate": 22,
    "spo2": 95,
    "on_oxygen": False,
    "systolic_bp": 105,
    "diastolic_bp": 70,
    "heart_rate": 95,
    "consciousness": "A",
    "temperature": 38.5,
}

# A complete set worth 8, high: RR 26 (3), SpO2 91 (3), oxygen (2), otherwise 0.
VITALS_HIGH_8: dict[str, Any] = {
    **VITALS_SCORE_0,
    "respiratory_rate": 26,
    "spo2": 91,
    "on_oxygen": True,
    "oxygen_flow": 2,
}


def vitals(base: dict[str, Any] | None = None, **overrides: Any) -> dict[str, Any]:
    """A copy of ``base`` (default: the NEWS2-0 set) with ``overrides`` applied."""
    return {**(VITALS_SCORE_0 if base is None else base), **overrides}


class PatientFactory(factory.django.DjangoModelFactory[Patient]):
    class Meta:
        model = Patient

    organization = factory.SubFactory(OrganizationFactory)
    mrn = factory.Sequence(lambda n: f"MRN{n:06d}")
    given_name = factory.Sequence(lambda n: f"Given{n}")
    family_name = factory.Sequence(lambda n: f"Family{n}")
    birth_date = dt.date(1960, 5, 17)
    sex = Sex.FEMALE
    preferred_language = "en"


def admit(
    *,
    ward: Ward,
    by: User,
    patient: Patient | None = None,
    hours_ago: float = 24,
    **kwargs: Any,
) -> Admission:
    """Admit ``patient`` (a new one of the ward's organisation by default) ``hours_ago``."""
    patient = patient or PatientFactory.create(organization=ward.organization)
    return services.admission_admit(
        patient=patient,
        ward=ward,
        by=by,
        admitted_at=timezone.now() - dt.timedelta(hours=hours_ago),
        **kwargs,
    )


def record(
    admission: Admission,
    *,
    by: User,
    at: dt.datetime | None = None,
    minutes_ago: float | None = None,
    **values: Any,
) -> Observation:
    """Record one set through the service (the NEWS2-0 set when no values are given)."""
    if at is None and minutes_ago is not None:
        at = timezone.now() - dt.timedelta(minutes=minutes_ago)
    # As the serializer would hand them over: decimals, not floats.
    cleaned = {
        name: Decimal(str(value)) if isinstance(value, float) else value
        for name, value in (values or vitals()).items()
    }
    return services.observation_record(admission=admission, by=by, values=cleaned, recorded_at=at)
