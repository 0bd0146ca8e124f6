"""The board's rows: read as plain values in one query (the API) or from a loaded admission
(the live events), the same row either way."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from careboard.organizations.models import Organization
from careboard.patients import selectors
from careboard.patients.models import Admission, DenguePhase, Protocol
from careboard.patients.tests.factories import VITALS_HIGH_8, VITALS_MEDIUM_6, admit, record

pytestmark = pytest.mark.django_db


def _values_of(admission: Admission) -> dict[str, Any]:
    """``BOARD_COLUMNS`` read from a loaded admission, attribute by attribute."""
    values: dict[str, Any] = {}
    for column in selectors.BOARD_COLUMNS:
        target: Any = admission
        for part in column.split("__"):
            target = getattr(target, part) if target is not None else None
        values[column] = target
    return values


def _loaded(admission: Admission) -> Admission:
    return Admission.objects.select_related(
        "patient", "ward__organization", "latest_observation"
    ).get(pk=admission.pk)


def test_values_path_and_instance_path_give_the_same_rows(nurse, ward):
    observed = admit(ward=ward, by=nurse, bed="1")
    record(observed, by=nurse, minutes_ago=200, **VITALS_MEDIUM_6)
    record(observed, by=nurse, minutes_ago=100, **VITALS_HIGH_8)
    dengue = admit(ward=ward, by=nurse, bed="2", protocol=Protocol.DENGUE)
    dengue.phase = DenguePhase.CRITICAL
    dengue.save(update_fields=["phase"])
    never = admit(ward=ward, by=nurse, bed="3")
    now = timezone.now()

    rows = selectors.board_rows(Admission.objects.filter(ward=ward), now=now)

    expected = selectors.sort_rows(
        [
            selectors.board_row_from_values(_values_of(_loaded(a)), now=now)
            for a in (observed, dengue, never)
        ]
    )
    assert rows == expected
    assert rows[0]["latest"]["values"]["spo2"] == VITALS_HIGH_8["spo2"]
    assert rows[0]["trend"] == "up"
    assert [r["never_observed"] for r in rows].count(True) == 2


def test_age_is_counted_in_the_organisations_time_zone(nurse, ward):
    admission = admit(ward=ward, by=nurse)
    patient = admission.patient
    organization: Organization = ward.organization
    now = timezone.now()
    today = now.astimezone(organization.tz).date()
    # Born on this day in the organisation's time zone: a birthday today.
    patient.birth_date = today.replace(year=today.year - 40)
    patient.save(update_fields=["birth_date"])

    (row,) = selectors.board_rows(Admission.objects.filter(pk=admission.pk), now=now)

    assert row["patient"]["age"] == 40 == patient.age_on(today)


def test_one_query_for_any_number_of_beds(nurse, ward):
    for bed in range(12):
        record(admit(ward=ward, by=nurse, bed=str(bed)), by=nurse, minutes_ago=5)

    with CaptureQueriesContext(connection) as queries:
        rows = selectors.ward_board(ward_id=ward.pk)["rows"]

    assert len(rows) == 12
    assert len(queries) == 1


def test_ward_board_reads_the_same_rows_as_the_orm_query(nurse, ward):
    # The ward board runs its query compiled once (PreparedQuery): its rows must be the
    # ones the ORM's own query gives, discharged patients and other wards left out.
    observed = admit(ward=ward, by=nurse, bed="1")
    record(observed, by=nurse, minutes_ago=90, **VITALS_HIGH_8)
    admit(ward=ward, by=nurse, bed="2", protocol=Protocol.DENGUE)
    gone = admit(ward=ward, by=nurse, bed="3")
    gone.discharged_at = timezone.now()
    gone.save(update_fields=["discharged_at"])
    now = timezone.now()

    board = selectors.ward_board(ward_id=ward.pk, now=now)

    expected = selectors.board_rows(Admission.objects.current().filter(ward=ward), now=now)
    assert board["rows"] == expected
    assert [row["bed"] for row in board["rows"]] == ["1", "2"]
