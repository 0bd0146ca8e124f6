"""Generate a hospital's (or a region's) worth of realistic data, fast.

Organisations, wards, staff, patients, current and past admissions with their observation
charts (``careboard.bench_data.charts``), the exercise library, programs with sessions and
items, assignments with their frozen snapshots, and the patients' activity logs.

Large tables go through ``careboard.bench_data.bulk`` (COPY on PostgreSQL, ``bulk_create``
elsewhere); the admissions' board pointers (latest observation, previous NEWS2 total, next
due time) are then set by one ``UPDATE … FROM`` per organisation. Generated organisations
have a slug starting ``gen-``: that is how ``--reset`` finds what to delete.
"""

from __future__ import annotations

import random
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from typing import Any, TextIO

from django.db import DEFAULT_DB_ALIAS, connection, transaction
from django.utils import timezone

from careboard.bench_data.bulk import Writer, is_postgresql
from careboard.bench_data.charts import ChartMaker, OrgRules, Stay
from careboard.bench_data.replicate import copy_organization
from careboard.bench_data.scales import Scale
from careboard.builder import video
from careboard.builder.models import (
    ActivityLog,
    Assignment,
    Exercise,
    PortalToken,
    Program,
    ProgramItem,
    ProgramSession,
)
from careboard.builder.services import exercise_search_text
from careboard.builder.snapshot import SNAPSHOT_SCHEMA, item_snapshot
from careboard.organizations.models import Membership, Organization, Ward
from careboard.organizations.roles import Role
from careboard.patients import assessment
from careboard.patients.models import (
    Admission,
    AdmissionMove,
    Observation,
    Patient,
    PhaseChange,
)
from careboard.users.models import ApiToken, User

GENERATED_SLUG_PREFIX = "gen-"
_TIME_ZONES = (
    "Europe/Berlin",
    "Asia/Bangkok",
    "Europe/London",
    "Europe/Vienna",
    "Asia/Ho_Chi_Minh",
    "Europe/Zurich",
    "Asia/Singapore",
    "Europe/Amsterdam",
    "Asia/Kuala_Lumpur",
    "Europe/Paris",
)
_GIVEN = [
    "Anna",
    "Ben",
    "Chloe",
    "David",
    "Emma",
    "Felix",
    "Grace",
    "Hannah",
    "Ivan",
    "Julia",
    "Karl",
    "Lena",
    "Marco",
    "Nina",
    "Oskar",
    "Paula",
    "Quentin",
    "Rosa",
    "Somchai",
    "Tanawat",
    "Ute",
    "Viktor",
    "Wiebke",
    "Xavier",
    "Yara",
    "Zoe",
    "Ahmed",
    "Mai",
    "Niran",
    "Pim",
    "Lukas",
    "Sofia",
    "Jonas",
    "Mia",
    "Noah",
    "Lea",
    "Elias",
    "Clara",
    "Malee",
    "Arthit",
]
_FAMILY = [
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Schulz",
    "Hoffmann",
    "Koch",
    "Richter",
    "Klein",
    "Wolf",
    "Schröder",
    "Neumann",
    "Schwarz",
    "Braun",
    "Zimmermann",
    "Krüger",
    "Hartmann",
    "Lange",
    "Werner",
    "Krause",
    "Saetang",
    "Srisuk",
    "Chaiyaphum",
    "Boonmee",
    "Wongsa",
    "Nguyen",
    "Tran",
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Evans",
]
_MOVES = {
    "knee": ("knee extension", "straight leg raise", "mini squat", "step-up", "heel slide"),
    "hip": ("bridge", "clamshell", "hip abduction", "hip flexor stretch", "side-lying leg lift"),
    "shoulder": ("pendulum", "wall slide", "external rotation", "shoulder press", "wall push-up"),
    "lower_back": ("cat-camel", "pelvic tilt", "knee to chest", "bird dog", "prone press-up"),
    "neck": ("chin tuck", "neck rotation", "upper trapezius stretch", "neck side bend"),
    "ankle_foot": ("ankle pump", "calf raise", "ankle circles", "towel scrunch", "heel walk"),
    "core": ("dead bug", "plank", "side plank", "abdominal bracing", "curl-up"),
    "wrist_hand": ("wrist flexion", "grip squeeze", "finger spread", "wrist extension"),
}
_STYLES = ("Seated", "Standing", "Supine", "Assisted", "Resisted", "Slow", "Single-leg", "Easy")
_POSITION_OF = {
    "Seated": "sitting",
    "Standing": "standing",
    "Supine": "lying_back",
    "Single-leg": "standing",
}
_EQUIPMENT = ("none", "mat", "chair", "resistance_band", "dumbbell", "step", "ball", "towel")
_SESSION_NAMES = ("Morning", "Midday", "Afternoon", "Evening", "Strength", "Mobility", "Balance")


