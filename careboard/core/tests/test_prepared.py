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


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements: PostgreSQL")
def test_postgresql_prepares_the_statement_after_a_few_runs(ward):
    prepared = PreparedQuery(
        lambda pk: Ward.objects.filter(pk=pk).values("name", "organization_id"), pk=uuid.UUID
    )
    for _ in range(6):
        assert prepared.dicts(pk=ward.pk)[0]["name"] == ward.name

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            ['%"organizations_ward"."organization_id"%"organizations_ward"."id" = $1%'],
        )
        (count,) = cursor.fetchone()
    assert count == 1


def test_prepared_insert_writes_the_row_the_orm_would(nurse, ward):
    from careboard.core.prepared import PreparedInsert
    from careboard.privacy.models import AccessLog

    common = {
        "organization_id": ward.organization_id,
        "user_id": nurse.pk,
        "action": "ward_board",
        "ward_id": ward.pk,
        "count": 3,
        "ip": "2001:db8::1",
        "request_id": "abc",
    }
    by_orm = AccessLog(**common)
    by_orm.save(force_insert=True)
    prepared = AccessLog(**common)
    with CaptureQueriesContext(connection) as queries:
        PreparedInsert(AccessLog).insert(prepared)

    assert len(queries) == 1
    assert prepared._state.adding is False
    fields = [*common, "patient_id"]
    (orm_row,) = AccessLog.objects.filter(pk=by_orm.pk).values(*fields)
    (new_row,) = AccessLog.objects.exclude(pk=by_orm.pk).values(*fields, "at")
    assert {k: new_row[k] for k in fields} == orm_row
    assert abs((new_row["at"] - by_orm.at).total_seconds()) < 60
