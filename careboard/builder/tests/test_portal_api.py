"""The patient portal (/api/v1/portal/…), its tokens, and issuing and revoking them
(/api/v1/assignments/{id}/portal-token/…)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from careboard.builder.assignments import organization_today
from careboard.builder.models import ActivityLog, PortalToken
from careboard.builder.tests.assignment_factories import (
    ExerciseFactory,
    ProgramFactory,
    ProgramItemFactory,
    ProgramSessionFactory,
    assign,
    item_of,
    log,
    make_program,
    session_of,
)
from careboard.patients.tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

TODAY_URL = "/api/v1/portal/today/"
PROGRAM_URL = "/api/v1/portal/program/"
LOGS_URL = "/api/v1/portal/logs/"


@pytest.fixture
def today(organization) -> dt.date:
    return organization_today(organization)


def weekday_program(organization, today: dt.date):
    """Three sessions: one scheduled on today's weekday, one tomorrow's, one every day."""
    program = ProgramFactory.create(organization=organization, name="Shoulder", duration_weeks=6)
    today_session = ProgramSessionFactory.create(
        program=program, position=1, name="Mobility", days_of_week=[today.weekday()]
    )
    ProgramItemFactory.create(
        session=today_session,
        position=1,
        exercise=ExerciseFactory.create(
            organization=organization,
            name="Pendulum",
            translations={"de": {"name": "Pendel", "instructions": ["Arm hängen lassen."]}},
        ),
        sets=2,
        reps=10,
        progression_field="reps",
        progression_step=Decimal(2),
        progression_cap=Decimal(20),
    )
    tomorrow = ProgramSessionFactory.create(
        program=program, position=2, name="Strength", days_of_week=[(today.weekday() + 1) % 7]
    )
    ProgramItemFactory.create(
        session=tomorrow, position=1, exercise=ExerciseFactory.create(organization=organization)
    )
    daily = ProgramSessionFactory.create(
        program=program, position=3, name="Stretch", times_per_day=2, days_of_week=[]
    )
    ProgramItemFactory.create(
        session=daily,
        position=1,
        exercise=ExerciseFactory.create(organization=organization, name="Doorway stretch"),
        sets=None,
        reps=None,
        hold_seconds=30,
    )
    return program


@pytest.fixture
def assigned(organization, therapist, today):
    """An assignment in its second week, and its portal token."""
    patient = PatientFactory.create(organization=organization, preferred_language="en")
    return assign(
        program=weekday_program(organization, today),
        patient=patient,
        by=therapist,
        start_date=today - dt.timedelta(days=8),
    )


@pytest.fixture
def assignment(assigned):
    return assigned[0]


@pytest.fixture
def portal(assigned) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {assigned[1]}")
    return client


def portal_client(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


# Today ----------------------------------------------------------------------------------


def test_today_shows_what_is_scheduled_with_this_weeks_dosage(portal, assignment, today):
    log(assignment, session="Stretch", on=today, pain=2)
    log(assignment, session="Stretch", on=today - dt.timedelta(days=1))

    response = portal.get(TODAY_URL)

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert body["date"] == str(today)
    assert body["week"] == 2
    assert body["language"] == "en"
    assert body["program"] == {
        "name": "Shoulder",
        "duration_weeks": 6,
        "start_date": str(today - dt.timedelta(days=8)),
        "end_date": None,
        "last_day": str(today - dt.timedelta(days=8) + dt.timedelta(days=41)),
    }
    assert [(s["name"], s["times_per_day"], s["done"]) for s in body["sessions"]] == [
        ("Mobility", 1, 0),
        ("Stretch", 2, 1),
    ]
    pendulum = body["sessions"][0]["items"][0]
    frozen = item_of(assignment, "Mobility", "Pendulum")
    assert pendulum["id"] == frozen["id"]
    assert pendulum["exercise"] == {
        k: frozen["exercise"][k]
        for k in (
            "id",
            "name",
            "instructions",
            "provider",
            "video_url",
            "embed_url",
            "thumbnail_url",
        )
    }
    assert pendulum["exercise"]["embed_url"].startswith("https://www.youtube-nocookie.com/")
    # Week 2: two more repetitions than week 1.
    assert (pendulum["dosage"]["sets"], pendulum["dosage"]["reps"]) == (2, 12)
    assert pendulum["progression"] == {"field": "reps", "step": 2.0, "cap": 20.0}
    assert pendulum["done"] == 0
    assert [(row["session_id"], row["pain"]) for row in body["logs"]] == [
        (session_of(assignment, "Stretch")["id"], 2)
    ]


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Pacific/Pago_Pago"])
def test_today_is_the_organisations_day(organization, therapist, zone):
    # UTC+14 and UTC-11: at any moment their dates differ, and one differs from UTC's.
    organization.time_zone = zone
    organization.save()
    local_today = dt.datetime.now(ZoneInfo(zone)).date()
    _assignment, secret = assign(
        program=make_program(organization),
        patient=PatientFactory.create(organization=organization),
        by=therapist,
        start_date=local_today,
    )
    body = portal_client(secret).get(TODAY_URL).json()
    assert body["date"] == str(local_today)
    assert body["week"] == 1


def test_today_speaks_the_patients_language(portal, assignment):
    assignment.patient.preferred_language = "de"
    assignment.patient.save()
    body = portal.get(TODAY_URL).json()
    assert body["language"] == "de"
    pendulum = body["sessions"][0]["items"][0]["exercise"]
    assert (pendulum["name"], pendulum["instructions"]) == ("Pendel", ["Arm hängen lassen."])


def test_before_the_start_nothing_is_scheduled(organization, therapist, today):
    _assignment, secret = assign(
        program=make_program(organization),
        patient=PatientFactory.create(organization=organization),
        by=therapist,
        start_date=today + dt.timedelta(days=2),
    )
    body = portal_client(secret).get(TODAY_URL).json()
    assert (body["week"], body["sessions"], body["logs"]) == (None, [], [])


def test_the_token_records_its_use(portal, assignment):
    portal.get(TODAY_URL)
    token = assignment.portal_tokens.get()
    assert timezone.now() - token.last_used_at < dt.timedelta(seconds=5)


# Program --------------------------------------------------------------------------------


def test_program_shows_every_session_with_this_weeks_dosage(portal, assignment, today):
    response = portal.get(PROGRAM_URL)
    assert response.status_code == 200
    body = response.json()
    assert (body["name"], body["week"], body["duration_weeks"]) == ("Shoulder", 2, 6)
    assert [(s["name"], s["days_of_week"]) for s in body["sessions"]] == [
        ("Mobility", [today.weekday()]),
        ("Strength", [(today.weekday() + 1) % 7]),
        ("Stretch", []),
    ]
    assert body["sessions"][0]["items"][0]["dosage"]["reps"] == 12
    assert body["sessions"][2]["items"][0]["dosage"]["hold_seconds"] == 30


# Logs -----------------------------------------------------------------------------------


def test_patient_logs_a_session(portal, assignment, today):
    session_id = session_of(assignment, "Stretch")["id"]
    response = portal.post(
        LOGS_URL,
        {"session_id": session_id, "pain": 3, "difficulty": 6, "comment": "  Felt tight  "},
    )
    assert response.status_code == 201
    stored = ActivityLog.objects.get()
    body = response.json()
    assert body["id"] == str(stored.pk)
    assert body["session_id"] == session_id
    assert body["item_id"] is None
    assert (body["performed_on"], body["completed"]) == (str(today), True)
    assert (body["pain"], body["difficulty"], body["comment"]) == (3, 6, "Felt tight")
    assert stored.assignment == assignment
    assert stored.idempotency_key == ""


def test_patient_logs_one_exercise_with_sets_and_reps(portal, assignment, today):
    item = item_of(assignment, "Mobility", "Pendulum")
    yesterday = today - dt.timedelta(days=1)
    response = portal.post(
        LOGS_URL,
        {
            "session_id": session_of(assignment, "Mobility")["id"],
            "item_id": item["id"],
            "performed_on": str(yesterday),
            "sets_done": 2,
            "reps_done": 11,
            "completed": False,
        },
    )
    assert response.status_code == 201
    stored = ActivityLog.objects.get()
    assert (str(stored.item_id), stored.performed_on, stored.sets_done, stored.reps_done) == (
        item["id"],
        yesterday,
        2,
        11,
    )
    assert stored.completed is False


@pytest.mark.parametrize(
    ("change", "errors"),
    [
        ({"session_id": None}, {"session_id": ["This field may not be null."]}),
        ({"session_id": "not-a-uuid"}, {"session_id": ["Must be a valid UUID."]}),
        (
            {"session_id": "00000000-0000-4000-8000-000000000000"},
            {"session_id": ["No such session in this program."]},
        ),
        ({"item_id": "OTHER_ITEM"}, {"item_id": ["No such exercise in this session."]}),
        ({"pain": 11}, {"pain": ["Ensure this value is less than or equal to 10."]}),
        ({"pain": -1}, {"pain": ["Ensure this value is greater than or equal to 0."]}),
        ({"difficulty": 12}, {"difficulty": ["Ensure this value is less than or equal to 10."]}),
        ({"sets_done": -2}, {"sets_done": ["Ensure this value is greater than or equal to 0."]}),
        (
            {"comment": "x" * 2001},
            {"comment": ["Ensure this field has no more than 2000 characters."]},
        ),
        ({"performed_on": "TOMORROW"}, {"performed_on": ["This day is in the future."]}),
        (
            {"performed_on": "BEFORE_START"},
            {"performed_on": ["The program had not started on this day."]},
        ),
        ({"patient": "me"}, {"patient": ["Unknown field."]}),
    ],
)
def test_invalid_log_is_refused_and_nothing_is_stored(portal, assignment, today, change, errors):
    data = {"session_id": session_of(assignment, "Stretch")["id"], "pain": 2}
    data.update(change)
    if data.get("item_id") == "OTHER_ITEM":
        data["item_id"] = item_of(assignment, "Mobility", "Pendulum")["id"]
    if data.get("performed_on") == "TOMORROW":
        data["performed_on"] = str(today + dt.timedelta(days=1))
    if data.get("performed_on") == "BEFORE_START":
        data["performed_on"] = str(assignment.start_date - dt.timedelta(days=1))
    response = portal.post(LOGS_URL, data)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"] == errors
    assert not ActivityLog.objects.exists()


def test_log_after_the_end_date_is_refused(organization, therapist, today):
    assignment, secret = assign(
        program=make_program(organization),
        patient=PatientFactory.create(organization=organization),
        by=therapist,
        start_date=today - dt.timedelta(days=3),
        end_date=today,
    )
    assignment.end_date = today - dt.timedelta(days=1)
    assignment.save()
    response = portal_client(secret).post(
        LOGS_URL, {"session_id": session_of(assignment, "Walk")["id"]}
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {"performed_on": ["The program had ended on this day."]}
    assert not ActivityLog.objects.exists()


# Who may use the portal ----------------------------------------------------------------


@pytest.mark.parametrize("url", [TODAY_URL, PROGRAM_URL])
def test_anonymous_caller_gets_401(api_client, assignment, url):
    response = api_client.get(url)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"] == 'Bearer realm="portal"'


def test_anonymous_log_is_refused(api_client, assignment):
    response = api_client.post(LOGS_URL, {"session_id": session_of(assignment, "Stretch")["id"]})
    assert response.status_code == 401
    assert not ActivityLog.objects.exists()


@pytest.mark.parametrize("persona", ["therapist", "admin", "outsider"])
def test_staff_tokens_do_not_open_the_portal(client_for, request, assignment, persona):
    client = client_for(request.getfixturevalue(persona))
    assert client.get(TODAY_URL).status_code == 401
    response = client.post(LOGS_URL, {"session_id": session_of(assignment, "Stretch")["id"]})
    assert response.status_code == 401
    assert response.json()["detail"] == "Not a portal token."
    assert not ActivityLog.objects.exists()


def test_a_staff_session_does_not_open_the_portal(therapist, assignment):
    client = APIClient()
    client.force_login(therapist)
    assert client.get(TODAY_URL).status_code == 401


@pytest.mark.parametrize(
    "url",
    ["/api/v1/assignments/", "/api/v1/me/", "/api/v1/patients/", "ASSIGNMENT", "ADHERENCE"],
)
def test_portal_tokens_do_not_open_staff_endpoints(portal, assignment, url):
    url = {
        "ASSIGNMENT": f"/api/v1/assignments/{assignment.pk}/",
        "ADHERENCE": f"/api/v1/assignments/{assignment.pk}/adherence/",
    }.get(url, url)
    response = portal.get(url)
    assert response.status_code == 401
    assert response.json()["detail"] == "Invalid token."


def test_a_token_sees_only_its_own_assignment(
    portal, assignment, other_organization, make_member, today
):
    other_therapist = make_member("therapist", org=other_organization)
    other, other_secret = assign(
        program=make_program(other_organization, name="Elsewhere"),
        patient=PatientFactory.create(organization=other_organization),
        by=other_therapist,
        start_date=today,
    )
    assert portal.get(TODAY_URL).json()["program"]["name"] == "Shoulder"
    assert portal_client(other_secret).get(TODAY_URL).json()["program"]["name"] == "Elsewhere"
    # A's token cannot log into B's program, even with B's ids.
    response = portal.post(LOGS_URL, {"session_id": session_of(other, "Walk")["id"]})
    assert response.status_code == 400
    assert response.json()["errors"] == {"session_id": ["No such session in this program."]}
    assert not ActivityLog.objects.exists()


@pytest.mark.parametrize(
    ("secret", "detail"),
    [
        ("cbp_" + "x" * 43, "Invalid token."),
        ("cbt_" + "x" * 43, "Not a portal token."),
        ("garbage", "Not a portal token."),
    ],
)
def test_unknown_tokens_get_401(assignment, secret, detail):
    response = portal_client(secret).get(TODAY_URL)
    assert response.status_code == 401
    assert response.json()["detail"] == detail


def test_malformed_header_gets_401(assignment):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer two words")
    assert client.get(TODAY_URL).status_code == 401


def test_expired_token_gets_401(portal, assignment):
    PortalToken.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = portal.get(TODAY_URL)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"] == "This link has expired."


def test_ended_assignment_closes_the_portal(portal, assignment, client_for, therapist):
    client_for(therapist).post(f"/api/v1/assignments/{assignment.pk}/end/")
    response = portal.get(TODAY_URL)
    assert response.status_code == 401
    assert response.json()["detail"] == "This link was replaced or withdrawn."


def test_ended_assignment_closes_the_portal_even_with_a_live_token(portal, assignment):
    assignment.status = "ended"
    assignment.save()
    response = portal.get(TODAY_URL)
    assert response.status_code == 401
    assert response.json()["detail"] == "This program has ended."


# Issuing and revoking links ------------------------------------------------------------


def token_url(assignment) -> str:
    return f"/api/v1/assignments/{assignment.pk}/portal-token/"


def test_reissuing_replaces_the_link(client_for, therapist, portal, assignment):
    response = client_for(therapist).post(token_url(assignment))
    assert response.status_code == 201
    body = response.json()
    assert body["portal_token"].startswith("cbp_")
    assert body["portal_url"] == f"http://testserver/portal/#{body['portal_token']}"
    assert body["prefix"] == body["portal_token"][:10]
    assert portal.get(TODAY_URL).status_code == 401  # the old link
    assert portal_client(body["portal_token"]).get(TODAY_URL).status_code == 200
    tokens = assignment.portal_tokens.order_by("created_at")
    assert [t.revoked_at is None for t in tokens] == [False, True]


def test_revoking_closes_the_link(client_for, physician, portal, assignment):
    response = client_for(physician).post(f"{token_url(assignment)}revoke/")
    assert response.status_code == 204
    assert portal.get(TODAY_URL).status_code == 401
    assert client_for(physician).post(f"{token_url(assignment)}revoke/").status_code == 204
    detail = client_for(physician).get(f"/api/v1/assignments/{assignment.pk}/").json()
    assert detail["portal"] is None


def test_no_link_for_an_ended_assignment(client_for, therapist, assignment):
    client = client_for(therapist)
    client.post(f"/api/v1/assignments/{assignment.pk}/end/")
    response = client.post(token_url(assignment))
    assert response.status_code == 409
    assert not PortalToken.objects.filter(revoked_at__isnull=True).exists()


@pytest.mark.parametrize(
    ("persona", "expected"), [("viewer", 403), ("nurse", 403), ("admin", 403), ("outsider", 404)]
)
def test_who_may_not_manage_links(client_for, request, portal, assignment, persona, expected):
    client = client_for(request.getfixturevalue(persona))
    assert client.post(token_url(assignment)).status_code == expected
    assert client.post(f"{token_url(assignment)}revoke/").status_code == expected
    assert PortalToken.objects.count() == 1
    assert portal.get(TODAY_URL).status_code == 200


def test_anonymous_caller_cannot_manage_links(api_client, portal, assignment):
    assert api_client.post(token_url(assignment)).status_code == 401
    assert api_client.post(f"{token_url(assignment)}revoke/").status_code == 401
    assert portal.get(TODAY_URL).status_code == 200


def test_a_withdrawn_program_consent_closes_the_portal(portal, assignment):
    from careboard.privacy.tests.factories import ConsentRecordFactory

    ConsentRecordFactory.create(patient=assignment.patient, purpose="program", decision="withdrawn")
    response = portal.get("/api/v1/portal/today/")
    assert response.status_code == 401
    assert response.json()["detail"] == "Consent to the home program was withdrawn."
    # Given again, the same link works again.
    ConsentRecordFactory.create(
        patient=assignment.patient,
        purpose="program",
        decision="given",
        decided_at=timezone.now() + dt.timedelta(seconds=1),
    )
    assert portal.get("/api/v1/portal/today/").status_code == 200
