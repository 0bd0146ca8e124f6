"""The starter exercise library, and demo programs and templates for "Demo Hospital",
loaded by ``manage.py demo``.

Idempotent: the global library is matched by name and brought up to date with
``careboard.builder.library`` (rows that already match are not touched, so a second run
writes nothing); programs are matched by name within the organisation and created once.
Every write goes through :mod:`careboard.builder.services`, as the API's do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from careboard.builder import services
from careboard.builder.library import LIBRARY, LibraryExercise
from careboard.builder.models import Exercise, Program, ProgramStatus
from careboard.builder.vocabulary import BodyRegion, Difficulty, Equipment, Position
from careboard.organizations.models import Organization
from careboard.users.models import User

DEMO_ORGANIZATION_SLUG = "demo-hospital"
DEMO_AUTHOR_EMAIL = "therapist@example.org"

# Demo Hospital's own additions to the library (the global one is read-only to it).
OWN_EXERCISES = (
    LibraryExercise(
        "Ward corridor walk",
        (
            "Walk the length of the ward corridor at a comfortable pace, with your walking "
            "aid if you use one.",
            "Turn at the fire door and walk back to the nurses' station: that is one lap.",
            "Rest on the bench by the lifts if you need to.",
            "Tell the nurse on duty before you set off the first few times.",
            "Stop and sit down if you feel dizzy, short of breath or have chest pain.",
        ),
        (BodyRegion.FULL_BODY,),
        (Equipment.NONE,),
        Difficulty.EASY,
        Position.STANDING,
        sets=1,
        reps=4,
    ),
    LibraryExercise(
        "Stair practice with rail",
        (
            "Use the physio stairs by Medical Ward 3, with a therapist the first time.",
            "Going up: hold the rail, step up with the stronger leg, then bring up the other.",
            "Going down: step down with the weaker leg first, then the stronger one.",
            "Take one step at a time and keep a hand on the rail throughout.",
            "Stop and sit if your knee gives way or the pain rises sharply.",
        ),
        (BodyRegion.KNEE, BodyRegion.HIP),
        (Equipment.STEP,),
        Difficulty.MODERATE,
        Position.STANDING,
        sets=2,
        reps=10,
        rest=60,
    ),
)


@dataclass(frozen=True)
class DemoSession:
    name: str
    # (exercise name, dosage overriding the exercise's default dosage)
    items: tuple[tuple[str, dict[str, Any]], ...]
    days_of_week: tuple[int, ...] = ()
    times_per_day: int = 1


@dataclass(frozen=True)
class DemoProgram:
    name: str
    description: str
    sessions: tuple[DemoSession, ...]
    duration_weeks: int = 6
    status: str = ProgramStatus.PUBLISHED
    is_template: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


MON_WED_FRI = (0, 2, 4)
TUE_THU_SAT = (1, 3, 5)

DEMO_PROGRAMS = (
    DemoProgram(
        "Total knee replacement — weeks 0–6",
        "From the day after surgery: swelling control, knee bend and straightening, then "
        "strength for stairs and standing up. Ice after the sessions if the knee is warm.",
        (
            DemoSession(
                "Early mobility",
                (
                    ("Ankle pumps", {}),
                    ("Quadriceps set", {}),
                    ("Heel slide", {}),
                    ("Short arc quad", {}),
                    (
                        "Straight leg raise",
                        {
                            "reps": 8,
                            "progression_field": "reps",
                            "progression_step": 1,
                            "progression_cap": 15,
                        },
                    ),
                ),
                times_per_day=3,
            ),
            DemoSession(
                "Strength",
                (
                    ("Sit to stand", {"reps": 8}),
                    ("Mini squat", {}),
                    ("Calf raise", {}),
                    ("Step-up", {"reps": 8, "notes": "Start with the bottom stair."}),
                ),
                days_of_week=MON_WED_FRI,
            ),
        ),
        is_template=True,
    ),
    DemoProgram(
        "Low back pain — first six weeks",
        "Gentle movement first, then trunk and hip strength. Keep moving during the day; "
        "short walks are part of the program.",
        (
            DemoSession(
                "Mobility",
                (
                    ("Pelvic tilt", {}),
                    ("Knee to chest stretch", {}),
                    ("Lower trunk rotation", {}),
                    ("Cat-camel", {}),
                ),
                times_per_day=2,
            ),
            DemoSession(
                "Strength",
                (
                    ("Abdominal bracing", {}),
                    (
                        "Glute bridge",
                        {
                            "progression_field": "hold_seconds",
                            "progression_step": 1,
                            "progression_cap": 10,
                        },
                    ),
                    ("Bird dog", {}),
                    ("Dead bug", {"sets": 2}),
                ),
                days_of_week=MON_WED_FRI,
            ),
        ),
        is_template=True,
    ),
    DemoProgram(
        "Shoulder — rotator cuff, early phase",
        "Pain-free range of motion first, then light rotator cuff strength. Some ache after "
        "exercise is fine if it settles within an hour.",
        (
            DemoSession(
                "Range of motion",
                (
                    ("Pendulum swing", {}),
                    ("Wall slide (shoulder flexion)", {}),
                    ("Cross-body shoulder stretch", {}),
                    ("Shoulder blade squeeze", {}),
                ),
                times_per_day=2,
            ),
            DemoSession(
                "Cuff strength",
                (
                    ("External rotation with band", {}),
                    ("Internal rotation with band", {}),
                    (
                        "Scaption raise",
                        {
                            "load_kg": 0.5,
                            "progression_field": "load_kg",
                            "progression_step": 0.5,
                            "progression_cap": 2,
                        },
                    ),
                ),
                days_of_week=TUE_THU_SAT,
            ),
        ),
        duration_weeks=8,
        is_template=True,
    ),
    DemoProgram(
        "Falls prevention — balance and strength",
        "Twelve weeks of leg strength and balance for people who have fallen or fear "
        "falling. Always exercise next to something sturdy to hold on to.",
        (
            DemoSession(
                "Strength",
                (
                    (
                        "Sit to stand",
                        {
                            "reps": 8,
                            "progression_field": "reps",
                            "progression_step": 1,
                            "progression_cap": 15,
                        },
                    ),
                    ("Calf raise", {}),
                    ("Standing hip extension", {}),
                    ("Stair practice with rail", {}),
                ),
                days_of_week=MON_WED_FRI,
            ),
            DemoSession(
                "Balance",
                (
                    (
                        "Single-leg stance",
                        {
                            "hold_seconds": 10,
                            "progression_field": "hold_seconds",
                            "progression_step": 5,
                            "progression_cap": 30,
                        },
                    ),
                    ("Tandem stance", {"hold_seconds": 15}),
                    ("Heel-to-toe walk", {}),
                    ("Marching on the spot", {}),
                ),
            ),
            DemoSession(
                "Walking",
                (
                    (
                        "Walking programme",
                        {
                            "duration_seconds": 600,
                            "progression_field": "duration_seconds",
                            "progression_step": 120,
                            "progression_cap": 1800,
                        },
                    ),
                ),
                days_of_week=TUE_THU_SAT,
            ),
        ),
        duration_weeks=12,
    ),
    DemoProgram(
        "Desk work — neck and upper back",
        "Short breaks for people who sit at a screen all day. Draft: the therapist is still "
        "choosing the strengthening part.",
        (
            DemoSession(
                "Every two hours",
                (
                    ("Chin tuck", {}),
                    ("Upper trapezius stretch", {}),
                    ("Shoulder blade squeeze", {}),
                    ("Doorway chest stretch", {}),
                ),
                days_of_week=(0, 1, 2, 3, 4),
                times_per_day=4,
            ),
        ),
        duration_weeks=4,
        status=ProgramStatus.DRAFT,
    ),
)


@transaction.atomic
def load_demo_library() -> tuple[int, int]:
    """Load the global starter library and Demo Hospital's programs and templates.

    Returns the numbers of exercises and programs created or updated by this run.
    """
    changed = sum(_upsert(spec, organization=None) for spec in LIBRARY)
    organization = Organization.objects.filter(slug=DEMO_ORGANIZATION_SLUG).first()
    if organization is None:
        return changed, 0
    changed += sum(_upsert(spec, organization=organization) for spec in OWN_EXERCISES)
    author = User.objects.filter(email=DEMO_AUTHOR_EMAIL).first()
    # The organisation's own exercise wins over a global one of the same name.
    exercises = {e.name: e for e in Exercise.objects.filter(organization__isnull=True)}
    exercises.update({e.name: e for e in Exercise.objects.filter(organization=organization)})
    programs = 0
    for spec in DEMO_PROGRAMS:
        if Program.objects.filter(organization=organization, name=spec.name).exists():
            continue
        services.program_create(
            organization=organization,
            by=author,
            name=spec.name,
            description=spec.description,
            status=spec.status,
            duration_weeks=spec.duration_weeks,
            is_template=spec.is_template,
            sessions=[_session(session, exercises) for session in spec.sessions],
        )
        programs += 1
    return changed, programs


def _upsert(spec: LibraryExercise, *, organization: Organization | None) -> bool:
    """Create the exercise, or bring it up to date; False when it already matched."""
    wanted = spec.fields()
    exercise = Exercise.objects.filter(organization=organization, name=spec.name).first()
    if exercise is None:
        services.exercise_create(organization=organization, by=None, **wanted)
        return True
    # Code sets are stored sorted and unique.
    stored = {name: getattr(exercise, name) for name in wanted}
    wanted_sets = {name: sorted(set(wanted[name])) for name in ("body_regions", "equipment")}
    if stored == {**wanted, **wanted_sets}:
        return False
    services.exercise_update(exercise=exercise, **wanted)
    return True


_DOSAGE_DEFAULTS = {
    "sets": "default_sets",
    "reps": "default_reps",
    "hold_seconds": "default_hold_seconds",
    "duration_seconds": "default_duration_seconds",
    "rest_seconds": "default_rest_seconds",
}


def _session(spec: DemoSession, exercises: dict[str, Exercise]) -> dict[str, Any]:
    items = []
    for name, overrides in spec.items:
        exercise = exercises[name]
        dosage = {key: getattr(exercise, default) for key, default in _DOSAGE_DEFAULTS.items()}
        items.append({"exercise": exercise, **dosage, **overrides})
    return {
        "name": spec.name,
        "times_per_day": spec.times_per_day,
        "days_of_week": list(spec.days_of_week),
        "items": items,
    }
