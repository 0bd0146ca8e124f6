"""The starter library and the demo programs: complete, valid, loaded once."""

from __future__ import annotations

import io

import pytest
from django.conf import settings
from django.core.management import call_command

from careboard.builder.demo import DEMO_PROGRAMS, OWN_EXERCISES, load_demo_library
from careboard.builder.library import LIBRARY
from careboard.builder.models import Exercise, Program, ProgramItem, ProgramSession
from careboard.builder.video import parse_video_url
from careboard.builder.vocabulary import BodyRegion, Difficulty, Equipment, Position
from careboard.organizations.demo import load_demo_organizations
from careboard.organizations.models import Organization

# Words of a safety cue: when to stop, what to avoid, how far to go.
CAUTION = ("stop", "do not", "never", "only", "keep", "tell", "if ", "rest", "use ")


def history_rows() -> int:
    rows: int = (
        Exercise.history.count()
        + Program.history.count()
        + ProgramSession.history.count()
        + ProgramItem.history.count()
    )
    return rows


# The data --------------------------------------------------------------------------------


def test_at_least_sixty_distinct_exercises():
    assert len(LIBRARY) >= 60
    assert len({spec.name for spec in LIBRARY}) == len(LIBRARY)


def test_every_body_region_has_exercises():
    covered = {region for spec in LIBRARY for region in spec.regions}
    assert covered == set(BodyRegion.values)
    for region in BodyRegion.values:
        assert sum(region in spec.regions for spec in LIBRARY) >= 5, region


@pytest.mark.parametrize("spec", LIBRARY + OWN_EXERCISES, ids=lambda spec: spec.name)
def test_each_exercise_is_well_described(spec):
    assert 3 <= len(spec.steps) <= 6
    assert all(step.strip() == step and step.endswith((".", "!")) for step in spec.steps)
    assert any(word in spec.steps[-1].lower() for word in CAUTION), "ends with a safety cue"
    assert set(spec.regions) <= set(BodyRegion.values)
    assert set(spec.equipment) <= set(Equipment.values)
    assert spec.difficulty in Difficulty.values
    assert spec.position in Position.values
    assert spec.reps or spec.hold or spec.duration, "a default dosage"
    video = parse_video_url(spec.video_url)
    assert video.provider in ("youtube", "vimeo")
    languages = {code for code, _name in settings.LANGUAGES}
    for language, text in spec.translations.items():
        assert language in languages
        assert len(text["instructions"]) == len(spec.steps)


def test_links_are_stable_and_distinct():
    urls = [spec.video_url for spec in LIBRARY]
    assert len(set(urls)) == len(urls)
    assert urls == [spec.video_url for spec in LIBRARY]


def test_both_providers_and_some_translations_are_shown():
    assert {parse_video_url(spec.video_url).provider for spec in LIBRARY} == {
        "youtube",
        "vimeo",
    }
    assert sum(bool(spec.translations) for spec in LIBRARY) >= 10


# Loading ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_library_loads_as_the_global_library():
    assert load_demo_library() == (len(LIBRARY), 0)

    assert Exercise.objects.count() == len(LIBRARY)
    assert not Exercise.objects.filter(organization__isnull=False).exists()
    chin = Exercise.objects.get(name="Chin tuck")
    assert chin.video_provider == "youtube"
    assert chin.embed_url.startswith("https://www.youtube-nocookie.com/embed/")
    assert chin.thumbnail_url.startswith("https://i.ytimg.com/vi/")
    assert "kinn zurückziehen" in chin.search_text
    assert chin.body_regions == ["neck"]
    assert (chin.default_sets, chin.default_reps, chin.default_hold_seconds) == (2, 10, 3)
    assert not Exercise.objects.filter(embed_url="").exists()


@pytest.mark.django_db
def test_loading_twice_writes_nothing_the_second_time():
    load_demo_organizations()
    load_demo_library()
    counts = (Exercise.objects.count(), Program.objects.count(), ProgramItem.objects.count())
    rows = history_rows()

    assert load_demo_library() == (0, 0)

    assert (
        Exercise.objects.count(),
        Program.objects.count(),
        ProgramItem.objects.count(),
    ) == counts
    assert history_rows() == rows


@pytest.mark.django_db
def test_a_changed_library_entry_is_brought_up_to_date():
    load_demo_library()
    Exercise.objects.filter(name="Chin tuck").update(default_reps=99)
    assert load_demo_library() == (1, 0)
    assert Exercise.objects.get(name="Chin tuck").default_reps == 10


@pytest.mark.django_db
def test_demo_hospital_gets_programs_templates_and_own_exercises():
    load_demo_organizations()
    load_demo_library()

    hospital = Organization.objects.get(slug="demo-hospital")
    programs = Program.objects.filter(organization=hospital)
    assert programs.count() == len(DEMO_PROGRAMS)
    assert programs.filter(is_template=True).count() == 3
    assert set(programs.filter(is_template=False).values_list("status", flat=True)) == {
        "published",
        "draft",
    }
    assert all(p.created_by and p.created_by.email == "therapist@example.org" for p in programs)
    assert Exercise.objects.filter(organization=hospital).count() == len(OWN_EXERCISES)
    falls = programs.get(name="Falls prevention — balance and strength")
    items = ProgramItem.objects.filter(session__program=falls)
    assert items.filter(exercise__organization=hospital).count() == 1
    assert items.exclude(progression_field="").count() == 3
    # Every item is valid by the same rules as the API's.
    for item in ProgramItem.objects.select_related("exercise"):
        item.full_clean()
    # Nothing for the other demo organisation: its library is the global one.
    other = Organization.objects.get(slug="other-clinic")
    assert not Program.objects.filter(organization=other).exists()


@pytest.mark.django_db
def test_the_demo_command_loads_the_library():
    call_command("demo", stdout=io.StringIO())
    assert Exercise.objects.filter(organization__isnull=True).count() == len(LIBRARY)
    assert Program.objects.filter(organization__slug="demo-hospital").count() == len(DEMO_PROGRAMS)
