"""/api/v1/exercises/: the global library and an organisation's own exercises."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from careboard.builder.models import Exercise
from careboard.builder.tests.factories import ExerciseFactory
from careboard.builder.vocabulary import BodyRegion, Difficulty, Equipment, Position
from careboard.organizations.roles import Role
from careboard.organizations.tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/exercises/"

NEW_EXERCISE = {
    "name": "Heel slide",
    "instructions": [
        "Lie on your back with both legs straight.",
        "Slide the heel of the operated leg towards your buttock.",
        "Slide it back slowly.",
    ],
    "body_regions": ["knee", "hip"],
    "equipment": ["mat"],
    "difficulty": "easy",
    "position": "lying_back",
    "default_sets": 2,
    "default_reps": 15,
    "video_url": "https://youtu.be/dQw4w9WgXcQ?t=30s",
}


def detail(exercise: Exercise) -> str:
    return f"{URL}{exercise.pk}/"


def names(response) -> list[str]:
    return [row["name"] for row in response.json()["results"]]


@pytest.fixture
def library(organization, other_organization):
    """Two global exercises, one of ours, one of another organisation's, one archived."""
    return {
        "squat": ExerciseFactory.create(
            name="Mini squat",
            instructions=["Stand with feet hip-width apart.", "Bend the knees a little."],
            body_regions=[BodyRegion.KNEE, BodyRegion.HIP],
            equipment=[Equipment.NONE],
            difficulty=Difficulty.MODERATE,
            position=Position.STANDING,
            translations={
                "de": {
                    "name": "Mini-Kniebeuge",
                    "instructions": ["Hüftbreit hinstellen.", "Die Knie leicht beugen."],
                }
            },
        ),
        "chin": ExerciseFactory.create(
            name="Chin tuck",
            instructions=["Sit tall.", "Draw the chin straight back, like a double chin."],
            body_regions=[BodyRegion.NECK],
            equipment=[Equipment.CHAIR],
            position=Position.SITTING,
        ),
        "ours": ExerciseFactory.create(
            organization=organization,
            name="Ward stairs practice",
            instructions=["Hold the rail.", "Up with the good leg, down with the bad."],
            body_regions=[BodyRegion.KNEE],
            equipment=[Equipment.STEP],
            difficulty=Difficulty.HARD,
            position=Position.STANDING,
        ),
        "theirs": ExerciseFactory.create(organization=other_organization, name="Their lunge"),
        "old": ExerciseFactory.create(organization=organization, name="Old pulley", archived=True),
    }


# Read -----------------------------------------------------------------------------------------


def test_library_lists_global_and_own_exercises_by_name(client_for, nurse, library):
    response = client_for(nurse).get(URL)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert names(response) == ["Chin tuck", "Mini squat", "Ward stairs practice"]
    squat = body["results"][1]
    assert squat["is_global"] is True
    assert squat["organization"] is None
    assert squat["video_provider"] == "youtube"
    assert squat["embed_url"] == "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"
    assert squat["thumbnail_url"] == "https://i.ytimg.com/vi/dQw4w9WgXcQ/hqdefault.jpg"
    assert squat["body_regions"] == ["hip", "knee"]
    assert body["results"][2]["organization"] == str(library["ours"].organization_id)
    assert body["results"][2]["is_global"] is False


def test_outsider_sees_the_global_library_but_not_our_exercises(client_for, outsider, library):
    response = client_for(outsider).get(URL)
    assert names(response) == ["Chin tuck", "Mini squat", "Their lunge"]


