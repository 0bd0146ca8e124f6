"""The observation table's indexes: each one costs every observation written (the bedside
form, the bulk import), so there are exactly the ones that reads need."""

from __future__ import annotations

import pytest
from django.db import connection

from careboard.patients.models import Observation

pytestmark = pytest.mark.django_db


def _indexed_columns() -> set[tuple[str, ...]]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, Observation._meta.db_table)
    return {
        tuple(c["columns"]) for c in constraints.values() if c["index"] and not c["primary_key"]
    }


def test_no_index_repeats_the_start_of_another():
    columns = _indexed_columns()
    for index in columns:
        longer = [other for other in columns if other != index and other[: len(index)] == index]
        assert not longer, f"{index} is covered by {longer}"


def test_the_reads_have_their_indexes():
    columns = _indexed_columns()
    assert ("admission_id", "recorded_at") in columns  # charts, history, latest two
    assert ("recorded_by_id",) in columns  # erasing a user
    assert ("status_changed_by_id",) in columns  # erasing a user (partial: where set)
