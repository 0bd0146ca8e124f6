"""Exercise library, programs (sessions → items), assignments, portal tokens, activity logs."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from careboard.builder import video
from careboard.builder.fields import CodeSetField
from careboard.builder.vocabulary import BodyRegion, Difficulty, Equipment, Position, Side
from careboard.organizations.models import Organization
from careboard.patients.models import Patient

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# Dosage limits: wide enough for any rehabilitation program, narrow enough to catch a typo
# (300 repetitions, a 6000 s hold). The same limits apply to an exercise's default dosage.
MAX_SETS = 20
MAX_REPS = 200
MAX_HOLD_SECONDS = 600
MAX_DURATION_SECONDS = 3 * 60 * 60
MAX_REST_SECONDS = 600
MAX_LOAD_KG = Decimal(500)
MAX_STEPS = 20
MAX_TIMES_PER_DAY = 6


def validate_video_url(value: str) -> None:
    """A YouTube, Vimeo or direct HTTPS video link (``careboard.builder.video``)."""
    if value:
        try:
            video.parse_video_url(value)
        except video.VideoURLError as exc:
            raise ValidationError(str(exc), code="invalid_video_url") from exc


def validate_image_url(value: str) -> None:
    if value:
        try:
            video.check_https_url(value, what="thumbnail link")
        except video.VideoURLError as exc:
            raise ValidationError(str(exc), code="invalid_url") from exc


def validate_instructions(value: Any) -> None:
    """One to ``MAX_STEPS`` non-empty steps."""
    if not isinstance(value, list) or not all(isinstance(s, str) and s.strip() for s in value):
        raise ValidationError("Write the instructions as a list of steps.", code="invalid")
    if not 1 <= len(value) <= MAX_STEPS:
        raise ValidationError(f"Write 1 to {MAX_STEPS} steps.", code="invalid")


def validate_translations(value: Any) -> None:
    """``{"de": {"name": "…", "instructions": ["…"]}}`` for the site's languages."""
    languages = {code for code, _name in settings.LANGUAGES}
    if not isinstance(value, dict):
        raise ValidationError("Translations are an object keyed by language.", code="invalid")
    for language, text in value.items():
        if language not in languages:
            raise ValidationError(f"Unknown language {language!r}.", code="invalid")
        if not isinstance(text, dict) or not str(text.get("name", "")).strip():
            raise ValidationError(f"The {language} translation needs a name.", code="invalid")
        if "instructions" in text:
            validate_instructions(text["instructions"])


def validate_days_of_week(value: Any) -> None:
    """Weekday numbers 0 (Monday) to 6, each once. Empty: every day."""
    if not isinstance(value, list) or not all(
        isinstance(day, int) and not isinstance(day, bool) and 0 <= day <= 6 for day in value
    ):
        raise ValidationError("Days are numbers from 0 (Monday) to 6 (Sunday).", code="invalid")
    if len(set(value)) != len(value):
        raise ValidationError("Each day may appear only once.", code="duplicate")


def _range(low: int | Decimal, high: int | Decimal) -> list[Any]:
    return [MinValueValidator(low), MaxValueValidator(high)]