def test_outsider_gets_404_for_our_exercise(client_for, outsider, library):
    response = client_for(outsider).get(detail(library["ours"]))
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_anonymous_gets_401(client_for, library):
    assert client_for(None).get(URL).status_code == 401
    assert client_for(None).get(detail(library["squat"])).status_code == 401


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("search=squat", ["Mini squat"]),
        ("search=SQUAT", ["Mini squat"]),
        ("search=double chin", ["Chin tuck"]),
        ("search=rail", ["Ward stairs practice"]),
        ("search=kniebeuge", ["Mini squat"]),
        ("search=knie beugen", ["Mini squat"]),
        ("search=nothing-like-this", []),
        ("body_region=knee", ["Mini squat", "Ward stairs practice"]),
        ("body_region=neck&body_region=hip", ["Chin tuck", "Mini squat"]),
        ("equipment=step", ["Ward stairs practice"]),
        ("equipment=chair&equipment=none", ["Chin tuck", "Mini squat"]),
        ("difficulty=hard", ["Ward stairs practice"]),
        ("position=standing", ["Mini squat", "Ward stairs practice"]),
        ("position=standing&body_region=knee&search=squat", ["Mini squat"]),
        ("archived=true", ["Old pulley"]),
        ("archived=false", ["Chin tuck", "Mini squat", "Ward stairs practice"]),
    ],
)
def test_search_and_filters(client_for, therapist, library, query, expected):
    response = client_for(therapist).get(f"{URL}?{query}")
    assert response.status_code == 200
    assert names(response) == expected


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("body_region=elbowz", "body_region"),
        ("equipment=trampoline", "equipment"),
        ("difficulty=extreme", "difficulty"),
        ("position=upside_down", "position"),
    ],
)
def test_unknown_filter_values_are_refused(client_for, therapist, library, query, field):
    response = client_for(therapist).get(f"{URL}?{query}")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]


def test_names_come_in_the_users_language_with_the_original(client_for, make_member, library):
    german = make_member(Role.THERAPIST, language="de")

    squat = client_for(german).get(detail(library["squat"])).json()

    assert squat["name"] == "Mini squat"
    assert squat["instructions"] == ["Stand with feet hip-width apart.", "Bend the knees a little."]
    assert squat["display"] == {
        "language": "de",
        "name": "Mini-Kniebeuge",
        "instructions": ["Hüftbreit hinstellen.", "Die Knie leicht beugen."],
    }


def test_accept_language_is_used_when_the_profile_has_no_language(client_for, therapist, library):
    client = client_for(therapist)
    german = client.get(detail(library["squat"]), HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9")
    thai = client.get(detail(library["squat"]), HTTP_ACCEPT_LANGUAGE="th")

    assert german.json()["display"]["name"] == "Mini-Kniebeuge"
    # No Thai translation: the original, marked as such.
    assert thai.json()["display"] == {
        "language": None,
        "name": "Mini squat",
        "instructions": ["Stand with feet hip-width apart.", "Bend the knees a little."],
    }


def test_list_query_count_does_not_grow_with_the_page(client_for, therapist, organization):
    client = client_for(therapist)
    ExerciseFactory.create_batch(2, organization=organization)
    client.get(URL)  # warm the caller's caches (token, roles) equally for both runs
    with CaptureQueriesContext(connection) as small:
        assert client.get(URL).status_code == 200
    ExerciseFactory.create_batch(30)
    with CaptureQueriesContext(connection) as large:
        assert client.get(URL).json()["count"] == 32
    assert len(large) == len(small)


# Create -------------------------------------------------------------------------------------


def test_therapist_adds_an_exercise_to_the_organisations_library(
    client_for, therapist, organization
):
    response = client_for(therapist).post(URL, NEW_EXERCISE)

    assert response.status_code == 201
    exercise = Exercise.objects.get()
    body = response.json()
    assert body["id"] == str(exercise.pk)
    assert body["organization"] == str(organization.pk)
    assert body["video_url"] == "https://youtu.be/dQw4w9WgXcQ?t=30s"
    assert body["video_provider"] == "youtube"
    assert body["video_id"] == "dQw4w9WgXcQ"
    assert body["embed_url"] == "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?start=30"
    assert body["thumbnail_url"] == "https://i.ytimg.com/vi/dQw4w9WgXcQ/hqdefault.jpg"
    assert body["archived"] is False
    assert exercise.organization == organization
    assert exercise.created_by == therapist
    assert exercise.body_regions == ["hip", "knee"]
    assert exercise.search_text == (
        "heel slide\nlie on your back with both legs straight.\n"
        "slide the heel of the operated leg towards your buttock.\nslide it back slowly."
    )
    assert exercise.history.get().history_user == therapist


def test_translations_are_searchable(client_for, therapist):
    data = {
        **NEW_EXERCISE,
        "translations": {"de": {"name": "Fersengleiten", "instructions": ["Auf den Rücken."]}},
    }
    assert client_for(therapist).post(URL, data).status_code == 201
    assert "fersengleiten\nauf den rücken." in Exercise.objects.get().search_text


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (Role.ADMIN, 201),
        (Role.THERAPIST, 201),
        (Role.PHYSICIAN, 403),
        (Role.NURSE, 403),
        (Role.VIEWER, 403),
    ],
)
def test_who_may_add_exercises(client_for, make_member, role, expected):
    response = client_for(make_member(role)).post(URL, NEW_EXERCISE)
    assert response.status_code == expected
    assert Exercise.objects.count() == (1 if expected == 201 else 0)