class RefusedError(Exception):
    """The database already holds generated data (or is a production one)."""


class Progress:
    """tqdm when it is installed, else a counter on stderr (at most twice a second)."""

    def __init__(self, label: str, total: int, stream: TextIO, enabled: bool = True) -> None:
        self.label, self.total, self.stream, self.enabled = label, total, stream, enabled
        self.done = 0
        self.started = self._shown = time.monotonic()
        self._bar = None
        if enabled:
            try:
                from tqdm import tqdm

                self._bar = tqdm(total=total, desc=label, unit="row", file=stream)
            except ImportError:
                pass

    def update(self, n: int) -> None:
        self.done += n
        if self._bar is not None:
            self._bar.update(n)
            return
        now = time.monotonic()
        if self.enabled and now - self._shown >= 0.5:
            self._shown = now
            rate = self.done / max(now - self.started, 1e-9)
            self.stream.write(f"\r  {self.label}: {self.done:,}/{self.total:,} ({rate:,.0f}/s)   ")
            self.stream.flush()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
        elif self.enabled:
            self.stream.write(f"\r  {self.label}: {self.done:,} rows{' ' * 30}\n")
            self.stream.flush()


def generated_organizations() -> list[Organization]:
    return list(Organization.objects.filter(slug__startswith=GENERATED_SLUG_PREFIX))


def delete_generated(*, log: Callable[[str], None] = lambda _m: None) -> None:
    """Delete every generated organisation with everything in it (raw DELETEs, children
    first: the ORM's cascade would load a million observations into memory)."""
    orgs = generated_organizations()
    if not orgs:
        return
    ids = [o.pk for o in orgs]
    users = User.objects.filter(memberships__organization__in=ids).values("pk")
    admissions = Admission.objects.filter(ward__organization__in=ids)

    def raw_delete(qs: Any) -> None:
        qs._raw_delete(DEFAULT_DB_ALIAS)

    with transaction.atomic():
        admissions.update(latest_observation=None)
        assignment_ids = Assignment.objects.filter(organization__in=ids).values("pk")
        raw_delete(ActivityLog.objects.filter(assignment__in=assignment_ids))
        raw_delete(PortalToken.objects.filter(assignment__in=assignment_ids))
        raw_delete(Assignment.objects.filter(organization__in=ids))
        raw_delete(ProgramItem.objects.filter(session__program__organization__in=ids))
        raw_delete(ProgramSession.objects.filter(program__organization__in=ids))
        raw_delete(Program.objects.filter(organization__in=ids))
        raw_delete(Exercise.objects.filter(organization__in=ids))
        admission_ids = admissions.values("pk")
        raw_delete(Observation.history.filter(admission_id__in=admission_ids))
        raw_delete(Observation.objects.filter(admission__in=admission_ids))
        raw_delete(PhaseChange.objects.filter(admission__in=admission_ids))
        raw_delete(AdmissionMove.objects.filter(admission__in=admission_ids))
        raw_delete(Admission.history.filter(ward_id__in=Ward.objects.filter(organization__in=ids)))
        raw_delete(admissions)
        raw_delete(Patient.history.filter(organization_id__in=ids))
        raw_delete(Patient.objects.filter(organization__in=ids))
        user_ids = list(users.values_list("pk", flat=True))
        raw_delete(ApiToken.objects.filter(user__in=user_ids))
        raw_delete(Membership.objects.filter(organization__in=ids))
        raw_delete(User.objects.filter(pk__in=user_ids, email__endswith=".example.org"))
        raw_delete(Ward.objects.filter(organization__in=ids))
        raw_delete(Organization.objects.filter(pk__in=ids))
    log(f"Deleted {len(orgs)} generated organisation(s).")


