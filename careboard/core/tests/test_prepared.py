"""PreparedQuery: a queryset compiled once, run with new values, answers as the ORM does."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from careboard.core.prepared import PreparedQuery
from careboard.organizations.models import Membership, Ward
from careboard.patients.models import Admission
from careboard.patients.tests.factories import VITALS_HIGH_8, admit, record

pytestmark = pytest.mark.django_db


def test_rows_are_the_orms_rows_for_each_value(nurse, ward, other_ward):
    first = admit(ward=ward, by=nurse, bed="1")
    record(first, by=nurse, minutes_ago=30, **VITALS_HIGH_8)
    admit(ward=other_ward, by=nurse, bed="9")
    columns = ("id", "bed", "admitted_at", "latest_observation__news2", "ward__name")

    def build(ward_id):
        return Admission.objects.filter(ward_id=ward_id).order_by("bed").values(*columns)

    prepared = PreparedQuery(build, ward_id=uuid.UUID)

    for each in (ward, other_ward):
        assert prepared.dicts(ward_id=each.pk) == list(build(each.pk))
    # Converted as the ORM converts: JSON as a dict, times aware.
    (row,) = prepared.dicts(ward_id=ward.pk)
    assert isinstance(row["latest_observation__news2"], dict)
    assert row["admitted_at"].tzinfo is not None


def test_compiled_once_and_run_through_djangos_cursor(nurse, ward):
    admit(ward=ward, by=nurse)
    calls = []

    def build(ward_id):
        calls.append(ward_id)
        return Ward.objects.filter(pk=ward_id).values_list("name")

    prepared = PreparedQuery(build, ward_id=uuid.UUID)
    with CaptureQueriesContext(connection) as queries:
        for _ in range(3):
            assert list(prepared.rows(ward_id=ward.pk)) == [[ward.name]]

    assert len(calls) == 1
    assert len(queries) == 3  # counted like any other query


def test_no_row_for_an_unknown_value(ward):
    prepared = PreparedQuery(lambda pk: Ward.objects.filter(pk=pk).values("name"), pk=uuid.UUID)
    assert prepared.dicts(pk=uuid.uuid4()) == []


def test_a_value_of_the_wrong_type_is_refused(ward):
    prepared = PreparedQuery(lambda pk: Ward.objects.filter(pk=pk).values("name"), pk=uuid.UUID)
    with pytest.raises(TypeError):
        prepared.dicts(pk=str(ward.pk))
    with pytest.raises(TypeError):
        prepared.dicts(pk=None)


def test_a_parameter_whose_place_cannot_be_found_once_is_refused(ward):
    twice = PreparedQuery(
        lambda user_id: Membership.objects.filter(user_id=user_id).exclude(user_id=user_id),
        user_id=int,
    )
    with pytest.raises(ValueError, match="exactly once"):
        twice.dicts(user_id=1)
    unused = PreparedQuery(lambda user_id: Membership.objects.values("role"), user_id=int)
    with pytest.raises(ValueError, match="exactly once"):
        unused.dicts(user_id=1)