def test_outsider_cannot_add_to_our_library(client_for, outsider, organization):
    response = client_for(outsider).post(
        URL, {**NEW_EXERCISE, "organization": str(organization.pk)}
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["organization"]
    assert not Exercise.objects.exists()


def test_nobody_adds_to_the_global_library(client_for, therapist):
    response = client_for(therapist).post(URL, {**NEW_EXERCISE, "organization": None})
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "organization": ["The shared global library is read-only."]
    }
    assert not Exercise.objects.exists()


def test_anonymous_cannot_add(client_for):
    assert client_for(None).post(URL, NEW_EXERCISE).status_code == 401
    assert not Exercise.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            "video_url",
            "http://youtu.be/dQw4w9WgXcQ",
            "Only https:// links are accepted as a video link.",
        ),
        ("video_url", "javascript:alert(1)", "Only https:// links are accepted as a video link."),
        (
            "video_url",
            "https://www.youtube.com.evil.org/watch?v=dQw4w9WgXcQ",
            "Use a YouTube or Vimeo link, or an HTTPS link to an .mp4, .webm or .m3u8 video file.",
        ),
        (
            "video_url",
            "https://www.youtube.com/watch?v=short",
            "This is not a valid YouTube video id (11 letters, digits, - or _).",
        ),
        (
            "thumbnail_url",
            "http://img.example.org/a.jpg",
            "Only https:// links are accepted as a thumbnail link.",
        ),
        ("instructions", [], "Ensure this field has at least 1 elements."),
        ("body_regions", ["elbowz"], None),
        ("difficulty", "extreme", '"extreme" is not a valid choice.'),
        ("default_reps", 201, "Ensure this value is less than or equal to 200."),
        ("default_hold_seconds", 601, "Ensure this value is less than or equal to 600."),
        ("translations", {"xx": {"name": "?"}}, "Unknown language: xx."),
        ("name", "", "This field may not be blank."),
    ],
)
def test_invalid_exercise_is_refused_on_its_field(client_for, therapist, field, value, message):
    response = client_for(therapist).post(URL, {**NEW_EXERCISE, field: value})

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [key.split("[")[0].split(".")[0] for key in errors] == [field]
    if message:
        assert next(iter(errors.values())) == [message]
    assert not Exercise.objects.exists()


# Edit and archive -----------------------------------------------------------------------------


def test_therapist_edits_an_own_exercise(client_for, therapist, library):
    ours = library["ours"]
    response = client_for(therapist).patch(
        detail(ours),
        {"name": "Stair practice", "video_url": "https://vimeo.com/76979871"},
    )

    assert response.status_code == 200
    ours.refresh_from_db()
    assert ours.name == "Stair practice"
    assert ours.search_text.startswith("stair practice\n")
    assert (ours.video_provider, ours.video_id) == ("vimeo", "76979871")
    assert ours.embed_url == "https://player.vimeo.com/video/76979871?dnt=1"
    # The YouTube thumbnail went with the YouTube video.
    assert ours.thumbnail_url == ""
    assert ours.history.first().history_user == therapist


