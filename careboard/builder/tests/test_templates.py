"""Templates: programs marked ``is_template``, and "new from template"
(POST /api/v1/programs/{id}/instantiate/)."""

from __future__ import annotations

import pytest

from careboard.builder.models import Program, ProgramItem, ProgramSession
from careboard.builder.tests.factories import program_with
from careboard.organizations.roles import Role

pytestmark = pytest.mark.django_db

URL = "/api/v1/programs/"


def instantiate_url(program: Program) -> str:
    return f"{URL}{program.pk}/instantiate/"


def counts() -> tuple[int, int, int]:
    return Program.objects.count(), ProgramSession.objects.count(), ProgramItem.objects.count()


@pytest.fixture
def template(organization) -> Program:
    return program_with(
        organization=organization,
        sessions=2,
        items=3,
        name="Low back pain — general",
        description="Mobility first, then strength.",
        is_template=True,
        status="published",
        duration_weeks=8,
    )


def test_a_template_is_created_like_any_program(client_for, therapist, organization):
    exercise_id = str(
        program_with(organization=organization).sessions.get().items.get().exercise_id
    )
    data = {
        "name": "Shoulder — early",
        "is_template": True,
        "sessions": [{"name": "Daily", "items": [{"exercise": exercise_id, "reps": 10}]}],
    }
    response = client_for(therapist).post(URL, data)
    assert response.status_code == 201
    assert response.json()["is_template"] is True


def test_templates_are_listed_apart(client_for, viewer, template, organization):
    program_with(organization=organization, name="A patient's program")
    client = client_for(viewer)
    assert [p["name"] for p in client.get(f"{URL}?is_template=true").json()["results"]] == [
        "Low back pain — general"
    ]
    assert [p["name"] for p in client.get(f"{URL}?is_template=false").json()["results"]] == [
        "A patient's program"
    ]


def test_new_from_template_is_a_deep_copied_draft(client_for, therapist, template):
    response = client_for(therapist).post(instantiate_url(template), {})

    assert response.status_code == 201
    assert response["ETag"] == '"1"'
    body = response.json()
    program = Program.objects.get(pk=body["id"])
    assert (program.name, program.description, program.duration_weeks) == (
        "Low back pain — general",
        "Mobility first, then strength.",
        8,
    )
    assert (program.status, program.is_template, program.version) == ("draft", False, 1)
    assert program.created_by == therapist
    assert program.organization_id == template.organization_id

    source = [
        [(i.position, i.exercise_id, i.sets, i.reps, i.side) for i in s.items.order_by("position")]
        for s in template.sessions.order_by("position")
    ]
    copy = [
        [(i.position, i.exercise_id, i.sets, i.reps, i.side) for i in s.items.order_by("position")]
        for s in program.sessions.order_by("position")
    ]
    assert copy == source
    template_ids = set(ProgramItem.objects.filter(session__program=template).values_list("pk"))
    copy_ids = set(ProgramItem.objects.filter(session__program=program).values_list("pk"))
    assert not template_ids & copy_ids
    assert counts() == (2, 4, 12)


def test_the_new_program_may_be_named(client_for, therapist, template):
    response = client_for(therapist).post(instantiate_url(template), {"name": "Mr. K, back"})
    assert response.json()["name"] == "Mr. K, back"


def test_editing_the_copy_leaves_the_template_alone(client_for, therapist, template):
    client = client_for(therapist)
    body = client.post(instantiate_url(template), {}).json()
    copy_url = f"{URL}{body['id']}/"
    first = body["sessions"][0]
    item = first["items"][0]
    response = client.patch(
        f"{copy_url}sessions/{first['id']}/items/{item['id']}/",
        {"reps": 20},
        HTTP_IF_MATCH='"1"',
    )
    assert response.status_code == 200
    template.refresh_from_db()
    assert template.version == 1
    assert sorted(
        reps or 0
        for reps in ProgramItem.objects.filter(session__program=template).values_list(
            "reps", flat=True
        )
    ) == [11, 11, 12, 12, 13, 13]


def test_duplicating_a_template_gives_a_template(client_for, therapist, template):
    response = client_for(therapist).post(f"{URL}{template.pk}/duplicate/", {})
    assert response.status_code == 201
    assert (response.json()["is_template"], response.json()["status"]) == (True, "draft")


def test_only_a_template_can_be_instantiated(client_for, therapist, organization):
    program = program_with(organization=organization)
    response = client_for(therapist).post(instantiate_url(program), {})
    assert response.status_code == 409
    assert response.json()["detail"] == "This program is not a template."
    assert counts() == (1, 1, 1)


@pytest.mark.parametrize("role", [Role.ADMIN, Role.NURSE, Role.VIEWER])
def test_roles_without_write_cannot_instantiate(client_for, make_member, template, role):
    response = client_for(make_member(role)).post(instantiate_url(template), {})
    assert response.status_code == 403
    assert counts() == (1, 2, 6)


def test_physician_may_instantiate(client_for, physician, template):
    assert client_for(physician).post(instantiate_url(template), {}).status_code == 201


def test_outsider_gets_404(client_for, outsider, template):
    assert client_for(outsider).post(instantiate_url(template), {}).status_code == 404
    assert counts() == (1, 2, 6)


def test_anonymous_gets_401(client_for, template):
    assert client_for(None).post(instantiate_url(template), {}).status_code == 401
    assert counts() == (1, 2, 6)


def test_invalid_name_is_refused(client_for, therapist, template):
    response = client_for(therapist).post(instantiate_url(template), {"name": "x" * 201})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["name"]
    assert counts() == (1, 2, 6)
