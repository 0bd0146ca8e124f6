"""Exercise library, programs (sessions → items), assignments, portal tokens, activity logs."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from careboard.builder.fields import CodeSetField
from careboard.builder.vocabulary import BodyRegion, Difficulty, Equipment, Position, Side
from careboard.organizations.models import Organization
from careboard.patients.models import Patient


class Exercise(models.Model):
    """One exercise. ``organization`` None: the shared global library, read-only to all."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, null=True, blank=True, related_name="exercises"
    )
    name = models.CharField(_("name"), max_length=200)
    # Ordered steps, each a sentence the patient reads.
    instructions = models.JSONField(_("instructions"), default=list)
    body_regions = CodeSetField(_("body regions"), codes=BodyRegion)
    equipment = CodeSetField(_("equipment"), codes=Equipment)
    difficulty = models.CharField(_("difficulty"), max_length=10, choices=Difficulty.choices)
    position = models.CharField(_("position"), max_length=20, choices=Position.choices)
    default_sets = models.PositiveSmallIntegerField(null=True, blank=True)
    default_reps = models.PositiveSmallIntegerField(null=True, blank=True)
    default_hold_seconds = models.PositiveSmallIntegerField(null=True, blank=True)
    default_duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    default_rest_seconds = models.PositiveSmallIntegerField(null=True, blank=True)
    # The video stays where it is hosted; only the parsed reference is stored.
    video_url = models.URLField(_("video URL"), max_length=500, blank=True)
    video_provider = models.CharField(max_length=20, blank=True)
    video_id = models.CharField(max_length=200, blank=True)
    embed_url = models.URLField(max_length=500, blank=True)
    thumbnail_url = models.URLField(_("thumbnail URL"), max_length=500, blank=True)
    # {"de": {"name": ..., "instructions": [...]}, "th": {...}}
    translations = models.JSONField(default=dict, blank=True)
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
        ]

    def __str__(self) -> str:
        return self.name


class ProgramSession(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="sessions")
    position = models.PositiveSmallIntegerField()
    name = models.CharField(_("name"), max_length=120)
    times_per_day = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(6)]
    )
    # Weekday numbers, Monday = 0 (careboard.builder.vocabulary.Weekday).
    days_of_week = models.JSONField(default=list)

    history = HistoricalRecords()

    class Meta:
        ordering = ("program", "position")
        constraints = [
            models.UniqueConstraint(
                fields=["program", "position"],
                name="session_unique_position",
                deferrable=models.Deferrable.DEFERRED,
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


class ProgramItem(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    session = models.ForeignKey(ProgramSession, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField()
    exercise = models.ForeignKey(Exercise, on_delete=models.PROTECT, related_name="+")
    sets = models.PositiveSmallIntegerField(null=True, blank=True)
    reps = models.PositiveSmallIntegerField(null=True, blank=True)
    hold_seconds = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    rest_seconds = models.PositiveSmallIntegerField(null=True, blank=True)
    load_kg = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    side = models.CharField(max_length=12, choices=Side.choices, default=Side.BOTH)
    tempo = models.CharField(max_length=20, blank=True)
    notes = models.TextField(blank=True)
    # Optional weekly progression: add ``progression_step`` to ``progression_field`` each
    # week, never beyond ``progression_cap``.
    progression_field = models.CharField(
        max_length=20, choices=ProgressionField.choices, blank=True
    )
    progression_step = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
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
        ]

    def __str__(self) -> str:
        return f"{self.exercise_id} #{self.position}"


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
    status = models.CharField(
        max_length=10, choices=AssignmentStatus.choices, default=AssignmentStatus.ACTIVE
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ("-created_at",)
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="assignment_end_after_start",
            ),
        ]

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
