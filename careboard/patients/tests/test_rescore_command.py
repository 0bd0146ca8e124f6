"""`manage.py rescore [--admission ID] [--organization SLUG]`."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from careboard.organizations.tests.factories import WardFactory
from careboard.patients import services
from careboard.patients.models import Admission, Observation, Outcome

pytestmark = pytest.mark.django_db

# NEWS2 0, all seven parameters: "low" band, the next set due in 12 hours.
NEWS2_ZERO = {
    "respiratory_rate": 16,
    "spo2": 97,
    "on_oxygen": False,
    "systolic_bp": 125,
    "heart_rate": 72,
    "consciousness": "A",
    "temperature": Decimal("36.8"),
}
# NEWS2 2 (heart rate 111-130): "low" band, the organisation's interval_low (240 minutes).
NEWS2_TWO = {**NEWS2_ZERO, "heart_rate": 115}


def admit(ward: Any, by: Any, mrn: str) -> Admission:
    patient = services.patient_create(
        organization=ward.organization,
        mrn=mrn,
        given_name="Ada",
        family_name=f"Patient {mrn}",
        birth_date=date(1960, 5, 1),
        sex="female",
    )
    return services.admission_admit(
        patient=patient, ward=ward, by=by, admitted_at=timezone.now() - timedelta(hours=6)
    )


def record(admission: Admission, by: Any, values: dict[str, Any], hours_ago: float) -> Observation:
    return services.observation_record(
        admission=admission,
        by=by,
        values=values,
        recorded_at=timezone.now() - timedelta(hours=hours_ago),
    )


def run(*args: str) -> str:
    out = StringIO()
    call_command("rescore", *args, stdout=out)
    return out.getvalue()


def tamper(admissions: list[Admission]) -> None:
    """Break the stored scores and due times the way a changed table would leave them."""
    Observation.objects.filter(admission__in=admissions).update(
        news2_total=99, next_due_at=None, due={}
    )
    Admission.objects.filter(pk__in=[a.pk for a in admissions]).update(next_due_at=None)


@pytest.fixture
def admission(ward, nurse) -> Admission:
    admission = admit(ward, nurse, "M-1")
    record(admission, nurse, NEWS2_ZERO, hours_ago=3)
    record(admission, nurse, NEWS2_TWO, hours_ago=1)
    return admission


def scores(admission: Admission) -> list[tuple[int | None, Any]]:
    return list(
        admission.observations.order_by("recorded_at").values_list("news2_total", "next_due_at")
    )


def test_restores_hand_edited_scores_and_the_due_time(admission):
    expected = scores(admission)
    admission.refresh_from_db()
    expected_due = admission.next_due_at
    tamper([admission])

    assert run() == "Rescored 1 admission: 2 observations changed.\n"

    assert scores(admission) == expected
    assert [total for total, _due in expected] == [0, 2]
    admission.refresh_from_db()
    assert admission.next_due_at == expected_due
    latest = admission.observations.get(news2_total=2)
    assert expected_due == latest.recorded_at + timedelta(minutes=240)
    assert admission.latest_observation == latest
    assert admission.previous_news2_total == 0


def test_a_second_run_changes_nothing(admission):
    run()

    assert run() == "Rescored 1 admission: 0 observations changed.\n"


def test_an_organisations_new_interval_applies_after_rescore(admission, organization):
    organization.interval_low = 120
    organization.save()
    latest = admission.observations.get(news2_total=2)
    assert latest.next_due_at == latest.recorded_at + timedelta(minutes=240)

    # A complete NEWS2 of 0 has its own 12-hour interval: only the NEWS2 2 set changes.
    assert run() == "Rescored 1 admission: 1 observation changed.\n"

    latest.refresh_from_db()
    assert latest.next_due_at == latest.recorded_at + timedelta(minutes=120)
    assert latest.due["interval_minutes"] == 120
    admission.refresh_from_db()
    assert admission.next_due_at == latest.recorded_at + timedelta(minutes=120)


def test_admission_option_rescores_only_that_admission(admission, ward, nurse):
    other = admit(ward, nurse, "M-2")
    record(other, nurse, NEWS2_TWO, hours_ago=2)
    tamper([admission, other])

    assert (
        run("--admission", str(admission.pk)) == "Rescored 1 admission: 2 observations changed.\n"
    )

    assert [total for total, _due in scores(admission)] == [0, 2]
    assert [total for total, _due in scores(other)] == [99]


def test_organization_option_rescores_only_that_organisations_admissions(
    admission, nurse, ward, other_ward, outsider, organization
):
    second_ward = WardFactory.create(organization=organization, name="Ward B")
    neighbour = admit(second_ward, nurse, "M-2")
    record(neighbour, nurse, NEWS2_ZERO, hours_ago=2)
    theirs = admit(other_ward, outsider, "Z-1")
    record(theirs, outsider, NEWS2_ZERO, hours_ago=2)
    tamper([admission, neighbour, theirs])

    assert (
        run("--organization", organization.slug)
        == "Rescored 2 admissions: 3 observations changed.\n"
    )

    assert [total for total, _due in scores(neighbour)] == [0]
    assert [total for total, _due in scores(theirs)] == [99]


def test_discharged_admissions_are_rescored_too(admission, nurse):
    services.admission_discharge(admission=admission, by=nurse, outcome=Outcome.HOME)
    tamper([admission])

    assert run() == "Rescored 1 admission: 2 observations changed.\n"

    assert [total for total, _due in scores(admission)] == [0, 2]


def test_an_admission_without_observations_is_due_on_admission(ward, nurse):
    admission = admit(ward, nurse, "M-1")
    tamper([admission])

    assert run() == "Rescored 1 admission: 0 observations changed.\n"

    admission.refresh_from_db()
    assert admission.next_due_at == admission.admitted_at


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--organization", "nowhere"), "No organisation with the short name 'nowhere'."),
        (("--admission", "not-a-uuid"), "'not-a-uuid' is not an admission id."),
        (
            ("--admission", "00000000-0000-0000-0000-000000000000"),
            "No admission 00000000-0000-0000-0000-000000000000.",
        ),
    ],
)
def test_unknown_selection_is_an_error_and_changes_nothing(admission, args, message):
    tamper([admission])

    with pytest.raises(CommandError) as excinfo:
        run(*args)

    assert str(excinfo.value) == message
    assert [total for total, _due in scores(admission)] == [99, 99]


def test_an_admission_of_another_organisation_is_not_found_there(admission, other_organization):
    with pytest.raises(CommandError) as excinfo:
        run("--admission", str(admission.pk), "--organization", other_organization.slug)

    assert str(excinfo.value) == f"No admission {admission.pk} in {other_organization.slug}."
