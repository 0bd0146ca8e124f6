"""/api/v1/programs/: compose programs of sessions and items, all or nothing; list, read,
edit, reorder, duplicate, and edit one item at a time."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from careboard.builder.models import Program, ProgramItem, ProgramSession
from careboard.builder.tests.factories import ExerciseFactory, ProgramFactory, program_with
from careboard.organizations.roles import Role

pytestmark = pytest.mark.django_db

URL = "/api/v1/programs/"


def detail(program: Program) -> str:
    return f"{URL}{program.pk}/"


def counts() -> tuple[int, int, int]:
    return Program.objects.count(), ProgramSession.objects.count(), ProgramItem.objects.count()


def if_match(program: Program) -> dict[str, str]:
    program.refresh_from_db()
    return {"HTTP_IF_MATCH": f'"{program.version}"'}


@pytest.fixture
def squat():
    return ExerciseFactory.create(name="Mini squat")


@pytest.fixture
def bridge():
    return ExerciseFactory.create(name="Glute bridge")


def payload(squat, bridge, **fields) -> dict[str, Any]:
    """Two sessions: morning (2 items), evening (4 items)."""
    return {
        "name": "Knee replacement, weeks 0–6",
        "description": "After total knee replacement.",
        "duration_weeks": 6,
        "sessions": [
            {
                "name": "Morning",
                "times_per_day": 1,
                "days_of_week": [4, 0, 2],
                "items": [
                    {"exercise": str(squat.pk), "sets": 3, "reps": 10, "rest_seconds": 60},
                    {"exercise": str(bridge.pk), "hold_seconds": 5, "reps": 10, "side": "both"},
                ],
            },
            {
                "name": "Evening",
                "items": [
                    {"exercise": str(squat.pk), "reps": 8},
                    {"exercise": str(bridge.pk), "duration_seconds": 120},
                    {"exercise": str(squat.pk), "reps": 12, "load_kg": 2.5, "tempo": "3-1-1"},
                    {
                        "exercise": str(bridge.pk),
                        "sets": 2,
                        "reps": 10,
                        "progression_field": "reps",
                        "progression_step": 2,
                        "progression_cap": 20,
                        "notes": "Stop if the knee swells.",
                    },
                ],
            },
        ],
        **fields,
    }


# Create -------------------------------------------------------------------------------------


def test_therapist_creates_a_program_with_sessions_and_items(
    client_for, therapist, organization, squat, bridge
):
    response = client_for(therapist).post(URL, payload(squat, bridge))

    assert response.status_code == 201
    assert response["ETag"] == '"1"'
    body = response.json()
    program = Program.objects.get()
    assert body["id"] == str(program.pk)
    assert body["organization"] == str(organization.pk)
    assert (body["status"], body["is_template"], body["version"]) == ("draft", False, 1)
    assert body["created_by"] == {"id": str(therapist.public_id), "name": therapist.get_full_name()}
    morning, evening = body["sessions"]
    assert (morning["position"], morning["name"], morning["days_of_week"]) == (
        1,
        "Morning",
        [0, 2, 4],
    )
    assert (evening["times_per_day"], evening["days_of_week"]) == (1, [])
    assert [i["position"] for i in evening["items"]] == [1, 2, 3, 4]
    first = morning["items"][0]
    assert first["exercise"] == str(squat.pk)
    assert first["exercise_summary"]["name"] == "Mini squat"
    assert first["exercise_summary"]["embed_url"].startswith("https://www.youtube-nocookie.com/")
    assert (first["sets"], first["reps"], first["rest_seconds"], first["side"]) == (
        3,
        10,
        60,
        "both",
    )
    assert evening["items"][2]["load_kg"] == 2.5
    progression = evening["items"][3]
    assert (
        progression["progression_field"],
        progression["progression_step"],
        progression["progression_cap"],
    ) == ("reps", 2.0, 20.0)
    assert counts() == (1, 2, 6)
    assert program.created_by == therapist
    assert program.history.get().history_user == therapist
    assert ProgramSession.history.filter(history_user=therapist).count() == 2
    assert ProgramItem.history.filter(history_user=therapist).count() == 6


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (Role.THERAPIST, 201),
        (Role.PHYSICIAN, 201),
        (Role.ADMIN, 403),
        (Role.NURSE, 403),
        (Role.VIEWER, 403),
    ],
)
def test_who_may_create_programs(client_for, make_member, squat, bridge, role, expected):
    response = client_for(make_member(role)).post(URL, payload(squat, bridge))
    assert response.status_code == expected
    assert counts() == ((1, 2, 6) if expected == 201 else (0, 0, 0))


def test_anonymous_cannot_create(client_for, squat, bridge):
    assert client_for(None).post(URL, payload(squat, bridge)).status_code == 401
    assert counts() == (0, 0, 0)


def test_outsider_cannot_create_in_our_organisation(
    client_for, outsider, organization, squat, bridge
):
    data = payload(squat, bridge, organization=str(organization.pk))
    response = client_for(outsider).post(URL, data)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["organization"]
    assert counts() == (0, 0, 0)


def test_another_organisation_cannot_use_our_exercises(
    client_for, make_member, organization, other_organization
):
    their_therapist = make_member(Role.THERAPIST, org=other_organization)
    ours = ExerciseFactory.create(organization=organization, name="Our secret")
    data = {
        "name": "P",
        "sessions": [{"name": "S", "items": [{"exercise": str(ours.pk), "reps": 5}]}],
    }
    response = client_for(their_therapist).post(URL, data)
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "sessions[0].items[0].exercise": ["No such exercise in this organisation's library."]
    }
    assert counts() == (0, 0, 0)


def test_one_invalid_item_rejects_the_whole_program(client_for, therapist, squat, bridge):
    data = payload(squat, bridge)
    data["sessions"][1]["items"][3]["reps"] = 500

    response = client_for(therapist).post(URL, data)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"] == {
        "sessions[1].items[3].reps": ["Ensure this value is less than or equal to 200."]
    }
    assert counts() == (0, 0, 0)


def test_every_invalid_row_is_reported_at_once(client_for, therapist, squat, bridge):
    data = payload(squat, bridge)
    data["sessions"][0]["items"][1] = {"exercise": str(bridge.pk), "sets": 3}
    data["sessions"][1]["days_of_week"] = [1, 1]
    data["sessions"][1]["items"][0]["sets"] = 0

    response = client_for(therapist).post(URL, data)

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "sessions[0].items[1]": ["Give repetitions, a duration or a hold time."],
        "sessions[1].days_of_week": ["Each day may appear only once."],
        "sessions[1].items[0].sets": ["Ensure this value is greater than or equal to 1."],
    }
    assert counts() == (0, 0, 0)


@pytest.mark.parametrize(
    ("item", "errors"),
    [
        ({"reps": 0}, {"reps": ["Ensure this value is greater than or equal to 1."]}),
        ({"reps": 201}, {"reps": ["Ensure this value is less than or equal to 200."]}),
        ({"reps": 10, "sets": 21}, {"sets": ["Ensure this value is less than or equal to 20."]}),
        (
            {"hold_seconds": 601},
            {"hold_seconds": ["Ensure this value is less than or equal to 600."]},
        ),
        (
            {"duration_seconds": 3 * 3600 + 1},
            {"duration_seconds": ["Ensure this value is less than or equal to 10800."]},
        ),
        (
            {"reps": 5, "rest_seconds": 601},
            {"rest_seconds": ["Ensure this value is less than or equal to 600."]},
        ),
        (
            {"reps": 5, "load_kg": 500.5},
            {"load_kg": ["Ensure this value is less than or equal to 500."]},
        ),
        ({"reps": 5, "side": "up"}, {"side": ['"up" is not a valid choice.']}),
        ({"sets": 3, "rest_seconds": 30}, {"": ["Give repetitions, a duration or a hold time."]}),
        (
            {"reps": 10, "progression_step": 1},
            {"progression_field": ["Choose what the progression increases."]},
        ),
        (
            {"reps": 10, "progression_field": "reps", "progression_step": 1},
            {"progression_cap": ["Give the cap the progression stops at."]},
        ),
        (
            {"reps": 10, "progression_field": "reps", "progression_cap": 15},
            {"progression_step": ["Give the weekly step."]},
        ),
        (
            {"reps": 10, "progression_field": "reps", "progression_step": 1, "progression_cap": 8},
            {"progression_cap": ["The cap must be at least the starting value (10)."]},
        ),
        (
            {
                "reps": 10,
                "progression_field": "reps",
                "progression_step": 1,
                "progression_cap": 250,
            },
            {"progression_cap": ["The cap must be at most 200."]},
        ),
        (
            {
                "reps": 10,
                "progression_field": "load_kg",
                "progression_step": 1,
                "progression_cap": 5,
            },
            {"progression_field": ["Give a starting value for this field first."]},
        ),
        (
            {"reps": 10, "progression_field": "reps", "progression_step": 0, "progression_cap": 12},
            {"progression_step": ["Ensure this value is greater than or equal to 0.1."]},
        ),
        ({"exercise": "not-a-uuid", "reps": 5}, {"exercise": ["Must be a valid UUID."]}),
        (
            {"exercise": str(uuid.uuid4()), "reps": 5},
            {"exercise": ["No such exercise in this organisation's library."]},
        ),
    ],
)
def test_item_rules(client_for, therapist, squat, item, errors):
    data = {
        "name": "P",
        "sessions": [{"name": "S", "items": [{"exercise": str(squat.pk), **item}]}],
    }
    response = client_for(therapist).post(URL, data)

    assert response.status_code == 400
    prefix = "sessions[0].items[0]"
    assert response.json()["errors"] == {
        f"{prefix}.{key}" if key else prefix: value for key, value in errors.items()
    }
    assert counts() == (0, 0, 0)


def test_a_valid_progression_is_kept(client_for, therapist, squat):
    item = {
        "exercise": str(squat.pk),
        "reps": 5,
        "load_kg": 2,
        "progression_field": "load_kg",
        "progression_step": 0.5,
        "progression_cap": 5,
    }
    response = client_for(therapist).post(
        URL, {"name": "P", "sessions": [{"name": "S", "items": [item]}]}
    )
    assert response.status_code == 201
    stored = ProgramItem.objects.get()
    assert (stored.progression_field, stored.progression_step, stored.progression_cap) == (
        "load_kg",
        Decimal("0.5"),
        Decimal("5.0"),
    )


@pytest.mark.parametrize(
    ("session", "errors"),
    [
        (
            {"days_of_week": [7]},
            {"days_of_week[0]": ["Ensure this value is less than or equal to 6."]},
        ),
        ({"days_of_week": [0, 0]}, {"days_of_week": ["Each day may appear only once."]}),
        (
            {"times_per_day": 0},
            {"times_per_day": ["Ensure this value is greater than or equal to 1."]},
        ),
        (
            {"times_per_day": 7},
            {"times_per_day": ["Ensure this value is less than or equal to 6."]},
        ),
        ({"name": ""}, {"name": ["This field may not be blank."]}),
    ],
)
def test_session_rules(client_for, therapist, squat, session, errors):
    data = {
        "name": "P",
        "sessions": [{"name": "S", "items": [{"exercise": str(squat.pk), "reps": 5}], **session}],
    }
    response = client_for(therapist).post(URL, data)
    assert response.status_code == 400
    assert response.json()["errors"] == {f"sessions[0].{k}": v for k, v in errors.items()}
    assert counts() == (0, 0, 0)


def test_an_archived_exercise_cannot_be_added(client_for, therapist, organization):
    old = ExerciseFactory.create(organization=organization, archived=True)
    data = {
        "name": "P",
        "sessions": [{"name": "S", "items": [{"exercise": str(old.pk), "reps": 5}]}],
    }
    response = client_for(therapist).post(URL, data)
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "sessions[0].items[0].exercise": ["This exercise is archived; choose another."]
    }
    assert counts() == (0, 0, 0)


def test_own_exercises_can_be_used(client_for, therapist, organization):
    ours = ExerciseFactory.create(organization=organization)
    data = {
        "name": "P",
        "sessions": [{"name": "S", "items": [{"exercise": str(ours.pk), "reps": 5}]}],
    }
    assert client_for(therapist).post(URL, data).status_code == 201


def test_a_published_program_needs_an_exercise(client_for, therapist):
    response = client_for(therapist).post(URL, {"name": "Empty", "status": "published"})
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "status": ["A published program needs at least one exercise."]
    }
    assert counts() == (0, 0, 0)


def test_a_draft_may_start_empty(client_for, therapist):
    response = client_for(therapist).post(URL, {"name": "Empty draft"})
    assert response.status_code == 201
    assert response.json()["sessions"] == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "This field may not be blank."),
        ("duration_weeks", 0, "Ensure this value is greater than or equal to 1."),
        ("duration_weeks", 105, "Ensure this value is less than or equal to 104."),
        ("status", "live", '"live" is not a valid choice.'),
    ],
)
def test_program_field_rules(client_for, therapist, field, value, message):
    response = client_for(therapist).post(URL, {"name": "P", field: value})
    assert response.status_code == 400
    assert response.json()["errors"] == {field: [message]}
    assert counts() == (0, 0, 0)


# Read ---------------------------------------------------------------------------------------


def test_everyone_on_staff_reads_programs(client_for, make_member, organization):
    program = program_with(organization=organization, sessions=2, items=3)
    for role in Role:
        response = client_for(make_member(role)).get(detail(program))
        assert response.status_code == 200, role
        assert response["ETag"] == '"1"'
        assert [len(s["items"]) for s in response.json()["sessions"]] == [3, 3]


def test_outsider_gets_404(client_for, outsider, organization):
    program = program_with(organization=organization)
    assert client_for(outsider).get(detail(program)).status_code == 404
    assert client_for(outsider).get(URL).json()["count"] == 0


def test_anonymous_gets_401(client_for, organization):
    program = program_with(organization=organization)
    assert client_for(None).get(detail(program)).status_code == 401
    assert client_for(None).get(URL).status_code == 401


def test_unknown_or_malformed_ids_are_404(client_for, therapist):
    assert client_for(therapist).get(f"{URL}{uuid.uuid4()}/").status_code == 404
    assert client_for(therapist).get(f"{URL}not-a-uuid/").status_code == 404


@pytest.fixture
def listed(organization, other_organization):
    program_with(organization=organization, name="Knee rehab", status="published")
    program_with(organization=organization, name="Back school", description="Lumbar pain")
    program_with(organization=organization, name="Knee template", is_template=True)
    ProgramFactory.create(organization=organization, name="Old knee", status="archived")
    program_with(organization=other_organization, name="Knee elsewhere")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["Back school", "Knee rehab", "Knee template", "Old knee"]),
        ("status=published", ["Knee rehab"]),
        ("status=archived", ["Old knee"]),
        ("is_template=true", ["Knee template"]),
        ("is_template=false", ["Back school", "Knee rehab", "Old knee"]),
        ("search=knee", ["Knee rehab", "Knee template", "Old knee"]),
        ("search=lumbar", ["Back school"]),
        ("search=knee&status=draft&is_template=false", []),
        ("ordering=-name", ["Old knee", "Knee template", "Knee rehab", "Back school"]),
    ],
)
def test_list_filters(client_for, viewer, listed, query, expected):
    response = client_for(viewer).get(f"{URL}?{query}")
    assert response.status_code == 200
    assert [p["name"] for p in response.json()["results"]] == expected


def test_list_shows_counts_not_the_tree(client_for, viewer, organization):
    program_with(organization=organization, sessions=2, items=3, name="P")
    row = client_for(viewer).get(URL).json()["results"][0]
    assert (row["session_count"], row["item_count"], row["version"]) == (2, 6, 1)
    assert "sessions" not in row


def test_list_query_count_is_flat(client_for, viewer, organization):
    client = client_for(viewer)
    program_with(organization=organization, sessions=1, items=1)
    client.get(URL)
    with CaptureQueriesContext(connection) as small:
        client.get(URL)
    for _ in range(10):
        program_with(organization=organization, sessions=3, items=4)
    with CaptureQueriesContext(connection) as large:
        assert client.get(URL).json()["count"] == 11
    assert len(large) == len(small)


def test_invalid_list_filter_is_400(client_for, viewer):
    response = client_for(viewer).get(f"{URL}?status=live")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["status"]


# Replace (PUT) --------------------------------------------------------------------------------


def test_put_replaces_the_tree_keeping_the_rows_it_names(client_for, therapist, squat, bridge):
    client = client_for(therapist)
    created = client.post(URL, payload(squat, bridge)).json()
    program = Program.objects.get()
    morning, evening = created["sessions"]
    kept_item = evening["items"][3]
    data = {
        "name": "Renamed",
        "duration_weeks": 8,
        "status": "published",
        "sessions": [
            {
                "id": evening["id"],
                "name": "Evening",
                "items": [
                    {**kept_item, "reps": 12},
                    # Moved here from the morning session, which is dropped.
                    {**morning["items"][0]},
                    {"exercise": str(squat.pk), "duration_seconds": 300},
                ],
            },
            {
                "name": "Night",
                "days_of_week": [6],
                "items": [{"exercise": str(bridge.pk), "reps": 3}],
            },
        ],
    }

    response = client.put(detail(program), data, **if_match(program))

    assert response.status_code == 200, response.json()
    assert response["ETag"] == '"2"'
    body = response.json()
    assert (body["name"], body["status"], body["duration_weeks"], body["version"]) == (
        "Renamed",
        "published",
        8,
        2,
    )
    first, second = body["sessions"]
    assert first["id"] == evening["id"]
    assert (first["position"], second["position"], second["name"]) == (1, 2, "Night")
    assert [i["id"] for i in first["items"][:2]] == [kept_item["id"], morning["items"][0]["id"]]
    assert first["items"][0]["reps"] == 12
    assert [i["position"] for i in first["items"]] == [1, 2, 3]
    assert counts() == (1, 2, 4)
    assert not ProgramSession.objects.filter(pk=morning["id"]).exists()
    assert ProgramItem.objects.get(pk=morning["items"][0]["id"]).session_id == uuid.UUID(
        evening["id"]
    )


def test_unchanged_rows_are_not_rewritten(client_for, therapist, squat, bridge):
    client = client_for(therapist)
    created = client.post(URL, payload(squat, bridge)).json()
    program = Program.objects.get()
    before = ProgramItem.history.count(), ProgramSession.history.count()

    response = client.put(detail(program), created, **if_match(program))

    assert response.status_code == 200
    assert (ProgramItem.history.count(), ProgramSession.history.count()) == before
    assert response.json()["version"] == 2


def test_an_invalid_put_changes_nothing(client_for, therapist, squat, bridge):
    client = client_for(therapist)
    created = client.post(URL, payload(squat, bridge)).json()
    program = Program.objects.get()
    data = {**created, "name": "Renamed"}
    data["sessions"][1]["items"][3]["reps"] = 0
    data["sessions"][0]["items"] = []

    response = client.put(detail(program), data, **if_match(program))

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "sessions[1].items[3].reps": ["Ensure this value is greater than or equal to 1."]
    }
    program.refresh_from_db()
    assert (program.name, program.version) == ("Knee replacement, weeks 0–6", 1)
    assert counts() == (1, 2, 6)


def test_put_refuses_rows_of_another_program(client_for, therapist, organization, squat, bridge):
    client = client_for(therapist)
    client.post(URL, payload(squat, bridge))
    program = Program.objects.get()
    other = program_with(organization=organization, exercise=squat)
    foreign_session = other.sessions.get()
    foreign_item = foreign_session.items.get()
    data = {
        "name": "P",
        "sessions": [
            {
                "id": str(foreign_session.pk),
                "name": "S",
                "items": [{"id": str(foreign_item.pk), "exercise": str(squat.pk), "reps": 5}],
            }
        ],
    }
    response = client.put(detail(program), data, **if_match(program))
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "sessions[0].id": ["Not a session of this program."],
        "sessions[0].items[0].id": ["Not an item of this program."],
    }
    assert counts() == (2, 3, 7)
    assert foreign_item.session_id == foreign_session.pk


def test_an_item_may_keep_an_exercise_archived_since(client_for, therapist, squat, bridge):
    client = client_for(therapist)
    created = client.post(URL, payload(squat, bridge)).json()
    program = Program.objects.get()
    squat.archived = True
    squat.save()

    response = client.put(detail(program), created, **if_match(program))
    assert response.status_code == 200

    created["sessions"][0]["items"][1]["exercise"] = str(squat.pk)  # a new use: refused
    response = client.put(detail(program), created, **if_match(program))
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "sessions[0].items[1].exercise": ["This exercise is archived; choose another."]
    }


@pytest.mark.parametrize("role", [Role.ADMIN, Role.NURSE, Role.VIEWER])
def test_roles_without_write_cannot_put(client_for, make_member, organization, role):
    program = program_with(organization=organization)
    response = client_for(make_member(role)).put(
        detail(program), {"name": "X"}, **if_match(program)
    )
    assert response.status_code == 403
    program.refresh_from_db()
    assert (program.version, counts()) == (1, (1, 1, 1))


def test_outsider_cannot_put(client_for, outsider, organization):
    program = program_with(organization=organization)
    response = client_for(outsider).put(detail(program), {"name": "X"}, **if_match(program))
    assert response.status_code == 404
    program.refresh_from_db()
    assert program.version == 1


def test_anonymous_cannot_put(client_for, organization):
    program = program_with(organization=organization)
    response = client_for(None).put(detail(program), {"name": "X"}, **if_match(program))
    assert response.status_code == 401
    program.refresh_from_db()
    assert program.version == 1


# PATCH ----------------------------------------------------------------------------------------


def test_patch_changes_program_fields(client_for, physician, organization):
    program = program_with(organization=organization, name="Old")
    response = client_for(physician).patch(
        detail(program), {"name": "New", "status": "published"}, **if_match(program)
    )
    assert response.status_code == 200
    assert response["ETag"] == '"2"'
    program.refresh_from_db()
    assert (program.name, program.status, program.version) == ("New", "published", 2)
    assert program.history.first().history_user == physician


def test_patch_cannot_publish_an_empty_program(client_for, therapist, organization):
    program = ProgramFactory.create(organization=organization)
    response = client_for(therapist).patch(
        detail(program), {"status": "published"}, **if_match(program)
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "status": ["A published program needs at least one exercise."]
    }
    program.refresh_from_db()
    assert (program.status, program.version) == ("draft", 1)


def test_patch_archives_a_program(client_for, therapist, organization):
    program = program_with(organization=organization)
    client = client_for(therapist)
    client.patch(detail(program), {"status": "archived"}, **if_match(program))
    assert client.get(f"{URL}?status=archived").json()["count"] == 1
    assert client.delete(detail(program)).status_code == 405
    assert Program.objects.filter(pk=program.pk).exists()


def test_viewer_cannot_patch(client_for, viewer, organization):
    program = program_with(organization=organization, name="Old")
    response = client_for(viewer).patch(detail(program), {"name": "New"}, **if_match(program))
    assert response.status_code == 403
    program.refresh_from_db()
    assert (program.name, program.version) == ("Old", 1)


# Reorder --------------------------------------------------------------------------------------


@pytest.fixture
def three_by_three(organization):
    return program_with(organization=organization, sessions=3, items=3)


def tree(program: Program) -> list[list[str]]:
    return [
        [str(i.pk) for i in s.items.order_by("position")]
        for s in program.sessions.order_by("position")
    ]


def session_ids(program: Program) -> list[str]:
    return [str(s.pk) for s in program.sessions.order_by("position")]


def test_reorder_sessions_and_items(client_for, therapist, three_by_three):
    program = three_by_three
    s1, s2, s3 = session_ids(program)
    (a1, a2, a3), (b1, b2, b3), _ = tree(program)

    response = client_for(therapist).post(
        f"{detail(program)}reorder/",
        {"sessions": [s3, s1, s2], "items": {s1: [a3, b1, a1], s2: [b3, a2, b2]}},
        **if_match(program),
    )

    assert response.status_code == 200, response.json()
    assert response["ETag"] == '"2"'
    assert [s["id"] for s in response.json()["sessions"]] == [s3, s1, s2]
    assert session_ids(program) == [s3, s1, s2]
    assert tree(program)[1:] == [[a3, b1, a1], [b3, a2, b2]]


@pytest.mark.parametrize(
    "body",
    [
        lambda s, t: {"sessions": s[:2]},
        lambda s, t: {"sessions": [s[0], s[0], s[1], s[2]]},
        lambda s, t: {"sessions": [*s, str(uuid.uuid4())]},
        lambda s, t: {"items": {s[0]: t[0][:2]}},
        lambda s, t: {"items": {s[0]: [*t[0], t[1][0]]}},
        lambda s, t: {"items": {str(uuid.uuid4()): []}},
        lambda s, t: {"items": {"nope": []}},
        lambda s, t: {},
    ],
)
def test_an_incomplete_reorder_changes_nothing(client_for, therapist, three_by_three, body):
    program = three_by_three
    before = (session_ids(program), tree(program))
    response = client_for(therapist).post(
        f"{detail(program)}reorder/",
        body(session_ids(program), tree(program)),
        **if_match(program),
    )
    assert response.status_code == 400
    assert (session_ids(program), tree(program)) == before
    program.refresh_from_db()
    assert program.version == 1


def test_viewer_and_outsider_cannot_reorder(client_for, viewer, outsider, three_by_three):
    program = three_by_three
    body = {"sessions": list(reversed(session_ids(program)))}
    url = f"{detail(program)}reorder/"
    assert client_for(viewer).post(url, body, **if_match(program)).status_code == 403
    assert client_for(outsider).post(url, body, **if_match(program)).status_code == 404
    assert client_for(None).post(url, body, **if_match(program)).status_code == 401
    assert session_ids(program) == list(reversed(body["sessions"]))


# Duplicate ------------------------------------------------------------------------------------


def test_duplicate_copies_the_tree_as_a_new_draft(client_for, therapist, organization):
    source = program_with(
        organization=organization, sessions=2, items=3, name="Knee", status="published"
    )
    response = client_for(therapist).post(f"{detail(source)}duplicate/", {})

    assert response.status_code == 201
    assert response["ETag"] == '"1"'
    body = response.json()
    copy = Program.objects.get(pk=body["id"])
    assert (copy.name, copy.status, copy.is_template, copy.created_by) == (
        "Knee (copy)",
        "draft",
        False,
        therapist,
    )
    assert [[i["reps"] for i in s["items"]] for s in body["sessions"]] == [[11, 12, 13]] * 2
    assert not set(sum(tree(copy), [])) & set(sum(tree(source), []))
    assert counts() == (2, 4, 12)
    source.refresh_from_db()
    assert source.version == 1


def test_duplicate_may_be_named(client_for, therapist, organization):
    source = program_with(organization=organization)
    response = client_for(therapist).post(f"{detail(source)}duplicate/", {"name": "Mine"})
    assert response.json()["name"] == "Mine"


@pytest.mark.parametrize(("who", "expected"), [("viewer", 403), ("outsider", 404), (None, 401)])
def test_who_cannot_duplicate(client_for, request, organization, who, expected):
    source = program_with(organization=organization)
    user = request.getfixturevalue(who) if who else None
    response = client_for(user).post(f"{detail(source)}duplicate/", {})
    assert response.status_code == expected
    assert counts() == (1, 1, 1)


# One item -------------------------------------------------------------------------------------


def items_url(program: Program, session: ProgramSession) -> str:
    return f"{detail(program)}sessions/{session.pk}/items/"


def test_add_an_item_at_a_position(client_for, therapist, organization, bridge):
    program = program_with(organization=organization, items=3)
    session = program.sessions.get()
    before = tree(program)[0]

    response = client_for(therapist).post(
        items_url(program, session),
        {"exercise": str(bridge.pk), "reps": 8, "position": 2},
        **if_match(program),
    )

    assert response.status_code == 201
    assert response["ETag"] == '"2"'
    body = response.json()
    assert (body["position"], body["reps"], body["exercise_summary"]["name"]) == (
        2,
        8,
        "Glute bridge",
    )
    assert tree(program)[0] == [before[0], body["id"], before[1], before[2]]
    program.refresh_from_db()
    assert program.version == 2


def test_add_an_item_at_the_end(client_for, therapist, organization, bridge):
    program = program_with(organization=organization, items=2)
    session = program.sessions.get()
    response = client_for(therapist).post(
        items_url(program, session), {"exercise": str(bridge.pk), "reps": 8}, **if_match(program)
    )
    assert response.json()["position"] == 3


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"reps": 5}, {"exercise": ["This field is required."]}),
        (
            {"exercise": "{bridge}", "sets": 2},
            {"non_field_errors": ["Give repetitions, a duration or a hold time."]},
        ),
        (
            {"exercise": "{bridge}", "reps": 900},
            {"reps": ["Ensure this value is less than or equal to 200."]},
        ),
        (
            {"exercise": "{archived}", "reps": 5},
            {"exercise": ["This exercise is archived; choose another."]},
        ),
        (
            {"exercise": "{foreign}", "reps": 5},
            {"exercise": ["No such exercise in this organisation's library."]},
        ),
    ],
)
def test_an_invalid_added_item_changes_nothing(
    client_for, therapist, organization, other_organization, bridge, body, errors
):
    program = program_with(organization=organization)
    session = program.sessions.get()
    ids = {
        "bridge": str(bridge.pk),
        "archived": str(ExerciseFactory.create(organization=organization, archived=True).pk),
        "foreign": str(ExerciseFactory.create(organization=other_organization).pk),
    }
    body = {k: v.format(**ids) if isinstance(v, str) else v for k, v in body.items()}
    response = client_for(therapist).post(items_url(program, session), body, **if_match(program))
    assert response.status_code == 400
    assert response.json()["errors"] == errors
    program.refresh_from_db()
    assert (program.version, counts()) == (1, (1, 1, 1))


def test_update_one_item(client_for, therapist, organization, bridge):
    program = program_with(organization=organization, items=2)
    session = program.sessions.get()
    item = session.items.get(position=2)

    response = client_for(therapist).patch(
        f"{items_url(program, session)}{item.pk}/",
        {"exercise": str(bridge.pk), "hold_seconds": 10, "notes": "Slowly."},
        **if_match(program),
    )

    assert response.status_code == 200, response.json()
    assert response["ETag"] == '"2"'
    item.refresh_from_db()
    assert (item.exercise, item.hold_seconds, item.reps, item.notes) == (bridge, 10, 12, "Slowly.")
    assert item.history.first().history_user == therapist


def test_an_item_update_must_leave_a_dosage(client_for, therapist, organization):
    program = program_with(organization=organization)
    session = program.sessions.get()
    item = session.items.get()
    response = client_for(therapist).patch(
        f"{items_url(program, session)}{item.pk}/", {"reps": None}, **if_match(program)
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "non_field_errors": ["Give repetitions, a duration or a hold time."]
    }
    item.refresh_from_db()
    assert item.reps == 11


def test_delete_one_item_closes_the_gap(client_for, therapist, organization):
    program = program_with(organization=organization, items=3)
    session = program.sessions.get()
    first, second, third = tree(program)[0]

    response = client_for(therapist).delete(
        f"{items_url(program, session)}{second}/", **if_match(program)
    )

    assert response.status_code == 204
    assert response["ETag"] == '"2"'
    assert tree(program)[0] == [first, third]
    assert list(session.items.order_by("position").values_list("position", flat=True)) == [1, 2]


def test_the_last_item_of_a_published_program_stays(client_for, therapist, organization):
    program = program_with(organization=organization, status="published")
    session = program.sessions.get()
    item = session.items.get()
    response = client_for(therapist).delete(
        f"{items_url(program, session)}{item.pk}/", **if_match(program)
    )
    assert response.status_code == 400
    assert response.json()["detail"] == "A published program needs at least one exercise."
    assert counts() == (1, 1, 1)


def test_an_item_of_another_session_is_404(client_for, therapist, organization):
    program = program_with(organization=organization, sessions=2)
    first, second = program.sessions.order_by("position")
    item = second.items.get()
    response = client_for(therapist).patch(
        f"{items_url(program, first)}{item.pk}/", {"reps": 3}, **if_match(program)
    )
    assert response.status_code == 404
    other = program_with(organization=organization)
    response = client_for(therapist).post(
        items_url(program, other.sessions.get()), {"reps": 3}, **if_match(program)
    )
    assert response.status_code == 404


@pytest.mark.parametrize(("who", "expected"), [("viewer", 403), ("outsider", 404), (None, 401)])
def test_who_cannot_edit_items(client_for, request, organization, bridge, who, expected):
    program = program_with(organization=organization)
    session = program.sessions.get()
    item = session.items.get()
    client = client_for(request.getfixturevalue(who) if who else None)
    headers = if_match(program)
    url = items_url(program, session)
    assert (
        client.post(url, {"exercise": str(bridge.pk), "reps": 1}, **headers).status_code == expected
    )
    assert client.patch(f"{url}{item.pk}/", {"reps": 1}, **headers).status_code == expected
    assert client.delete(f"{url}{item.pk}/", **headers).status_code == expected
    item.refresh_from_db()
    program.refresh_from_db()
    assert (item.reps, program.version, counts()) == (11, 1, (1, 1, 1))


@pytest.mark.django_db(transaction=True)
def test_positions_stay_unique_at_commit(client_for, make_member, organization):
    # Committed for real, so PostgreSQL checks the deferred unique positions at the end of
    # each request (inside a test transaction it never would).
    therapist = make_member(Role.THERAPIST)
    program = program_with(organization=organization, sessions=2, items=3)
    client = client_for(therapist)
    (a1, a2, a3), (b1, b2, b3) = tree(program)
    s1, s2 = session_ids(program)
    exercise = str(ExerciseFactory.create().pk)

    steps = [
        client.post(
            f"{detail(program)}reorder/",
            {"sessions": [s2, s1], "items": {s1: [a3, b1, a1], s2: [b3, a2, b2]}},
            **if_match(program),
        ),
        client.post(
            items_url(program, program.sessions.get(pk=s1)),
            {"exercise": exercise, "reps": 5, "position": 1},
            **if_match(program),
        ),
        client.delete(
            f"{items_url(program, program.sessions.get(pk=s2))}{a2}/", **if_match(program)
        ),
    ]
    detail_body = client.get(detail(program)).json()
    detail_body["sessions"].reverse()
    detail_body["sessions"][0]["items"].reverse()
    steps.append(client.put(detail(program), detail_body, **if_match(program)))

    assert [r.status_code for r in steps] == [200, 201, 204, 200]
    for session in program.sessions.all():
        positions = list(session.items.order_by("position").values_list("position", flat=True))
        assert positions == list(range(1, len(positions) + 1))
    assert sorted(program.sessions.values_list("position", flat=True)) == [1, 2]