def test_a_chosen_thumbnail_stays_when_the_video_changes(client_for, therapist, library):
    ours = library["ours"]
    client = client_for(therapist)
    client.patch(detail(ours), {"thumbnail_url": "https://img.example.org/stairs.jpg"})
    client.patch(detail(ours), {"video_url": "https://vimeo.com/76979871"})
    ours.refresh_from_db()
    assert ours.thumbnail_url == "https://img.example.org/stairs.jpg"


def test_archiving_hides_the_exercise_from_the_library(client_for, therapist, library):
    client = client_for(therapist)
    response = client.patch(detail(library["ours"]), {"archived": True})

    assert response.status_code == 200
    assert response.json()["archived"] is True
    assert "Ward stairs practice" not in names(client.get(URL))
    assert client.get(detail(library["ours"])).status_code == 200
    assert client.patch(detail(library["ours"]), {"archived": False}).json()["archived"] is False


def test_delete_is_not_offered(client_for, therapist, library):
    response = client_for(therapist).delete(detail(library["ours"]))
    assert response.status_code == 405
    assert Exercise.objects.filter(pk=library["ours"].pk, archived=False).exists()


def test_global_library_is_read_only(client_for, therapist, library):
    squat = library["squat"]
    response = client_for(therapist).patch(detail(squat), {"name": "Changed"})

    assert response.status_code == 403
    assert response.json()["detail"] == "The shared global library is read-only."
    squat.refresh_from_db()
    assert squat.name == "Mini squat"


@pytest.mark.parametrize("role", [Role.PHYSICIAN, Role.NURSE, Role.VIEWER])
def test_other_roles_cannot_edit(client_for, make_member, library, role):
    response = client_for(make_member(role)).patch(detail(library["ours"]), {"name": "Changed"})
    assert response.status_code == 403
    library["ours"].refresh_from_db()
    assert library["ours"].name == "Ward stairs practice"


def test_outsider_cannot_edit_our_exercise(client_for, outsider, library):
    response = client_for(outsider).patch(detail(library["ours"]), {"name": "Changed"})
    assert response.status_code == 404
    library["ours"].refresh_from_db()
    assert library["ours"].name == "Ward stairs practice"


def test_anonymous_cannot_edit(client_for, library):
    assert client_for(None).patch(detail(library["ours"]), {"name": "X"}).status_code == 401
    library["ours"].refresh_from_db()
    assert library["ours"].name == "Ward stairs practice"


def test_an_exercise_cannot_change_owner(client_for, therapist, library, other_organization):
    # A therapist of both organisations still cannot move an exercise between them.
    MembershipFactory.create(user=therapist, organization=other_organization, role=Role.THERAPIST)
    response = client_for(therapist).patch(
        detail(library["ours"]), {"organization": str(other_organization.pk)}
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {"organization": ["An exercise cannot change owner."]}
    library["ours"].refresh_from_db()
    assert library["ours"].organization_id != other_organization.pk


def test_a_member_of_several_organisations_names_the_owner(
    client_for, therapist, other_organization
):
    MembershipFactory.create(user=therapist, organization=other_organization, role=Role.THERAPIST)
    client = client_for(therapist)
    response = client.post(URL, NEW_EXERCISE)
    assert response.status_code == 400
    assert response.json()["errors"] == {"organization": ["This field is required."]}
    response = client.post(URL, {**NEW_EXERCISE, "organization": str(other_organization.pk)})
    assert response.status_code == 201
    assert Exercise.objects.get().organization == other_organization


def test_invalid_edit_changes_nothing(client_for, therapist, library):
    response = client_for(therapist).patch(
        detail(library["ours"]), {"name": "New", "video_url": "https://evil.org/x"}
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["video_url"]
    library["ours"].refresh_from_db()
    assert library["ours"].name == "Ward stairs practice"
