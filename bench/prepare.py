"""Pick the benchmark's targets in the generated data and issue their tokens.

    python bench/prepare.py OUT.json [--import-file FILE --import-rows N]

Writes OUT.json with the URLs' ids and the secrets the load driver sends: a nurse's API
token (floor, board, critical list, series, recording), a therapist's (programs,
exercises), and portal tokens of assignments running today with a 5 x 10 program. With
``--import-file`` it also writes a CSV of N valid observations for current admissions
(for ``manage.py import_observations``).
"""

# ruff: noqa: T201  (command-line scripts print their results)
from __future__ import annotations

import argparse
import csv
import json
import os
import random
import sys
import uuid
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

import django  # noqa: E402

django.setup()

from django.db.models import Count, Q  # noqa: E402
from django.utils import timezone  # noqa: E402

from careboard.bench_data.generate import GENERATED_SLUG_PREFIX  # noqa: E402
from careboard.builder.assignments import portal_token_issue  # noqa: E402
from careboard.builder.models import Assignment, Program  # noqa: E402
from careboard.organizations.models import Membership, Organization, Ward  # noqa: E402
from careboard.organizations.roles import Role  # noqa: E402
from careboard.patients.models import Admission  # noqa: E402
from careboard.users.models import User  # noqa: E402
from careboard.users.services import api_token_create  # noqa: E402


def member(org: Organization, role: str) -> User:
    membership = (
        Membership.objects.filter(organization=org, role=role)
        .select_related("user")
        .order_by("user__email")
        .first()
    )
    if membership is None:
        raise SystemExit(f"{org.slug} has no member with the role {role}")
    return membership.user


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--import-file")
    parser.add_argument("--import-rows", type=int, default=100_000)
    args = parser.parse_args()
    rng = random.Random(8)  # noqa: S311
    org = Organization.objects.filter(slug__startswith=GENERATED_SLUG_PREFIX).order_by("slug")[0]
    nurse, therapist = member(org, Role.NURSE), member(org, Role.THERAPIST)
    _t, nurse_token = api_token_create(user=nurse, name="bench", days=2)
    _t, therapist_token = api_token_create(user=therapist, name="bench", days=2)
    now = timezone.now()
    wards = list(
        Ward.objects.filter(organization=org)
        .annotate(n=Count("admissions", filter=Q(admissions__discharged_at__isnull=True)))
        .order_by("name")
    )
    current = list(
        Admission.objects.current().filter(ward__organization=org).values_list("pk", "admitted_at")
    )
    long_stays = [str(pk) for pk, at in current if at <= now - timedelta(days=7)]
    programs = list(
        Program.objects.filter(organization=org)
        .annotate(sessions_n=Count("sessions", distinct=True), items_n=Count("sessions__items"))
        .filter(sessions_n=5, items_n=50)
        .values_list("pk", flat=True)[:20]
    )
    heavy = [
        a
        for a in Assignment.objects.filter(organization=org, status="active").select_related(
            "organization"
        )[:400]
        if len(a.snapshot["sessions"]) == 5
        and all(len(s["items"]) == 10 for s in a.snapshot["sessions"])
        and a.start_date <= timezone.localdate(timezone=org.tz)
    ][:20]
    portal_tokens = [portal_token_issue(assignment=a)[1] for a in heavy]
    fixtures = {
        "organization": str(org.pk),
        "nurse_email": nurse.email,
        "nurse_token": nurse_token,
        "therapist_token": therapist_token,
        "wards": [{"id": str(w.pk), "beds": w.n} for w in wards],
        "admissions": [str(pk) for pk, _at in current],
        "long_stays": long_stays,
        "programs": [str(pk) for pk in programs],
        "portal_tokens": portal_tokens,
        "exercise_terms": ["knee", "hip", "bridge", "stretch", "calf", "plank", "rotation"],
    }
    Path(args.out).write_text(json.dumps(fixtures, indent=1))
    print(
        f"fixtures: {len(wards)} wards, {len(current)} current admissions "
        f"({len(long_stays)} of 7+ days), {len(programs)} programs of 5x10, "
        f"{len(portal_tokens)} portal tokens"
    )
    if args.import_file:
        write_import_file(args.import_file, args.import_rows, current, rng, now)


def write_import_file(
    path: str,
    rows: int,
    current: list[tuple[uuid.UUID, datetime]],
    rng: random.Random,
    now: datetime,
) -> None:
    """Valid back-filled sets for current admissions, in time order per file."""
    fields = [
        "admission",
        "recorded_at",
        "respiratory_rate",
        "spo2",
        "on_oxygen",
        "systolic_bp",
        "diastolic_bp",
        "heart_rate",
        "consciousness",
        "temperature",
        "pain_score",
        "fluid_in_oral",
        "fluid_out_urine",
        "notes",
    ]
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(fields)
        for _ in range(rows):
            pk, admitted = current[rng.randrange(len(current))]
            span = (now - timedelta(minutes=5) - admitted).total_seconds()
            at = admitted + timedelta(seconds=rng.uniform(0, max(span, 1)))
            systolic = rng.randint(95, 165)
            writer.writerow(
                [
                    pk,
                    at.isoformat(),
                    rng.randint(10, 26),
                    rng.randint(90, 100),
                    rng.choice(("false", "false", "false", "true")),
                    systolic,
                    rng.randint(50, systolic - 15),
                    rng.randint(55, 125),
                    rng.choice("AAAAAAAAAC"),
                    f"{rng.uniform(36, 39.2):.1f}",
                    rng.randint(0, 6),
                    rng.choice(("", "", "200", "350")),
                    rng.choice(("", "", "300", "450")),
                    "" if rng.random() < 0.97 else "Back-filled from the paper chart.",
                ]
            )
    print(f"import file: {rows} rows in {path}")


if __name__ == "__main__":
    main()
