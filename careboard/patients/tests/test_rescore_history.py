"""A rescore recomputes each observation in the context it was recorded in."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from careboard.patients import services
from careboard.patients.tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

LOW_SET = {
    "respiratory_rate": 18,
    "spo2": 97,
    "on_oxygen": False,
    "systolic_bp": 120,
    "heart_rate": 95,
    "consciousness": "A",
    "temperature": Decimal("37.0"),
}  # NEWS2 1: due in 4 h


def test_rescore_keeps_the_phase_an_observation_was_recorded_in(ward, nurse, physician):
    now = timezone.now()
    patient = PatientFactory.create(organization=ward.organization)
    admission = services.admission_admit(
        patient=patient,
        ward=ward,
        by=nurse,
        protocol="dengue",
        admitted_at=now - timedelta(hours=6),
    )
    febrile = services.observation_record(
        admission=admission, by=nurse, values=LOW_SET, recorded_at=now - timedelta(hours=5)
    )
    services.admission_set_phase(admission=admission, by=physician, phase="critical")
    critical = services.observation_record(admission=admission, by=nurse, values=LOW_SET)
    assert (febrile.due["interval_minutes"], critical.due["interval_minutes"]) == (240, 120)

    services.admission_rescore(admission=admission)

    febrile.refresh_from_db()
    critical.refresh_from_db()
    assert febrile.due["interval_minutes"] == 240
    assert critical.due["interval_minutes"] == 120