_POINTERS_SQL = """
UPDATE patients_admission AS a
SET latest_observation_id = x.id, previous_news2_total = x.prev_total, next_due_at = x.next_due_at
FROM (
    SELECT id, admission_id, next_due_at, prev_total FROM (
        SELECT o.id, o.admission_id, o.next_due_at,
               row_number() OVER w AS rn, lead(o.news2_total) OVER w AS prev_total
        FROM patients_observation o
        WHERE o.status <> 'entered_in_error' AND o.admission_id IN (
            SELECT a2.id FROM patients_admission a2
            JOIN organizations_ward w2 ON w2.id = a2.ward_id
            WHERE w2.organization_id = %s)
        WINDOW w AS (PARTITION BY o.admission_id ORDER BY o.recorded_at DESC, o.created_at DESC)
    ) ranked WHERE rn = 1
) AS x
WHERE a.id = x.admission_id
"""


class Generator:
    def __init__(
        self,
        scale: Scale,
        *,
        seed: int = 8,
        now: datetime | None = None,
        out: TextIO = sys.stdout,
        err: TextIO = sys.stderr,
        progress: bool = True,
    ) -> None:
        self.scale = scale
        self.rng = random.Random(seed)  # noqa: S311 (synthetic data, not secrets)
        self.now = (now or timezone.now()).astimezone(UTC)
        self.out, self.err, self.progress = out, err, progress
        self.timings: dict[str, float] = {}
        self.counts: dict[str, int] = {}

    # ------------------------------------------------------------------ helpers

    def log(self, message: str) -> None:
        self.out.write(message + "\n")
        self.out.flush()

    @contextmanager
    def part(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        yield
        took = time.perf_counter() - started
        self.timings[name] = self.timings.get(name, 0.0) + took
        self.log(f"  {name}: {took:.1f} s")

    def writer(self, progress: Progress | None = None) -> Writer:
        def on_write(table: str, n: int) -> None:
            self.counts[table] = self.counts.get(table, 0) + n
            if progress is not None and table == progress.label:
                progress.update(n)

        return Writer(on_write=on_write)

    # ------------------------------------------------------------------ run

    def run(self, *, extend: bool = False) -> dict[str, float]:
        """Generate the scale; ``extend``: add the organisations after the first to a
        database that holds only the first (e.g. a copy of the hospital's, for the region)."""
        existing = generated_organizations()
        if extend and len(existing) != 1:
            raise RefusedError("--extend needs a database holding one generated organisation.")
        if existing and not extend:
            raise RefusedError(
                "The database already holds generated data; use --reset to replace it."
            )
        started = time.perf_counter()
        for index in range(1 if extend else 0, self.scale.organizations):
            self.log(f"Organisation {index + 1}/{self.scale.organizations}")
            if index and self.scale.copies and is_postgresql():
                self.copy_first(index)
            else:
                self.organization(index)
        if is_postgresql():
            with self.part("analyze"), connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        self.timings["total"] = time.perf_counter() - started
        self.log(f"Done in {self.timings['total']:.1f} s: " + self.summary())
        return self.timings

    def summary(self) -> str:
        return ", ".join(f"{name} {count:,}" for name, count in sorted(self.counts.items()))

    def organization(self, index: int) -> None:
        scale, rng = self.scale, self.rng
        with self.part("organisation, wards, staff"):
            org, wards, staff = self.make_organization(index)
        rules = OrgRules(
            tz=org.tz,
            intervals=assessment.intervals_for(org),
            shifts=assessment.shifts_for(org),
        )
        with self.part("patients"):
            patients = self.make_patients(org)
        with self.part("admissions and observations"):
            self.make_admissions(org, wards, staff, patients, ChartMaker(rng, rules))
        with self.part("board pointers (one UPDATE … FROM)"):
            pk = Organization._meta.pk
            with connection.cursor() as cursor:
                cursor.execute(_POINTERS_SQL, [pk.get_db_prep_value(org.pk, connection)])
        with self.part("exercises and programs"):
            exercises = self.make_exercises(org, staff)
            programs = self.make_programs(org, staff, exercises)
        with self.part("assignments and activity logs"):
            self.make_assignments(org, staff, patients, programs)
        self.counts.setdefault("organizations", 0)
        self.counts["organizations"] += 1
        del scale

    def copy_first(self, index: int) -> None:
        """Organisation ``index`` as a copy of the first (see ``replicate``)."""
        first = Organization.objects.filter(slug__startswith=GENERATED_SLUG_PREFIX).order_by(
            "created_at", "slug"
        )[0]
        with self.part("copy of the first organisation (SQL)"):
            rows = copy_organization(
                first,
                slug=f"{GENERATED_SLUG_PREFIX}{self.scale.name}-{index + 1}",
                name=f"Generated Hospital {index + 1} ({self.scale.name})",
                time_zone=_TIME_ZONES[index % len(_TIME_ZONES)],
            )
        # Named as the generator counts them (wards and memberships it does not count).
        names = {"organizations_organization": "organizations", "users_user": "users"}
        for table, n in rows.items():
            if table not in ("organizations_ward", "organizations_membership"):
                name = names.get(table, table)
                self.counts[name] = self.counts.get(name, 0) + n

    # ------------------------------------------------------------------ organisation

    def make_organization(
        self, index: int
    ) -> tuple[Organization, list[Ward], dict[str, list[User]]]:
        scale = self.scale
        slug = f"{GENERATED_SLUG_PREFIX}{scale.name}-{index + 1}"
        org = Organization.objects.create(
            name=f"Generated Hospital {index + 1} ({scale.name})",
            slug=slug,
            time_zone=_TIME_ZONES[index % len(_TIME_ZONES)],
        )
        wards = Ward.objects.bulk_create(
            [
                Ward(
                    organization=org,
                    name=f"Ward {w + 1:02d}",
                    code=f"W{w + 1:02d}",
                    beds=scale.beds,
                )
                for w in range(scale.wards)
            ]
        )
        roles = {
            Role.ADMIN: 1,
            Role.PHYSICIAN: max(2, scale.wards),
            Role.NURSE: 3 * scale.wards,
            Role.THERAPIST: max(2, scale.wards // 2),
            Role.VIEWER: 1,
        }
        domain = f"{slug}.example.org"
        users = []
        for role, n in roles.items():
            for k in range(n):
                users.append(
                    User(
                        email=f"{role}{k + 1}@{domain}",
                        name=f"{role.title()} {k + 1}",
                        password="!generated",  # noqa: S106 (unusable: sign in with a token)
                    )
                )
        users = User.objects.bulk_create(users)
        if any(u.pk is None for u in users):  # a backend without RETURNING
            by_email = {u.email: u for u in User.objects.filter(email__endswith=domain)}
            users = [by_email[u.email] for u in users]
        staff: dict[str, list[User]] = {}
        memberships = []
        for user in users:
            role_name = user.email.split("@")[0].rstrip("0123456789")
            staff.setdefault(role_name, []).append(user)
            memberships.append(Membership(user=user, organization=org, role=role_name))
        Membership.objects.bulk_create(memberships)
        self.counts["users"] = self.counts.get("users", 0) + len(users)
        return org, wards, staff

    def make_patients(self, org: Organization) -> list[tuple[uuid.UUID, date, str]]:
        scale, rng = self.scale, self.rng
        total = scale.current_admissions + scale.past_admissions
        n = max(scale.current_admissions, int(total * scale.patients_per_admission))
        today = self.now.date()
        writer = self.writer()
        patients = []
        for k in range(n):
            pk = uuid.uuid4()
            age_days = int(rng.triangular(18 * 365, 98 * 365, 76 * 365))
            birth = today - timedelta(days=age_days)
            sex = "female" if rng.random() < 0.52 else "male"
            created = self.now - timedelta(days=rng.uniform(30, 1500))
            writer.add(
                Patient,
                {
                    "id": pk,
                    "organization_id": org.pk,
                    "mrn": f"H{k + 1:07d}",
                    "given_name": rng.choice(_GIVEN),
                    "family_name": rng.choice(_FAMILY),
                    "birth_date": birth,
                    "sex": sex,
                    "preferred_language": rng.choice(("", "", "en", "de", "th")),
                    "created_at": created,
                    "updated_at": created,
                },
            )
            patients.append((pk, birth, sex))
        writer.flush()
        return patients

    # ------------------------------------------------------------------ admissions

    def _stay_options(self, birth: date, sex: str) -> dict[str, Any]:
        rng = self.rng
        age = (self.now.date() - birth).days // 365
        return {
            "pregnant": sex == "female" and age < 45 and rng.random() < 0.02,
            "dengue": rng.random() < 0.05,
            "spo2_scale": 2 if rng.random() < 0.03 else 1,
            "override_minutes": 60 if rng.random() < 0.02 else None,
        }

    def _admission_row(
        self,
        stay: Stay,
        *,
        patient_id: uuid.UUID,
        ward: Ward,
        bed: str,
        admitted_at: datetime,
        discharged_at: datetime | None,
        physicians: list[User],
    ) -> dict[str, Any]:
        rng = self.rng
        physician = rng.choice(physicians)
        row: dict[str, Any] = {
            "id": stay.admission_id,
            "patient_id": patient_id,
            "ward_id": ward.pk,
            "bed": bed,
            "admitted_at": admitted_at,
            "discharged_at": discharged_at,
            "outcome": (
                ""
                if discharged_at is None
                else rng.choices(("home", "transferred", "deceased", "other"), (90, 6, 2, 2))[0]
            ),
            "protocol": "dengue" if stay.dengue else "general",
            "pregnant": stay.pregnant,
            "attending_physician_id": physician.pk,
            "spo2_scale": stay.spo2_scale,
            "phase": "febrile" if stay.dengue else "",
            # Without observations the first set is due on admission; set from the
            # observations afterwards by one UPDATE.
            "next_due_at": admitted_at,
            "created_at": admitted_at,
            "updated_at": discharged_at or admitted_at,
        }
        if stay.spo2_scale == 2:
            row["spo2_scale_set_by_id"] = physician.pk
            row["spo2_scale_set_at"] = admitted_at + timedelta(minutes=40)
        if stay.override_minutes:
            row["interval_override_minutes"] = stay.override_minutes
            row["interval_override_reason"] = "Post-operative: hourly for now."
            row["interval_override_by_id"] = physician.pk
            row["interval_override_at"] = admitted_at
        return row

    def _write_stay(
        self, writer: Writer, row: dict[str, Any], stay: Stay, observations: list[dict[str, Any]]
    ) -> None:
        writer.add(Admission, row)
        if stay.dengue:
            writer.add(
                PhaseChange,
                {
                    "id": uuid.uuid4(),
                    "admission_id": stay.admission_id,
                    "from_phase": "",
                    "to_phase": "febrile",
                    "note": "Set on admission",
                    "changed_at": row["admitted_at"],
                    "changed_by_id": row["attending_physician_id"],
                },
            )
        for obs in observations:
            writer.add(Observation, obs)

    def make_admissions(
        self,
        org: Organization,
        wards: list[Ward],
        staff: dict[str, list[User]],
        patients: list[tuple[uuid.UUID, date, str]],
        charts: ChartMaker,
    ) -> None:
        scale, rng, now = self.scale, self.rng, self.now
        nurses_of = {
            ward.pk: [u.pk for u in staff[Role.NURSE][3 * i : 3 * i + 3]]
            for i, ward in enumerate(wards)
        }
        physicians = staff[Role.PHYSICIAN]
        progress = Progress("patients_observation", scale.observations, self.err, self.progress)
        writer = self.writer(progress)
        # The earliest time each patient is already in hospital: past stays end before it.
        cursor: dict[uuid.UUID, datetime] = {}
        current_obs = 0
        order = list(range(len(patients)))
        rng.shuffle(order)
        # Current admissions: every bed of every ward; the stay so far ends now.
        slot = 0
        for ward in wards:
            for bed in range(1, scale.beds + 1):
                pid, birth, sex = patients[order[slot]]
                slot += 1
                stay = Stay(
                    uuid.uuid4(), birth, nurses=nurses_of[ward.pk], **self._stay_options(birth, sex)
                )
                kind = rng.random()
                days = (
                    rng.uniform(0.05, 2)
                    if kind < 0.4
                    else rng.uniform(2, 7)
                    if kind < 0.8
                    else rng.uniform(7, 21)
                )
                admitted = now - timedelta(days=days)
                observations = charts.chart(stay, start=admitted, until=now)
                current_obs += len(observations)
                row = self._admission_row(
                    stay,
                    patient_id=pid,
                    ward=ward,
                    bed=str(bed),
                    admitted_at=admitted,
                    discharged_at=None,
                    physicians=physicians,
                )
                self._write_stay(writer, row, stay, observations)
                cursor[pid] = admitted
        # Past admissions share what is left of the observation budget.
        budget = max(scale.observations - current_obs, scale.past_admissions)
        weights = [rng.lognormvariate(0, 0.6) for _ in range(scale.past_admissions)]
        factor = budget / sum(weights)
        counts = [max(1, int(w * factor)) for w in weights]
        for k in range(budget - sum(counts)):
            counts[k % len(counts)] += 1
        for k, count in enumerate(counts):
            pid, birth, sex = patients[order[k % len(order)]]
            ward = wards[rng.randrange(len(wards))]
            stay = Stay(
                uuid.uuid4(), birth, nurses=nurses_of[ward.pk], **self._stay_options(birth, sex)
            )
            limit = cursor.get(pid, now) - timedelta(days=rng.uniform(14, 240))
            # At most how long ``count`` sets take (12-hourly when well), so stays end
            # near ``limit``; a stay is cut at ``limit`` if it runs longer.
            admitted = limit - timedelta(hours=count * rng.uniform(10, 12.5))
            observations = charts.chart(stay, start=admitted, until=limit, count=count)
            last = observations[-1]["recorded_at"] if observations else admitted
            discharged = last + timedelta(hours=rng.uniform(1, 8))
            row = self._admission_row(
                stay,
                patient_id=pid,
                ward=ward,
                bed=str(rng.randint(1, scale.beds)),
                admitted_at=admitted,
                discharged_at=discharged,
                physicians=physicians,
            )
            self._write_stay(writer, row, stay, observations)
            cursor[pid] = admitted
        writer.flush()
        progress.close()

    # ------------------------------------------------------------------ builder

    def make_exercises(self, org: Organization, staff: dict[str, list[User]]) -> list[Exercise]:
        rng = self.rng
        writer = self.writer()
        exercises = []
        therapists = staff[Role.THERAPIST]
        regions = list(_MOVES)
        for k in range(self.scale.exercises):
            region = regions[k % len(regions)]
            move = _MOVES[region][(k // len(regions)) % len(_MOVES[region])]
            style = _STYLES[(k // 40) % len(_STYLES)]
            name = f"{style} {move}" + (f" {k // 320 + 1}" if k >= 320 else "")
            steps = [
                f"Start {_POSITION_OF.get(style, 'standing').replace('_', ' ')}, back straight.",
                f"Slowly perform the {move}, breathing out as you move.",
                "Return to the start position with control.",
            ]
            translations = (
                {"de": {"name": f"{name} (de)", "instructions": [f"{s} (de)" for s in steps]}}
                if k % 3 == 0
                else {}
            )
            parsed = video.parse_video_url(f"https://www.youtube.com/watch?v={k:011d}")
            created = self.now - timedelta(days=rng.uniform(60, 900))
            exercise = Exercise(
                id=uuid.uuid4(),
                organization_id=org.pk,
                name=name,
                instructions=steps,
                body_regions=[region],
                equipment=[rng.choice(_EQUIPMENT)],
                difficulty=rng.choice(("easy", "moderate", "hard")),
                position=_POSITION_OF.get(style, "standing"),
                default_sets=3,
                default_reps=rng.choice((8, 10, 12, 15)),
                video_url=parsed.url,
                video_provider=parsed.provider.value,
                video_id=parsed.id,
                embed_url=parsed.embed_url,
                thumbnail_url=parsed.thumbnail_url,
                translations=translations,
                search_text=exercise_search_text(
                    name=name, instructions=steps, translations=translations
                ),
                created_by_id=rng.choice(therapists).pk,
                created_at=created,
                updated_at=created,
            )
            writer.add(Exercise, _row_of(exercise))
            exercises.append(exercise)
        writer.flush()
        return exercises

    def make_programs(
        self, org: Organization, staff: dict[str, list[User]], exercises: list[Exercise]
    ) -> list[dict[str, Any]]:
        """Programs with their sessions and items; returns each program's snapshot parts."""
        rng = self.rng
        writer = self.writer()
        programs = []
        therapists = staff[Role.THERAPIST]
        # A twentieth (at least 10) are the big ones: 5 sessions of 10 exercises, every day.
        big = max(10, self.scale.programs // 20)
        for k in range(self.scale.programs):
            large = k < big
            n_sessions = 5 if large else rng.randint(1, 4)
            created = self.now - timedelta(days=rng.uniform(10, 700))
            program: dict[str, Any] = {
                "id": uuid.uuid4(),
                "organization_id": org.pk,
                "name": f"{rng.choice(list(_MOVES)).replace('_', ' ').title()} program {k + 1}",
                "description": "Home exercise program after discharge.",
                "status": "published" if rng.random() < 0.85 else "draft",
                "duration_weeks": 8 if large else rng.choice((2, 4, 6, 8, 12)),
                "is_template": (not large) and rng.random() < 0.05,
                "version": 1,
                "created_by_id": rng.choice(therapists).pk,
                "created_at": created,
                "updated_at": created,
            }
            if large:
                program["status"] = "published"
            writer.add(Program, program)
            sessions = []
            for s in range(n_sessions):
                session = ProgramSession(
                    id=uuid.uuid4(),
                    program_id=program["id"],
                    position=s + 1,
                    name=_SESSION_NAMES[s % len(_SESSION_NAMES)],
                    times_per_day=1 if large else rng.choice((1, 1, 2)),
                    days_of_week=[] if large or rng.random() < 0.5 else [0, 2, 4],
                )
                writer.add(ProgramSession, _row_of(session))
                items = []
                for i in range(10 if large else rng.randint(3, 10)):
                    exercise = exercises[rng.randrange(len(exercises))]
                    reps = rng.choice((8, 10, 12, 15))
                    progress = rng.random() < 0.3
                    item = ProgramItem(
                        id=uuid.uuid4(),
                        session_id=session.id,
                        position=i + 1,
                        exercise=exercise,
                        sets=rng.choice((2, 3, 4)),
                        reps=reps,
                        rest_seconds=rng.choice((30, 60, 90)),
                        side=rng.choice(("both", "both", "left", "right", "alternating")),
                        progression_field="reps" if progress else "",
                        progression_step=1 if progress else None,
                        progression_cap=reps + 6 if progress else None,
                    )
                    writer.add(ProgramItem, _row_of(item))
                    items.append(item)
                sessions.append((session, items))
            programs.append({"row": program, "sessions": sessions, "large": large})
        writer.flush()
        return programs

    @staticmethod
    def snapshot(program: dict[str, Any]) -> dict[str, Any]:
        """``careboard.builder.snapshot.program_snapshot`` of the generated program."""
        row = program["row"]
        return {
            "schema": SNAPSHOT_SCHEMA,
            "program_id": str(row["id"]),
            "version": row["version"],
            "name": row["name"],
            "description": row["description"],
            "duration_weeks": row["duration_weeks"],
            "sessions": [
                {
                    "id": str(session.pk),
                    "position": session.position,
                    "name": session.name,
                    "times_per_day": session.times_per_day,
                    "days_of_week": sorted({int(d) for d in session.days_of_week or []}),
                    "items": [item_snapshot(item) for item in items],
                }
                for session, items in program["sessions"]
            ],
        }

    def make_assignments(
        self,
        org: Organization,
        staff: dict[str, list[User]],
        patients: list[tuple[uuid.UUID, date, str]],
        programs: list[dict[str, Any]],
    ) -> None:
        scale, rng = self.scale, self.rng
        tz = org.tz
        today = self.now.astimezone(tz).date()
        writer = self.writer()
        therapists = staff[Role.THERAPIST]
        assignable = [p for p in programs if not p["row"]["is_template"]]
        large = [p for p in assignable if p["large"]]
        snapshots: dict[uuid.UUID, dict[str, Any]] = {}
        plans = []
        for k in range(scale.assignments):
            # The first twentieth follow a big program and are running today.
            heavy = k < max(5, scale.assignments // 20)
            program = large[k % len(large)] if heavy else rng.choice(assignable)
            row = program["row"]
            snapshot = snapshots.get(row["id"])
            if snapshot is None:
                snapshot = snapshots[row["id"]] = self.snapshot(program)
            weeks = row["duration_weeks"]
            start = today - timedelta(days=rng.randint(0, 20) if heavy else rng.randint(0, 150))
            end = None if heavy or rng.random() < 0.7 else start + timedelta(days=7 * weeks - 1)
            last = end or start + timedelta(days=7 * weeks - 1)
            active = last >= today
            created = datetime.combine(start, dtime(10), tzinfo=tz).astimezone(UTC)
            assignment = {
                "id": uuid.uuid4(),
                "organization_id": org.pk,
                "program_id": row["id"],
                "patient_id": patients[rng.randrange(len(patients))][0],
                "assigned_by_id": rng.choice(therapists).pk,
                "start_date": start,
                "end_date": end,
                "snapshot": snapshot,
                "snapshot_version": row["version"],
                "past_snapshots": [],
                "status": "active" if active else "ended",
                "ended_at": (
                    None if active else datetime.combine(last, dtime(18), tzinfo=tz).astimezone(UTC)
                ),
                "created_at": created,
                "updated_at": created,
            }
            writer.add(Assignment, assignment)
            plans.append((assignment, min(last, today)))
        writer.flush()
        # Activity logs, spread over the days each assignment has run so far.
        days_run = [max(1, (until - a["start_date"]).days + 1) for a, until in plans]
        factor = scale.activity_logs / sum(days_run)
        made = 0
        for (assignment, _until), days in zip(plans, days_run, strict=True):
            n = int(days * factor + rng.random())
            sessions = assignment["snapshot"]["sessions"]
            for _ in range(n):
                if made >= scale.activity_logs:
                    break
                day = assignment["start_date"] + timedelta(days=rng.randrange(days))
                session = rng.choice(sessions)
                item = rng.choice(session["items"]) if rng.random() < 0.6 else None
                at = datetime.combine(
                    day, dtime(rng.randint(7, 20), rng.randint(0, 59)), tzinfo=tz
                ).astimezone(UTC)
                completed = rng.random() < 0.9
                writer.add(
                    ActivityLog,
                    {
                        "id": uuid.uuid4(),
                        "assignment_id": assignment["id"],
                        "session_id": uuid.UUID(session["id"]),
                        "item_id": uuid.UUID(item["id"]) if item else None,
                        "performed_on": day,
                        "performed_at": at,
                        "completed": completed,
                        "sets_done": item["dosage"]["sets"] if item and completed else None,
                        "reps_done": item["dosage"]["reps"] if item and completed else None,
                        "pain": rng.choice((0, 0, 1, 2, 2, 3, 4, 5, 6)),
                        "difficulty": rng.randint(1, 8),
                        "comment": "" if rng.random() < 0.95 else "Felt a bit sore afterwards.",
                        "created_at": at,
                    },
                )
                made += 1
        writer.flush()


def _row_of(instance: Any) -> dict[str, Any]:
    """An unsaved model instance as a writer row."""
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}
