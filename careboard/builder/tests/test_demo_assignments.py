"""The demo outpatients and their programs (``manage.py demo``)."""

from __future__ import annotations

import pytest

from careboard.builder.adherence import assignments_by_urgency
from careboard.builder.assignments import organization_today
from careboard.builder.demo import load_demo_library
from careboard.builder.demo_assignments import load_demo_assignments
from careboard.builder.models import ActivityLog, Assignment
from careboard.organizations.demo import load_demo_organizations

pytestmark = pytest.mark.django_db


def test_demo_assignments_tell_the_therapists_story():
    load_demo_organizations()
    load_demo_library()

    assert load_demo_assignments() == 4

    rows = assignments_by_urgency(
        Assignment.objects.all(), today_of=lambda row: organization_today(row.organization)
    )
    # flags: set on each row by assignments_by_urgency.
    story = [(row.patient.mrn, [flag.code for flag in row.flags]) for row in rows]  # type: ignore[attr-defined]
    assert story == [
        ("DEMO-OP-002", ["pain_high", "pain_rising"]),
        ("DEMO-OP-003", ["inactive"]),
        ("DEMO-OP-004", []),
        ("DEMO-OP-001", []),
    ]
    assert ActivityLog.objects.filter(assignment__patient__mrn="DEMO-OP-001").count() > 40
    assert not ActivityLog.objects.filter(assignment__patient__mrn="DEMO-OP-004").exists()


def test_loading_twice_changes_nothing():
    load_demo_organizations()
    load_demo_library()
    load_demo_assignments()
    counts = (Assignment.objects.count(), ActivityLog.objects.count())

    assert load_demo_assignments() == 0
    assert (Assignment.objects.count(), ActivityLog.objects.count()) == counts


def test_nothing_to_do_without_the_demo_organisation():
    assert load_demo_assignments() == 0
    assert not Assignment.objects.exists()
