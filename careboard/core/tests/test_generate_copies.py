"""The region scale's organisations after the first: copies made in SQL (PostgreSQL only),
each a whole organisation of its own: fresh ids, its own staff, its own board."""

from __future__ import annotations

import dataclasses
import io

import pytest
from django.db import connection

from careboard.bench_data.generate import Generator
from careboard.bench_data.scales import SCALES
from careboard.builder.models import ActivityLog, Assignment, ProgramItem
from careboard.organizations.models import Membership, Organization
from careboard.organizations.roles import Role
from careboard.patients.models import Admission, Observation
from careboard.users.models import User
from careboard.users.services import api_token_create

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="copies are made in SQL"),
]
TWO = dataclasses.replace(SCALES["tiny"], name="tiny2", organizations=2, copies=True)


def _generate(extend: bool = False) -> None:
    Generator(TWO, out=io.StringIO(), progress=False).run(extend=extend)


def _sizes(org: Organization) -> dict[str, int]:
    return {
        "staff": Membership.objects.filter(organization=org).count(),
        "admissions": Admission.objects.filter(ward__organization=org).count(),
        "observations": Observation.objects.filter(admission__ward__organization=org).count(),
        "items": ProgramItem.objects.filter(session__program__organization=org).count(),
        "assignments": Assignment.objects.filter(organization=org).count(),
        "logs": ActivityLog.objects.filter(assignment__organization=org).count(),
    }


def test_the_copy_is_an_organisation_of_its_own(client):
    _generate()

    first, copy = Organization.objects.filter(slug__startswith="gen-tiny2-").order_by("slug")
    assert copy.slug == "gen-tiny2-2"
    assert _sizes(copy) == _sizes(first)
    assert _sizes(first)["observations"] > 0
    # Nothing shared: the copy's rows point at the copy's rows.
    assert not Admission.objects.filter(
        ward__organization=copy, patient__organization=first
    ).exists()
    assert not Admission.objects.filter(
        ward__organization=copy, latest_observation__admission__ward__organization=first
    ).exists()
    assert not Assignment.objects.filter(organization=copy, program__organization=first).exists()
    assert (
        User.objects.filter(email__endswith="@gen-tiny2-2.example.org").count()
        == (_sizes(copy)["staff"])
    )

    membership = Membership.objects.filter(organization=copy, role=Role.NURSE).first()
    assert membership is not None
    _token, secret = api_token_create(user=membership.user, name="test")
    ward = copy.wards.order_by("name").first()
    assert ward is not None
    board = client.get(f"/api/v1/wards/{ward.pk}/board/", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert board.status_code == 200
    assert len(board.json()["rows"]) == TWO.beds
    other = first.wards.first()
    assert other is not None
    assert (
        client.get(
            f"/api/v1/wards/{other.pk}/board/", HTTP_AUTHORIZATION=f"Bearer {secret}"
        ).status_code
        == 404
    )


def test_extend_adds_the_copies_to_a_database_holding_the_first():
    Generator(dataclasses.replace(TWO, organizations=1), out=io.StringIO(), progress=False).run()

    _generate(extend=True)

    assert Organization.objects.filter(slug__startswith="gen-tiny2-").count() == 2
