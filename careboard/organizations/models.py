"""Organisations, their wards, and who belongs to them in which role."""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from careboard.organizations.roles import Role


def _default_time_zone() -> str:
    return str(settings.TIME_ZONE)


# From a check every 5 minutes to one a week: wide enough for any real order.
_INTERVAL_LIMITS = [MinValueValidator(5), MaxValueValidator(7 * 24 * 60)]


class Organization(models.Model):
    """A hospital, clinic or practice: the boundary of every piece of data."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("short name"), max_length=60, unique=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default=_default_time_zone)
    # Nursing shifts (wall-clock, in the organisation's time zone): D, E and N start here.
    day_shift_start = models.TimeField(_("day shift starts"), default=dt.time(7, 0))
    evening_shift_start = models.TimeField(_("evening shift starts"), default=dt.time(15, 0))
    night_shift_start = models.TimeField(_("night shift starts"), default=dt.time(23, 0))
    # Observation intervals in minutes by NEWS2 band (defaults after RCP 2017's chart).
    interval_score_zero = models.PositiveIntegerField(
        _("interval for a NEWS2 of 0 (min)"), default=720, validators=_INTERVAL_LIMITS
    )
    interval_low = models.PositiveIntegerField(
        _("interval for NEWS2 1-4 (min)"), default=240, validators=_INTERVAL_LIMITS
    )
    interval_low_medium = models.PositiveIntegerField(
        _("interval for a single 3 (min)"), default=60, validators=_INTERVAL_LIMITS
    )
    interval_medium = models.PositiveIntegerField(
        _("interval for NEWS2 5-6 (min)"), default=60, validators=_INTERVAL_LIMITS
    )
    interval_high = models.PositiveIntegerField(
        _("interval for NEWS2 7+ (min)"), default=15, validators=_INTERVAL_LIMITS
    )
    interval_unscored = models.PositiveIntegerField(
        _("interval when NEWS2 does not apply (min)"), default=240, validators=_INTERVAL_LIMITS
    )
    interval_dengue_critical_max = models.PositiveIntegerField(
        _("longest interval in the dengue critical phase (min)"),
        default=120,
        validators=_INTERVAL_LIMITS,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


class Ward(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="wards")
    name = models.CharField(_("name"), max_length=120)
    code = models.CharField(_("code"), max_length=20, blank=True)
    beds = models.PositiveSmallIntegerField(_("number of beds"), default=0)
    archived = models.BooleanField(_("archived"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ("organization__name", "name")
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="ward_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A user's role in one organisation. A user may belong to several organisations."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ("organization__name", "user__email")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organization"], name="membership_unique_user_org"
            ),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="membership_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.role} @ {self.organization}"


class InvitationQuerySet(models.QuerySet["Invitation"]):
    def pending(self) -> InvitationQuerySet:
        return self.filter(
            accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
        )


class Invitation(models.Model):
    """An admin's invitation for an e-mail address to join with a role.

    Only a digest of the token is stored; the link in the e-mail carries the secret.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField(_("e-mail address"))
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ("-created_at",)
        constraints = [
            models.CheckConstraint(condition=Q(role__in=Role.values), name="invitation_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.organization} ({self.role})"

    @property
    def status(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "pending"