class Exercise(models.Model):
    """One exercise. ``organization`` None: the shared global library, read-only to all."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, null=True, blank=True, related_name="exercises"
    )
    name = models.CharField(_("name"), max_length=200)
    # Ordered steps, each a sentence the patient reads.
    instructions = models.JSONField(
        _("instructions"), default=list, validators=[validate_instructions]
    )
    body_regions = CodeSetField(_("body regions"), codes=BodyRegion)
    equipment = CodeSetField(_("equipment"), codes=Equipment)
    difficulty = models.CharField(_("difficulty"), max_length=10, choices=Difficulty.choices)
    position = models.CharField(_("position"), max_length=20, choices=Position.choices)
    default_sets = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=_range(1, MAX_SETS)
    )
    default_reps = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=_range(1, MAX_REPS)
    )
    default_hold_seconds = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=_range(1, MAX_HOLD_SECONDS)
    )
    default_duration_seconds = models.PositiveIntegerField(
        null=True, blank=True, validators=_range(1, MAX_DURATION_SECONDS)
    )
    default_rest_seconds = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=_range(0, MAX_REST_SECONDS)
    )
    # The video stays where it is hosted; only the parsed reference is stored. Plain
    # CharFields: the video parser is the one judge of a link (URLField would add a second,
    # looser opinion and a second message).
    video_url = models.CharField(
        _("video URL"), max_length=500, blank=True, validators=[validate_video_url]
    )
    video_provider = models.CharField(max_length=20, blank=True)
    video_id = models.CharField(max_length=200, blank=True)
    embed_url = models.URLField(max_length=500, blank=True)
    thumbnail_url = models.CharField(
        _("thumbnail URL"), max_length=500, blank=True, validators=[validate_image_url]
    )
    # {"de": {"name": ..., "instructions": [...]}, "th": {...}}
    translations = models.JSONField(default=dict, blank=True, validators=[validate_translations])
    # Lower-cased name + instructions in every language, for search on every backend.
    search_text = models.TextField(blank=True, editable=False)
    archived = models.BooleanField(_("archived"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ("name",)
        constraints = [
            models.CheckConstraint(
                condition=Q(difficulty__in=Difficulty.values), name="exercise_difficulty_valid"
            ),
        ]
        indexes = [models.Index(fields=["organization", "archived", "name"])]

    def __str__(self) -> str:
        return self.name


class ProgramStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    ARCHIVED = "archived", _("Archived")


class Program(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="programs"
    )
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(
        max_length=10, choices=ProgramStatus.choices, default=ProgramStatus.DRAFT
    )
    duration_weeks = models.PositiveSmallIntegerField(
        _("duration (weeks)"), default=4, validators=[MinValueValidator(1), MaxValueValidator(104)]
    )
    is_template = models.BooleanField(_("template"), default=False)
    # Incremented by every change to the program or its sessions/items: the ETag.
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ("name",)
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ProgramStatus.values), name="program_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(duration_weeks__gte=1, duration_weeks__lte=104),
                name="program_duration_1_104",
            ),
        ]
        # The list: one organisation's programs or templates, by name.
        indexes = [models.Index(fields=["organization", "is_template", "name"])]

    def __str__(self) -> str:
        return self.name


class ProgramSession(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="sessions")
    position = models.PositiveSmallIntegerField()
    name = models.CharField(_("name"), max_length=120)
    times_per_day = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(MAX_TIMES_PER_DAY)]
    )
    # Weekday numbers, Monday = 0 (careboard.builder.vocabulary.Weekday), each once, sorted.
    # Empty: every day.
    days_of_week = models.JSONField(default=list, blank=True, validators=[validate_days_of_week])

    history = HistoricalRecords()

    class Meta:
        ordering = ("program", "position")
        constraints = [
            models.UniqueConstraint(
                fields=["program", "position"],
                name="session_unique_position",
                deferrable=models.Deferrable.DEFERRED,
            ),
            models.CheckConstraint(
                condition=Q(times_per_day__gte=1, times_per_day__lte=MAX_TIMES_PER_DAY),
                name="session_times_per_day_1_6",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ProgressionField(models.TextChoices):
    SETS = "sets", _("Sets")
    REPS = "reps", _("Repetitions")
    HOLD_SECONDS = "hold_seconds", _("Hold (s)")
    DURATION_SECONDS = "duration_seconds", _("Duration (s)")
    LOAD_KG = "load_kg", _("Load (kg)")


# The largest value each progressable field may reach.
PROGRESSION_LIMITS: dict[str, Decimal] = {
    ProgressionField.SETS: Decimal(MAX_SETS),
    ProgressionField.REPS: Decimal(MAX_REPS),
    ProgressionField.HOLD_SECONDS: Decimal(MAX_HOLD_SECONDS),
    ProgressionField.DURATION_SECONDS: Decimal(MAX_DURATION_SECONDS),
    ProgressionField.LOAD_KG: MAX_LOAD_KG,
}


# An item's dosage and progression, as every reader and writer of items lists them (services,
# serializers, the detail's values() query): add a dosage field here once.
DOSAGE_FIELDS = (
    "sets",
    "reps",
    "hold_seconds",
    "duration_seconds",
    "rest_seconds",
    "load_kg",
    "side",
    "tempo",
    "notes",
    "progression_field",
    "progression_step",
    "progression_cap",
)


class ProgramItem(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    session = models.ForeignKey(ProgramSession, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField()
    exercise = models.ForeignKey(Exercise, on_delete=models.PROTECT, related_name="+")
    sets = models.PositiveSmallIntegerField(null=True, blank=True, validators=_range(1, MAX_SETS))
    reps = models.PositiveSmallIntegerField(null=True, blank=True, validators=_range(1, MAX_REPS))
    hold_seconds = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=_range(1, MAX_HOLD_SECONDS)
    )
    duration_seconds = models.PositiveIntegerField(
        null=True, blank=True, validators=_range(1, MAX_DURATION_SECONDS)
    )
    rest_seconds = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=_range(0, MAX_REST_SECONDS)
    )
    load_kg = models.DecimalField(
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        validators=_range(Decimal(0), MAX_LOAD_KG),
    )
    side = models.CharField(max_length=12, choices=Side.choices, default=Side.BOTH)
    tempo = models.CharField(max_length=20, blank=True)
    notes = models.TextField(blank=True)
    # Optional weekly progression: add ``progression_step`` to ``progression_field`` each
    # week, never beyond ``progression_cap``.
    progression_field = models.CharField(
        max_length=20, choices=ProgressionField.choices, blank=True
    )
    progression_step = models.DecimalField(
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.1"))],
    )
    progression_cap = models.DecimalField(max_digits=6, decimal_places=1, null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ("session", "position")
        constraints = [
            models.UniqueConstraint(
                fields=["session", "position"],
                name="item_unique_position",
                deferrable=models.Deferrable.DEFERRED,
            ),
            # What the patient does must be measurable: repetitions, a time, or a hold.
            models.CheckConstraint(
                condition=Q(reps__isnull=False)
                | Q(duration_seconds__isnull=False)
                | Q(hold_seconds__isnull=False),
                name="item_has_dosage",
            ),
            models.CheckConstraint(
                condition=(
                    Q(
                        progression_field="",
                        progression_step__isnull=True,
                        progression_cap__isnull=True,
                    )
                    | (
                        ~Q(progression_field="")
                        & Q(progression_step__gt=0, progression_cap__isnull=False)
                    )
                ),
                name="item_progression_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.exercise_id} #{self.position}"

    def clean(self) -> None:
        """The dosage rules, with a message on the field at fault (the constraints above
        hold the same rules in the database)."""
        if self.reps is None and self.duration_seconds is None and self.hold_seconds is None:
            raise ValidationError(
                _("Give repetitions, a duration or a hold time."), code="no_dosage"
            )
        self._clean_progression()

    def _clean_progression(self) -> None:
        field, step, cap = self.progression_field, self.progression_step, self.progression_cap
        if not field:
            if step is not None or cap is not None:
                raise ValidationError(
                    {"progression_field": _("Choose what the progression increases.")},
                    code="required",
                )
            return
        errors: dict[str, StrOrPromise] = {}
        if step is None:
            errors["progression_step"] = _("Give the weekly step.")
        if cap is None:
            errors["progression_cap"] = _("Give the cap the progression stops at.")
        start = getattr(self, field)
        if start is None:
            errors["progression_field"] = _("Give a starting value for this field first.")
        elif cap is not None and Decimal(cap) < Decimal(start):
            errors["progression_cap"] = _(
                "The cap must be at least the starting value (%(start)s)."
            ) % {"start": start}
        elif cap is not None and Decimal(cap) > PROGRESSION_LIMITS[field]:
            errors["progression_cap"] = _("The cap must be at most %(limit)s.") % {
                "limit": PROGRESSION_LIMITS[field]
            }
        if errors:
            raise ValidationError(errors, code="invalid")


class AssignmentStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    ENDED = "ended", _("Ended")


class Assignment(models.Model):
    """A program given to a patient. ``snapshot`` freezes the program as assigned: later
    edits of the program change nothing here until the therapist re-assigns."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="assignments"
    )
    program = models.ForeignKey(
        Program, on_delete=models.SET_NULL, null=True, blank=True, related_name="assignments"
    )
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="assignments")
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    snapshot = models.JSONField()
    snapshot_version = models.PositiveIntegerField()
    # The first day ``snapshot`` is in force (None: the start date). A re-assignment moves
    # the snapshot it replaces to ``past_snapshots`` ({"from", "until", "version",
    # "snapshot"}), so the days before it are still measured against what the patient was
    # given then.
    snapshot_from = models.DateField(null=True, blank=True)
    past_snapshots = models.JSONField(default=list, blank=True)
    status = models.CharField(
        max_length=10, choices=AssignmentStatus.choices, default=AssignmentStatus.ACTIVE
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # The past snapshots are in the history rows' own ``snapshot`` already.
    history = HistoricalRecords(excluded_fields=["past_snapshots"])

    class Meta:
        ordering = ("-created_at",)
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="assignment_end_after_start",
            ),
            models.CheckConstraint(
                condition=Q(status__in=AssignmentStatus.values), name="assignment_status_valid"
            ),
        ]
        indexes = [models.Index(fields=["organization", "status"])]

    def __str__(self) -> str:
        return f"{self.snapshot.get('name', 'Program')} → {self.patient_id}"


