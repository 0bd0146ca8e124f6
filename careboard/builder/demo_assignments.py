"""Demo outpatients of "Demo Hospital" following demo programs, with weeks of logs.

Loaded by ``manage.py demo`` after the library (``careboard.builder.demo``), whose programs
it assigns by name. Every write goes through the services, as the API's would. The data
are invented and deterministic (a seeded generator per patient), and every date is
relative to today, so the therapist's list always shows the same picture:

- Margarethe Vogel (knee replacement, 18 days in): follows it well, pain settling;
- Aisha Khan (shoulder, 12 days in): pain rising over her last three reports, to 7/10;
- Jonas Richter (low back pain, 24 days in): dropping off, nothing logged for six days;
- Walter Brandt (falls prevention): starts today, nothing logged yet.

Idempotent: a patient who already follows the program is left as is.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import transaction

from careboard.builder import schedule
from careboard.builder.assignments import (
    activity_log_record,
    assignment_assign,
    organization_today,
)
from careboard.builder.models import ActivityLog, Assignment, AssignmentStatus, Program
from careboard.organizations.models import Organization
from careboard.patients.models import Patient, Sex
from careboard.patients.services import patient_create
from careboard.users.models import User

DEMO_ORGANIZATION_SLUG = "demo-hospital"
DEMO_THERAPIST_EMAIL = "therapist@example.org"
DEMO_OUTPATIENT_PREFIX = "DEMO-OP-"


@dataclass(frozen=True)
class DemoFollower:
    mrn: str
    given_name: str
    family_name: str
    sex: str
    birth_date: date
    language: str
    program: str  # the demo program's name
    started_days_ago: int
    adherence: float  # chance that a planned session is done
    pain_start: int  # daily pain report, settling by one every ``pain_settles_days``
    pain_settles_days: int = 5
    quiet_days: int = 0  # nothing logged in the last days (today included)
    last_pains: tuple[int, ...] = ()  # the last pain reports, as scripted
    difficulty: int = 5
    comments: dict[int, str] = field(default_factory=dict)  # day index -> comment


FOLLOWERS = (
    DemoFollower(
        mrn=f"{DEMO_OUTPATIENT_PREFIX}001",
        given_name="Margarethe",
        family_name="Vogel",
        sex=Sex.FEMALE,
        birth_date=date(1957, 4, 12),
        language="de",
        program="Total knee replacement — weeks 0–6",
        started_days_ago=18,
        adherence=0.9,
        pain_start=5,
        pain_settles_days=5,
        difficulty=6,
        comments={
            1: "Knee swollen in the evening, iced it for 20 minutes.",
            9: "Managed the stairs at home without the rail.",
        },
    ),
    DemoFollower(
        mrn=f"{DEMO_OUTPATIENT_PREFIX}002",
        given_name="Aisha",
        family_name="Khan",
        sex=Sex.FEMALE,
        birth_date=date(1973, 9, 3),
        language="en",
        program="Shoulder — rotator cuff, early phase",
        started_days_ago=12,
        adherence=0.85,
        pain_start=3,
        pain_settles_days=30,
        last_pains=(4, 5, 7),
        difficulty=5,
        comments={11: "Sharp pain when lifting the arm above the shoulder."},
    ),
    DemoFollower(
        mrn=f"{DEMO_OUTPATIENT_PREFIX}003",
        given_name="Jonas",
        family_name="Richter",
        sex=Sex.MALE,
        birth_date=date(1981, 1, 27),
        language="de",
        program="Low back pain — first six weeks",
        started_days_ago=24,
        adherence=0.55,
        pain_start=4,
        pain_settles_days=8,
        quiet_days=6,
        difficulty=4,
        comments={3: "Walked 20 minutes after work, back felt looser."},
    ),
    DemoFollower(
        mrn=f"{DEMO_OUTPATIENT_PREFIX}004",
        given_name="Walter",
        family_name="Brandt",
        sex=Sex.MALE,
        birth_date=date(1944, 11, 30),
        language="de",
        program="Falls prevention — balance and strength",
        started_days_ago=0,
        adherence=0.0,
        pain_start=0,
    ),
)


@transaction.atomic
def load_demo_assignments() -> int:
    """Assign the demo programs to the demo outpatients; returns how many were assigned.

    Needs the demo organisations and library; does nothing without them.
    """
    organization = Organization.objects.filter(slug=DEMO_ORGANIZATION_SLUG).first()
    therapist = User.objects.filter(email=DEMO_THERAPIST_EMAIL).first()
    if organization is None or therapist is None:
        return 0
    today = organization_today(organization)
    created = 0
    for spec in FOLLOWERS:
        program = Program.objects.filter(organization=organization, name=spec.program).first()
        if program is None:
            continue
        patient = _patient(organization, spec)
        follows = Assignment.objects.filter(
            patient=patient, program=program, status=AssignmentStatus.ACTIVE
        )
        if follows.exists():
            continue
        start = today - timedelta(days=spec.started_days_ago)
        assignment, _secret = assignment_assign(
            program=program, patient=patient, by=therapist, start_date=start
        )
        _logs(assignment, spec, today=today)
        created += 1
    return created


def _patient(organization: Organization, spec: DemoFollower) -> Patient:
    patient = Patient.objects.filter(organization=organization, mrn=spec.mrn).first()
    if patient is not None:
        return patient
    return patient_create(
        organization=organization,
        mrn=spec.mrn,
        given_name=spec.given_name,
        family_name=spec.family_name,
        birth_date=spec.birth_date,
        sex=spec.sex,
        preferred_language=spec.language,
    )


def _logs(assignment: Assignment, spec: DemoFollower, *, today: date) -> None:
    rng = random.Random(spec.mrn)  # noqa: S311  (demo data, not security)
    tz = assignment.organization.tz
    reports: list[ActivityLog] = []
    day = assignment.start_date
    index = 0
    while day <= today - timedelta(days=spec.quiet_days):
        plan = schedule.plan_for_day(
            assignment.snapshot, start=assignment.start_date, end_date=None, day=day
        )
        reported = False
        for session in plan.sessions:
            for occurrence in range(session.times_per_day):
                if rng.random() > spec.adherence:
                    continue
                # Morning, midday, evening rounds; the later sessions of a day after.
                hour = min(21, 8 + 5 * occurrence + session.position)
                values = {"session_id": session.id, "performed_on": day, "completed": True}
                if not reported:
                    # One pain and difficulty rating a day, with the first session.
                    values["pain"] = max(0, spec.pain_start - index // spec.pain_settles_days)
                    values["difficulty"] = min(10, max(0, spec.difficulty + rng.choice((-1, 0, 1))))
                    if index in spec.comments:
                        values["comment"] = spec.comments[index]
                log, _created = activity_log_record(
                    assignment=assignment,
                    values=values,
                    performed_at=datetime.combine(day, time(hour, 15), tzinfo=tz),
                )
                if not reported:
                    reports.append(log)
                    reported = True
        day += timedelta(days=1)
        index += 1
    if spec.last_pains:
        # The scripted end of the story (e.g. pain rising over the last reports).
        last = reports[-len(spec.last_pains) :]
        for log, pain in zip(last, spec.last_pains, strict=False):
            ActivityLog.objects.filter(pk=log.pk).update(pain=pain)
