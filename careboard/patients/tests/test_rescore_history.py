"""A rescore recomputes each observation in the context it was recorded in."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from careboard.patients import assessment, services
from careboard.patients.models import Admission, Observation
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

# What ``Assessment.model_fields`` stores on an observation.
SCORE_FIELDS = (
    "shift",
    "news2_total",
    "news2_band",
    "news2_single_3",
    "news2_complete",
    "news2",
    "dengue_class",
    "dengue",
    "next_due_at",
    "due",
    "suggests_critical_phase",
)


def admit(ward: Any, nurse: Any, protocol: str = "general", hours_ago: float = 6) -> Admission:
    return services.admission_admit(
        patient=PatientFactory.create(organization=ward.organization),
        ward=ward,
        by=nurse,
        protocol=protocol,
        admitted_at=timezone.now() - timedelta(hours=hours_ago),
    )


def record(
    admission: Admission, nurse: Any, at: datetime | None = None, **values: Any
) -> Observation:
    return services.observation_record(
        admission=admission, by=nurse, values={**LOW_SET, **values}, recorded_at=at
    )


def stored_scores(admission: Admission) -> list[dict[str, Any]]:
    return [
        {name: getattr(observation, name) for name in SCORE_FIELDS}
        for observation in admission.observations.order_by("recorded_at", "created_at")
    ]


def tamper(admission: Admission) -> None:
    """Break the stored scores the way a changed rule table would leave them."""
    Observation.objects.filter(admission=admission).update(
        news2_total=99,
        next_due_at=None,
        due={},
        dengue_class="",
        dengue=None,
        suggests_critical_phase=False,
    )


def test_rescore_keeps_the_phase_an_observation_was_recorded_in(ward, nurse, physician):
    admission = admit(ward, nurse, protocol="dengue")
    febrile = record(admission, nurse, at=timezone.now() - timedelta(hours=5))
    services.admission_set_phase(admission=admission, by=physician, phase="critical")
    critical = record(admission, nurse)
    assert (febrile.due["interval_minutes"], critical.due["interval_minutes"]) == (240, 120)

    services.admission_rescore(admission=admission)

    febrile.refresh_from_db()
    critical.refresh_from_db()
    assert febrile.due["interval_minutes"] == 240
    assert critical.due["interval_minutes"] == 120


def test_rescore_keeps_the_interval_override_an_observation_was_recorded_under(
    ward, nurse, physician
):
    admission = admit(ward, nurse)
    before = record(admission, nurse, at=timezone.now() - timedelta(hours=5))
    services.admission_set_interval_override(
        admission=admission, by=physician, minutes=30, reason="Post-op"
    )
    under = record(admission, nurse)
    services.admission_set_interval_override(admission=admission, by=physician, minutes=None)

    services.admission_rescore(admission=admission)

    before.refresh_from_db()
    under.refresh_from_db()
    assert before.due["interval_minutes"] == 240
    assert under.due["interval_minutes"] == 30


def test_rescore_gives_back_what_each_observation_was_stored_with(ward, nurse, physician):
    # One phase change and one override between the observations, then both changed
    # again: the rescore must score each set as it was scored when recorded.
    admission = admit(ward, nurse, protocol="dengue")
    record(admission, nurse, at=timezone.now() - timedelta(hours=5), temperature=Decimal("39.0"))
    record(admission, nurse, temperature=Decimal("37.5"))
    services.admission_set_phase(admission=admission, by=physician, phase="critical")
    record(admission, nurse)
    services.admission_set_interval_override(
        admission=admission, by=physician, minutes=30, reason="Bleeding"
    )
    record(admission, nurse)
    services.admission_set_phase(admission=admission, by=physician, phase="recovery")
    services.admission_set_interval_override(admission=admission, by=physician, minutes=None)
    as_recorded = stored_scores(admission)
    assert [(s["due"]["interval_minutes"], s["suggests_critical_phase"]) for s in as_recorded] == [
        (240, False),
        (240, True),
        (120, False),
        (30, False),
    ]
    tamper(admission)

    assert services.admission_rescore(admission=admission) == 4

    assert stored_scores(admission) == as_recorded


def test_rescore_compares_each_observation_with_the_admissions_other_valid_ones(ward, nurse):
    # The dengue context as ``assessment.dengue_context`` reads it from the database: the
    # first hematocrit among the other valid observations (one at the same moment counts),
    # the last lab and the highest temperature strictly before. No two observations that
    # could be picked share a moment, except where the verdict is the same either way.
    admission = admit(ward, nurse, protocol="dengue", hours_ago=12)
    now = timezone.now()
    first = now - timedelta(hours=11)
    # Each is the other's baseline: 55 is 31 % above 42.
    record(admission, nurse, at=first, hematocrit=Decimal("55"), platelets=160)
    record(admission, nurse, at=first, hematocrit=Decimal("42"))
    # Would make the next lab "hematocrit rising, platelets falling" and the next
    # temperatures a fall from fever, if it counted.
    wrong = record(
        admission,
        nurse,
        at=now - timedelta(hours=10, minutes=30),
        temperature=Decimal("40.5"),
        hematocrit=Decimal("30"),
        platelets=200,
    )
    services.observation_mark_entered_in_error(observation=wrong, by=nurse, reason="Other bed")
    record(admission, nurse, at=now - timedelta(hours=9), temperature=Decimal("39.0"))
    rising = record(
        admission,
        nurse,
        at=now - timedelta(hours=7),
        temperature=Decimal("37.5"),
        hematocrit=Decimal("48"),
        platelets=90,
    )
    services.observation_amend(
        observation=rising, by=nurse, changes={"platelets": 95}, reason="Typo"
    )
    same_time = now - timedelta(hours=6)
    record(admission, nurse, at=same_time, temperature=Decimal("36.9"))
    record(admission, nurse, at=same_time, hematocrit=Decimal("49"), platelets=80)
    # Recorded last, back-dated before most of the others.
    record(admission, nurse, at=now - timedelta(hours=10), hematocrit=Decimal("40"), platelets=100)
    tamper(admission)

    services.admission_rescore(admission=admission)

    admission = Admission.objects.get(pk=admission.pk)
    rescored = list(admission.observations.order_by("recorded_at", "created_at"))
    for observation in rescored:
        # No phase change or override since admission: today's rules are those of then.
        expected = assessment.assess(
            admission=admission,
            values=assessment.observation_values(observation),
            recorded_at=observation.recorded_at,
            spo2_scale=observation.spo2_scale,
            exclude_id=observation.pk,
        ).model_fields()
        assert {name: getattr(observation, name) for name in SCORE_FIELDS} == expected
    assert [
        (o.dengue["warning_signs"], o.suggests_critical_phase) for o in rescored if o.dengue
    ] == [
        (["hct_rise_20pct"], False),
        ([], False),
        ([], False),  # entered in error: rescored, never compared with
        ([], False),
        ([], False),
        (["hct_rising_platelets_falling"], True),
        ([], True),
        (["hct_rising_platelets_falling"], True),
    ]


@pytest.mark.parametrize("protocol", ["general", "dengue"])
def test_rescore_reads_the_admission_in_as_many_queries_however_many_observations(
    ward, nurse, physician, protocol
):
    admission = admit(ward, nurse, protocol=protocol, hours_ago=12)
    if protocol == "dengue":
        services.admission_set_phase(admission=admission, by=physician, phase="critical")
    services.admission_set_interval_override(
        admission=admission, by=physician, minutes=60, reason="Watch"
    )

    def rescore_queries() -> int:
        fresh = Admission.objects.get(pk=admission.pk)
        with CaptureQueriesContext(connection) as queries:
            assert services.admission_rescore(admission=fresh) == 0
        return len(queries)

    for _ in range(3):
        record(admission, nurse, hematocrit=Decimal("40"), platelets=150)
    with_three = rescore_queries()
    for _ in range(3):
        record(admission, nurse, hematocrit=Decimal("41"), platelets=140)

    assert rescore_queries() == with_three
