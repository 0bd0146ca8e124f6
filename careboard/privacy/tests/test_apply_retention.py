"""`manage.py apply_retention [--dry-run]`: patients discharged more than
RETENTION_YEARS_AFTER_DISCHARGE years ago, and not admitted, are erased."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from careboard.patients import services as patient_services
from careboard.patients.models import Patient
from careboard.patients.tests.factories import PatientFactory
from careboard.privacy.models import ErasureRecord
from careboard.privacy.services import retention_cutoff

pytestmark = pytest.mark.django_db


def stay(patient, *, ward, by, years_ago: float, days: int = 5, discharge: bool = True):
    admitted_at = timezone.now() - dt.timedelta(days=365.25 * years_ago)
    admission = patient_services.admission_admit(
        patient=patient, ward=ward, by=by, admitted_at=admitted_at
    )
    if discharge:
        patient_services.admission_discharge(
            admission=admission, by=by, outcome="home", at=admitted_at + dt.timedelta(days=days)
        )
    return admission


@pytest.fixture
def patients(organization, ward, nurse):
    made = {name: PatientFactory.create(organization=organization) for name in (
        "discharged_11_years_ago", "discharged_2_years_ago", "readmitted", "back_3_years_ago",
        "never_admitted",
    )}  # fmt: skip
    stay(made["discharged_11_years_ago"], ward=ward, by=nurse, years_ago=11)
    stay(made["discharged_2_years_ago"], ward=ward, by=nurse, years_ago=2)
    stay(made["readmitted"], ward=ward, by=nurse, years_ago=12)
    stay(made["readmitted"], ward=ward, by=nurse, years_ago=0.01, discharge=False)
    stay(made["back_3_years_ago"], ward=ward, by=nurse, years_ago=15)
    stay(made["back_3_years_ago"], ward=ward, by=nurse, years_ago=3)
    return made


def run(*args: str) -> str:
    out = StringIO()
    call_command("apply_retention", *args, stdout=out)
    return out.getvalue()


def erased() -> set[Any]:
    return set(ErasureRecord.objects.values_list("patient_id", flat=True))


def test_patients_discharged_longer_ago_than_the_retention_period_are_erased(patients):
    due = patients["discharged_11_years_ago"]

    output = run()

    assert output == f"{due.pk}\nErased 1 patient discharged more than 10 years ago.\n"
    assert erased() == {due.pk}
    record = ErasureRecord.objects.get()
    assert (record.trigger, record.erased_by, record.reason) == (
        "retention",
        None,
        "Retention period ended: last discharge more than 10 years ago.",
    )
    due.refresh_from_db()
    assert (due.given_name, due.family_name, due.mrn[:7]) == ("Erased", "Erased", "ERASED-")


def test_a_dry_run_lists_who_is_due_and_changes_nothing(patients):
    due = patients["discharged_11_years_ago"]
    before = list(Patient.objects.order_by("pk").values())

    output = run("--dry-run")

    assert output == f"{due.pk}\nWould erase 1 patient discharged more than 10 years ago.\n"
    assert erased() == set()
    assert list(Patient.objects.order_by("pk").values()) == before


def test_the_retention_period_is_a_setting(settings, patients):
    settings.RETENTION_YEARS_AFTER_DISCHARGE = 1

    run()

    # Never the admitted patient, nor one never admitted (there is no discharge to count from).
    assert erased() == {
        patients[name].pk
        for name in ("discharged_11_years_ago", "discharged_2_years_ago", "back_3_years_ago")
    }


def test_a_second_run_erases_nobody_twice(patients):
    run()

    output = run()

    assert output == "Erased 0 patients discharged more than 10 years ago.\n"
    assert ErasureRecord.objects.count() == 1


@pytest.mark.parametrize("years", [0, -1])
def test_a_retention_period_under_a_year_is_refused(settings, patients, years):
    settings.RETENTION_YEARS_AFTER_DISCHARGE = years

    with pytest.raises(CommandError, match="RETENTION_YEARS_AFTER_DISCHARGE must be at least 1"):
        run()

    assert erased() == set()


@pytest.mark.parametrize(
    ("now", "cutoff"),
    [
        (dt.datetime(2025, 6, 30, 12, tzinfo=dt.UTC), dt.datetime(2015, 6, 30, 12, tzinfo=dt.UTC)),
        (dt.datetime(2024, 2, 29, 12, tzinfo=dt.UTC), dt.datetime(2014, 2, 28, 12, tzinfo=dt.UTC)),
    ],
)
def test_retention_cutoff(now, cutoff):
    assert retention_cutoff(now=now, years=10) == cutoff