class PortalTokenQuerySet(models.QuerySet["PortalToken"]):
    def active(self) -> PortalTokenQuerySet:
        return self.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())


class PortalToken(models.Model):
    """The patient's password-less key to one assignment. Only a digest is stored; issuing
    a new one revokes the previous."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    assignment = models.ForeignKey(
        Assignment, on_delete=models.CASCADE, related_name="portal_tokens"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    objects = PortalTokenQuerySet.as_manager()

    class Meta:
        ordering = ("-created_at",)
        constraints = [
            # Issuing revokes the previous token in the same transaction; this makes two
            # concurrent issues fail rather than leave two live links.
            models.UniqueConstraint(
                fields=["assignment"],
                condition=Q(revoked_at__isnull=True),
                name="portaltoken_one_unrevoked",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.prefix}… for {self.assignment_id}"


class ActivityLog(models.Model):
    """What the patient reports: a session or an item done, with pain and difficulty."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="logs")
    # Ids from the assignment's snapshot (a session, and optionally one of its items).
    session_id = models.UUIDField()
    item_id = models.UUIDField(null=True, blank=True)
    performed_on = models.DateField()
    performed_at = models.DateTimeField(default=timezone.now)
    completed = models.BooleanField(default=True)
    sets_done = models.PositiveSmallIntegerField(null=True, blank=True)
    reps_done = models.PositiveSmallIntegerField(null=True, blank=True)
    pain = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(10)]
    )
    difficulty = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(10)]
    )
    comment = models.TextField(blank=True)
    idempotency_key = models.CharField(max_length=100, blank=True)
    # SHA-256 of the request that carried the key: a retry must repeat it exactly.
    request_fingerprint = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-performed_at",)
        constraints = [
            # A retried request with the same Idempotency-Key is stored once.
            models.UniqueConstraint(
                fields=["assignment", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="activitylog_idempotent",
            ),
            models.CheckConstraint(
                condition=Q(pain__isnull=True) | Q(pain__lte=10), name="activitylog_pain_0_10"
            ),
            models.CheckConstraint(
                condition=Q(difficulty__isnull=True) | Q(difficulty__lte=10),
                name="activitylog_difficulty_0_10",
            ),
        ]
        indexes = [models.Index(fields=["assignment", "performed_on"])]

    def __str__(self) -> str:
        return f"Log {self.performed_on} ({self.assignment_id})"
