"""Assigning programs (/api/v1/programs/{id}/assign/) and the staff side of assignments
(/api/v1/assignments/: list, detail, dates, re-assign, end)."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid

import pytest
from django.utils import timezone

from careboard.builder.assignments import organization_today
from careboard.builder.models import (
    ActivityLog,
    Assignment,
    AssignmentStatus,
    PortalToken,
    ProgramItem,
    ProgramStatus,
)
from careboard.builder.tests.assignment_factories import (
    ProgramFactory,
    ProgramSessionFactory,
    assign,
    log,
    make_program,
)
from careboard.organizations.roles import Role
from careboard.organizations.tests.factories import MembershipFactory
from careboard.patients.tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

LIST = "/api/v1/assignments/"


def assign_url(program) -> str:
    return f"/api/v1/programs/{program.pk}/assign/"


def detail(assignment) -> str:
    return f"{LIST}{assignment.pk}/"


@pytest.fixture
def today(organization) -> dt.date:
    return organization_today(organization)


@pytest.fixture
def program(organization):
    return make_program(organization, name="Knee rehab")


@pytest.fixture
def patient(organization):
    return PatientFactory.create(
        organization=organization, mrn="OP-7", given_name="Ada", family_name="Lovelace"
    )


@pytest.fixture
def assignment(program, patient, therapist, today):
    return assign(program=program, patient=patient, by=therapist, start_date=today)[0]


# Assign ---------------------------------------------------------------------------------


def test_therapist_assigns_a_program(client_for, therapist, program, patient, today):
    end = today + dt.timedelta(days=27)
    response = client_for(therapist).post(
        assign_url(program),
        {"patient": str(patient.pk), "start_date": str(today), "end_date": str(end)},
    )

    assert response.status_code == 201
    body = response.json()
    assignment = Assignment.objects.get()
    token = PortalToken.objects.get()
    secret = body["portal_token"]
    assert body["id"] == str(assignment.pk)
    assert body["patient"] == {
        "id": str(patient.pk),
        "mrn": "OP-7",
        "given_name": "Ada",
        "family_name": "Lovelace",
    }
    assert body["program"] == str(program.pk)
    assert body["program_name"] == "Knee rehab"
    assert (body["snapshot_version"], body["program_version"]) == (1, 1)
    assert body["update_available"] is False
    assert (body["start_date"], body["end_date"], body["status"]) == (
        str(today),
        str(end),
        "active",
    )
    assert body["assigned_by"]["id"] == str(therapist.public_id)
    assert [s["name"] for s in body["snapshot"]["sessions"]] == ["Strength", "Walk"]
    assert body["past_snapshots"] == []
    assert body["handout_url"] == f"/handouts/{assignment.pk}/"
    assert body["flags"] == []
    assert body["last_activity_on"] is None
    # The link: a portal token in the URL fragment, stored only as a digest.
    assert secret.startswith("cbp_")
    assert len(secret) >= 40
    assert body["portal_url"] == f"http://testserver/portal/#{secret}"
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in {token.token_hash, token.prefix}
    assert body["portal"]["prefix"] == token.prefix == secret[:10]
    # Valid through the seventh day after the end date, in the organisation's time zone.
    expected = dt.datetime.combine(
        end + dt.timedelta(days=8), dt.time.min, tzinfo=organization_tz(program)
    )
    assert token.expires_at == expected
    assert assignment.snapshot["name"] == "Knee rehab"
    assert assignment.assigned_by == therapist


def organization_tz(program):
    return program.organization.tz


def test_without_an_end_date_the_link_lasts_180_days(client_for, physician, program, patient):
    response = client_for(physician).post(
        assign_url(program), {"patient": str(patient.pk), "start_date": "2030-01-07"}
    )
    assert response.status_code == 201
    assert response.json()["end_date"] is None
    token = PortalToken.objects.get()
    lifetime = token.expires_at - token.created_at
    assert dt.timedelta(days=180) - dt.timedelta(seconds=5) < lifetime <= dt.timedelta(days=180)


def test_the_token_is_not_shown_again(client_for, therapist, assignment):
    body = client_for(therapist).get(detail(assignment)).json()
    assert "portal_token" not in body
    assert "portal_url" not in body
    assert set(body["portal"]) == {"prefix", "created_at", "expires_at", "last_used_at"}


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (Role.THERAPIST, 201),
        (Role.PHYSICIAN, 201),
        (Role.NURSE, 403),
        (Role.ADMIN, 403),
        (Role.VIEWER, 403),
    ],
)
def test_who_may_assign(client_for, make_member, program, patient, today, role, expected):
    response = client_for(make_member(role)).post(
        assign_url(program), {"patient": str(patient.pk), "start_date": str(today)}
    )
    assert response.status_code == expected
    assert Assignment.objects.count() == (1 if expected == 201 else 0)
    assert PortalToken.objects.count() == (1 if expected == 201 else 0)


def test_anonymous_caller_gets_401(api_client, program, patient, today):
    response = api_client.post(
        assign_url(program), {"patient": str(patient.pk), "start_date": str(today)}
    )
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert not Assignment.objects.exists()


def test_outsider_gets_404_for_the_program(client_for, outsider, program, patient, today):
    response = client_for(outsider).post(
        assign_url(program), {"patient": str(patient.pk), "start_date": str(today)}
    )
    assert response.status_code == 404
    assert not Assignment.objects.exists()


def test_unknown_program_is_404(client_for, therapist, patient, today):
    response = client_for(therapist).post(
        f"/api/v1/programs/{uuid.uuid4()}/assign/",
        {"patient": str(patient.pk), "start_date": str(today)},
    )
    assert response.status_code == 404


def test_patient_of_another_organisation_reads_as_unknown(
    client_for, therapist, program, other_organization, today
):
    stranger = PatientFactory.create(organization=other_organization)
    response = client_for(therapist).post(
        assign_url(program), {"patient": str(stranger.pk), "start_date": str(today)}
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "patient": [f'Invalid pk "{stranger.pk}" - object does not exist.']
    }
    assert not Assignment.objects.exists()


def test_patient_and_program_must_share_the_organisation(
    client_for, make_member, program, other_organization, today
):
    therapist = make_member(Role.THERAPIST)
    MembershipFactory.create(user=therapist, organization=other_organization, role=Role.THERAPIST)
    elsewhere = PatientFactory.create(organization=other_organization)
    response = client_for(therapist).post(
        assign_url(program), {"patient": str(elsewhere.pk), "start_date": str(today)}
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "patient": ["The patient belongs to another organisation."]
    }
    assert not Assignment.objects.exists()


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({}, {"patient": ["This field is required."], "start_date": ["This field is required."]}),
        (
            {"start_date": "2030-02-30"},
            {
                "patient": ["This field is required."],
                "start_date": [
                    "Date has wrong format. Use one of these formats instead: YYYY-MM-DD."
                ],
            },
        ),
        (
            {"start_date": "2030-03-10", "end_date": "2030-03-09"},
            {"end_date": ["The end date is before the start."]},
        ),
        (
            {"start_date": "2020-03-10", "end_date": "2020-04-09"},
            {"end_date": ["The end date is in the past."]},
        ),
    ],
)
def test_invalid_assignment_is_refused(client_for, therapist, program, patient, data, errors):
    if "start_date" in data and "patient" not in errors:
        data = {"patient": str(patient.pk), **data}
    response = client_for(therapist).post(assign_url(program), data)
    assert response.status_code == 400
    assert response.json()["errors"] == errors
    assert not Assignment.objects.exists()


def test_archived_program_cannot_be_assigned(client_for, therapist, program, patient, today):
    program.status = ProgramStatus.ARCHIVED
    program.save()
    response = client_for(therapist).post(
        assign_url(program), {"patient": str(patient.pk), "start_date": str(today)}
    )
    assert response.status_code == 409
    assert response.json()["detail"] == "This program is archived; restore it before assigning it."
    assert not Assignment.objects.exists()


def test_draft_program_may_be_assigned(client_for, therapist, program, patient, today):
    program.status = ProgramStatus.DRAFT
    program.save()
    response = client_for(therapist).post(
        assign_url(program), {"patient": str(patient.pk), "start_date": str(today)}
    )
    assert response.status_code == 201


def test_program_without_exercises_cannot_be_assigned(
    client_for, therapist, organization, patient, today
):
    empty = ProgramFactory.create(organization=organization)
    ProgramSessionFactory.create(program=empty)
    response = client_for(therapist).post(
        assign_url(empty), {"patient": str(patient.pk), "start_date": str(today)}
    )
    assert response.status_code == 409
    assert response.json()["detail"] == "This program has no exercises yet."
    assert not Assignment.objects.exists()


def test_the_same_program_is_not_assigned_twice_to_one_patient(
    client_for, therapist, assignment, program, patient, today
):
    response = client_for(therapist).post(
        assign_url(program), {"patient": str(patient.pk), "start_date": str(today)}
    )
    assert response.status_code == 409
    assert Assignment.objects.count() == 1
    assert PortalToken.objects.count() == 1


# List -----------------------------------------------------------------------------------


def test_list_shows_the_organisations_assignments(client_for, viewer, assignment, outsider):
    body = client_for(viewer).get(LIST).json()
    assert body["count"] == 1
    row = body["results"][0]
    assert row["id"] == str(assignment.pk)
    assert row["program_name"] == "Knee rehab"
    assert "snapshot" not in row
    assert row["portal"]["prefix"] == assignment.portal_tokens.get().prefix
    assert client_for(outsider).get(LIST).json()["count"] == 0


def test_anonymous_caller_cannot_list(api_client, assignment):
    assert api_client.get(LIST).status_code == 401


def test_list_puts_the_most_urgent_first(client_for, therapist, organization, today):
    def new(name: str, start_days_ago: int):
        return assign(
            program=make_program(organization, name=name),
            patient=PatientFactory.create(organization=organization),
            by=therapist,
            start_date=today - dt.timedelta(days=start_days_ago),
        )[0]

    calm = new("Calm", 10)
    log(calm, session="Walk", on=today, pain=2)
    idle = new("Idle", 10)
    log(idle, session="Walk", on=today - dt.timedelta(days=5))
    hurting = new("Hurting", 10)
    log(hurting, session="Walk", on=today - dt.timedelta(days=1), pain=8)
    worse = new("Worse", 10)
    for days_ago, pain in ((3, 2), (2, 4), (1, 7)):
        log(worse, session="Walk", on=today - dt.timedelta(days=days_ago), pain=pain)
    fresh = new("Fresh", 0)

    rows = client_for(therapist).get(LIST).json()["results"]

    assert [(row["program_name"], [f["code"] for f in row["flags"]]) for row in rows] == [
        ("Worse", ["pain_high", "pain_rising"]),
        ("Hurting", ["pain_high"]),
        ("Idle", ["inactive"]),
        ("Fresh", []),  # never active sorts before recently active
        ("Calm", []),
    ]
    assert rows[2]["last_activity_on"] == str(today - dt.timedelta(days=5))
    assert rows[2]["flags"][0] == {
        "code": "inactive",
        "severity": "low",
        "detail": "No activity for 5 days.",
    }
    assert fresh.pk


def test_list_filters_by_patient_and_status(client_for, therapist, organization, today):
    patient = PatientFactory.create(organization=organization)
    first, _ = assign(
        program=make_program(organization), patient=patient, by=therapist, start_date=today
    )
    assign(
        program=make_program(organization),
        patient=PatientFactory.create(organization=organization),
        by=therapist,
        start_date=today,
    )
    Assignment.objects.filter(pk=first.pk).update(status=AssignmentStatus.ENDED)
    client = client_for(therapist)

    def ids(query: str) -> list[str]:
        return [row["id"] for row in client.get(LIST + query).json()["results"]]

    assert ids(f"?patient={patient.pk}") == [str(first.pk)]
    assert ids("?status=ended") == [str(first.pk)]
    assert len(ids("?status=active")) == 1
    assert ids(f"?patient={patient.pk}&status=active") == []


def test_list_filters_what_the_caller_assigned(client_for, therapist, physician, organization):
    today = organization_today(organization)
    own, _ = assign(
        program=make_program(organization),
        patient=PatientFactory.create(organization=organization),
        by=therapist,
        start_date=today,
    )
    assign(
        program=make_program(organization),
        patient=PatientFactory.create(organization=organization),
        by=physician,
        start_date=today,
    )
    client = client_for(therapist)
    assert [row["id"] for row in client.get(LIST + "?mine=true").json()["results"]] == [str(own.pk)]
    assert client.get(LIST + "?mine=false").json()["count"] == 2


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ("?mine=maybe", {"mine": ["Use true or false."]}),
        ("?patient=42", {"patient": ["Not a valid id."]}),
        ("?status=paused", {"status": ["Use one of: active, ended."]}),
    ],
)
def test_invalid_list_filters_are_400(client_for, therapist, query, errors):
    response = client_for(therapist).get(LIST + query)
    assert response.status_code == 400
    assert response.json()["errors"] == errors


def test_list_queries_do_not_grow_with_assignments(
    client_for, therapist, organization, today, django_assert_num_queries
):
    client = client_for(therapist)
    program = make_program(organization)

    def add(count: int) -> None:
        for _ in range(count):
            assignment, _ = assign(
                program=program,
                patient=PatientFactory.create(organization=organization),
                by=therapist,
                start_date=today - dt.timedelta(days=6),
            )
            for days_ago in range(4):
                log(assignment, session="Walk", on=today - dt.timedelta(days=days_ago), pain=3)

    add(1)
    client.get(LIST)  # the token's first use is recorded once
    # The request's savepoint and release, token, roles, assignments (with the last
    # activity), the last pain reports, the live portal tokens.
    with django_assert_num_queries(7) as one:
        assert client.get(LIST).json()["count"] == 1
    add(19)
    with django_assert_num_queries(len(one.captured_queries)):
        assert client.get(LIST).json()["count"] == 20


# Detail ---------------------------------------------------------------------------------


def test_detail(client_for, viewer, assignment, today):
    log(assignment, session="Walk", on=today, pain=7)
    body = client_for(viewer).get(detail(assignment)).json()
    assert body["id"] == str(assignment.pk)
    assert body["snapshot"] == assignment.snapshot
    assert body["flags"] == [
        {"code": "pain_high", "severity": "high", "detail": f"Pain 7/10 reported on {today}."}
    ]
    assert body["last_activity_on"] == str(today)


def test_outsider_gets_404_for_an_assignment(client_for, outsider, assignment):
    assert client_for(outsider).get(detail(assignment)).status_code == 404


def test_anonymous_caller_gets_401_for_an_assignment(api_client, assignment):
    assert api_client.get(detail(assignment)).status_code == 401


def test_unknown_assignment_is_404(client_for, therapist):
    assert client_for(therapist).get(f"{LIST}{uuid.uuid4()}/").status_code == 404


# Dates ----------------------------------------------------------------------------------


def test_therapist_extends_the_end_date_and_the_link_follows(
    client_for, therapist, assignment, today
):
    end = today + dt.timedelta(days=60)
    response = client_for(therapist).patch(detail(assignment), {"end_date": str(end)})
    assert response.status_code == 200
    assert response.json()["end_date"] == str(end)
    token = assignment.portal_tokens.get()
    assert token.expires_at == dt.datetime.combine(
        end + dt.timedelta(days=8), dt.time.min, tzinfo=assignment.organization.tz
    )


def test_end_date_can_be_cleared(client_for, therapist, assignment, today):
    client = client_for(therapist)
    client.patch(detail(assignment), {"end_date": str(today + dt.timedelta(days=9))})
    response = client.patch(detail(assignment), {"end_date": None})
    assert response.status_code == 200
    assert response.json()["end_date"] is None


def test_start_date_moves_until_the_patient_has_started(client_for, therapist, assignment, today):
    client = client_for(therapist)
    later = today + dt.timedelta(days=3)
    assert client.patch(detail(assignment), {"start_date": str(later)}).status_code == 200
    assignment.refresh_from_db()
    assert assignment.start_date == later

    log(assignment, session="Walk", on=later)
    response = client.patch(detail(assignment), {"start_date": str(today)})
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "start_date": ["The patient has started; the start date can no longer change."]
    }
    assignment.refresh_from_db()
    assert assignment.start_date == later


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({"end_date": "2020-01-01"}, {"end_date": ["The end date is before the start date."]}),
        ({"end_date": "not a date"}, None),
    ],
)
def test_invalid_dates_change_nothing(client_for, therapist, assignment, data, errors):
    response = client_for(therapist).patch(detail(assignment), data)
    assert response.status_code == 400
    if errors:
        assert response.json()["errors"] == errors
    assert list(response.json()["errors"]) == ["end_date"]
    assignment.refresh_from_db()
    assert assignment.end_date is None


def test_viewer_cannot_change_dates(client_for, viewer, assignment, today):
    response = client_for(viewer).patch(
        detail(assignment), {"end_date": str(today + dt.timedelta(days=5))}
    )
    assert response.status_code == 403
    assignment.refresh_from_db()
    assert assignment.end_date is None


def test_outsider_cannot_change_dates(client_for, outsider, assignment, today):
    response = client_for(outsider).patch(
        detail(assignment), {"end_date": str(today + dt.timedelta(days=5))}
    )
    assert response.status_code == 404
    assignment.refresh_from_db()
    assert assignment.end_date is None


# Re-assign ------------------------------------------------------------------------------


def _edit_program(program) -> None:
    """What the program editor does: change an item and count a new version."""
    squat = ProgramItem.objects.get(session__program=program, exercise__name="Squat")
    squat.reps = 12
    squat.save()
    program.version += 1
    program.save()


def test_reassign_takes_the_programs_current_version(
    client_for, therapist, program, patient, today
):
    started = today - dt.timedelta(days=10)
    assignment, _ = assign(program=program, patient=patient, by=therapist, start_date=started)
    first = assignment.snapshot
    _edit_program(program)
    client = client_for(therapist)
    assert client.get(detail(assignment)).json()["update_available"] is True

    response = client.post(f"{detail(assignment)}reassign/")

    assert response.status_code == 200
    body = response.json()
    squat = body["snapshot"]["sessions"][0]["items"][0]
    assert squat["dosage"]["reps"] == 12
    assert (body["snapshot_version"], body["program_version"]) == (2, 2)
    assert body["update_available"] is False
    assert body["snapshot_from"] == str(today)
    assert body["past_snapshots"] == [
        {"from": str(started), "until": str(today - dt.timedelta(days=1)), "version": 1}
    ]
    assignment.refresh_from_db()
    assert assignment.past_snapshots[0]["snapshot"] == first
    assert assignment.portal_tokens.count() == 1  # the patient's link is unchanged


def test_reassign_before_the_start_replaces_the_snapshot(
    client_for, therapist, program, patient, today
):
    assignment, _ = assign(
        program=program, patient=patient, by=therapist, start_date=today + dt.timedelta(days=2)
    )
    _edit_program(program)
    body = client_for(therapist).post(f"{detail(assignment)}reassign/").json()
    assert body["snapshot_version"] == 2
    assert body["snapshot_from"] is None
    assert body["past_snapshots"] == []


def test_reassign_without_changes_changes_nothing(client_for, therapist, assignment):
    before = assignment.updated_at
    response = client_for(therapist).post(f"{detail(assignment)}reassign/")
    assert response.status_code == 200
    assignment.refresh_from_db()
    assert assignment.updated_at == before
    assert assignment.past_snapshots == []


def test_archived_program_cannot_be_reassigned(client_for, therapist, assignment, program):
    _edit_program(program)
    program.status = ProgramStatus.ARCHIVED
    program.save()
    response = client_for(therapist).post(f"{detail(assignment)}reassign/")
    assert response.status_code == 409
    assignment.refresh_from_db()
    assert assignment.snapshot_version == 1


@pytest.mark.parametrize(
    ("persona", "expected"), [("viewer", 403), ("nurse", 403), ("outsider", 404)]
)
def test_who_may_not_reassign(client_for, request, assignment, program, persona, expected):
    _edit_program(program)
    response = client_for(request.getfixturevalue(persona)).post(f"{detail(assignment)}reassign/")
    assert response.status_code == expected
    assignment.refresh_from_db()
    assert assignment.snapshot_version == 1


def test_anonymous_caller_cannot_reassign(api_client, assignment, program):
    _edit_program(program)
    assert api_client.post(f"{detail(assignment)}reassign/").status_code == 401
    assignment.refresh_from_db()
    assert assignment.snapshot_version == 1


# End ------------------------------------------------------------------------------------


def test_therapist_ends_an_assignment(client_for, therapist, program, patient, today):
    assignment, _ = assign(
        program=program,
        patient=patient,
        by=therapist,
        start_date=today - dt.timedelta(days=3),
        end_date=today + dt.timedelta(days=20),
    )
    response = client_for(therapist).post(f"{detail(assignment)}end/")
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["end_date"]) == ("ended", str(today))
    assert body["ended_by"]["id"] == str(therapist.public_id)
    assert body["portal"] is None
    assert body["flags"] == []
    token = assignment.portal_tokens.get()
    assert token.revoked_at is not None
    assert timezone.now() - token.revoked_at < dt.timedelta(seconds=5)


def test_an_assignment_ends_once(client_for, therapist, assignment):
    client = client_for(therapist)
    client.post(f"{detail(assignment)}end/")
    response = client.post(f"{detail(assignment)}end/")
    assert response.status_code == 409
    assert response.json()["detail"] == "This assignment has already ended."


def test_ended_assignment_cannot_be_changed(client_for, therapist, assignment, program, today):
    client = client_for(therapist)
    client.post(f"{detail(assignment)}end/")
    _edit_program(program)
    assert client.post(f"{detail(assignment)}reassign/").status_code == 409
    response = client.patch(detail(assignment), {"end_date": str(today + dt.timedelta(days=9))})
    assert response.status_code == 409
    assignment.refresh_from_db()
    assert (assignment.snapshot_version, assignment.end_date) == (1, today)


@pytest.mark.parametrize(("persona", "expected"), [("viewer", 403), ("outsider", 404)])
def test_who_may_not_end(client_for, request, assignment, persona, expected):
    response = client_for(request.getfixturevalue(persona)).post(f"{detail(assignment)}end/")
    assert response.status_code == expected
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.ACTIVE
    assert assignment.portal_tokens.get().revoked_at is None


# Logs -----------------------------------------------------------------------------------


def test_therapist_reads_the_logs_newest_first(client_for, therapist, assignment, today):
    log(assignment, session="Walk", on=today, comment="Knee felt fine")
    log(assignment, session="Strength", on=today, comment="Hard")
    body = client_for(therapist).get(f"{detail(assignment)}logs/").json()
    assert [row["comment"] for row in body["results"]] == ["Hard", "Knee felt fine"]
    assert ActivityLog.objects.count() == 2


def test_outsider_cannot_read_the_logs(client_for, outsider, assignment, today):
    log(assignment, session="Walk", on=today)
    assert client_for(outsider).get(f"{detail(assignment)}logs/").status_code == 404
