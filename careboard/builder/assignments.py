"""Assignments: give a program to a patient, change, re-assign or end it; the patient's
portal token; the patient's activity logs.

An assignment keeps a snapshot of the program (``careboard.builder.snapshot``): editing the
program later changes nothing for the patient until the therapist re-assigns, which takes
the program's current version from that day on.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from careboard.builder import schedule
from careboard.builder.models import (
    ActivityLog,
    Assignment,
    AssignmentStatus,
    PortalToken,
    Program,
    ProgramStatus,
)
from careboard.builder.snapshot import has_exercises, program_snapshot, same_program
from careboard.core.problems import Conflict
from careboard.organizations import access
from careboard.organizations.models import Organization
from careboard.organizations.roles import Capability
from careboard.patients.models import Patient
from careboard.users.models import User
from careboard.users.tokens import digest

# A public marker (for secret scanners and to tell portal tokens from staff tokens, "cbt_").
PORTAL_TOKEN_PREFIX = "cbp_"  # noqa: S105
_PREFIX_SHOWN = 10


def organization_today(organization: Organization) -> date:
    """Today in the organisation's time zone: the patient's day, not the server's."""
    return timezone.localdate(timezone=organization.tz)


# --------------------------------------------------------------------------- access


def assignment_get_for_user(*, user: Any, assignment_id: Any) -> Assignment:
    """The one access helper for an assignment (404 when the caller may not see it)."""
    return access.get_for_user(
        Assignment.objects.select_related(
            "organization", "patient", "program", "assigned_by", "ended_by"
        ),
        user,
        capability=Capability.PATIENT_VIEW,
        pk=assignment_id,
    )


# --------------------------------------------------------------------------- assign


def _require_assignable(program: Program) -> dict[str, Any]:
    if program.status == ProgramStatus.ARCHIVED:
        raise Conflict("This program is archived; restore it before assigning it.")
    snapshot = program_snapshot(program)
    if not has_exercises(snapshot):
        raise Conflict("This program has no exercises yet.")
    return snapshot


def _check_end_date(*, start_date: date, end_date: date | None, today: date) -> None:
    if end_date is None:
        return
    if end_date < start_date:
        raise ValidationError({"end_date": "The end date is before the start date."})
    if end_date < today:
        raise ValidationError({"end_date": "The end date is in the past."})


def assignment_assign(
    *,
    program: Program,
    patient: Patient,
    by: User,
    start_date: date,
    end_date: date | None = None,
) -> tuple[Assignment, str]:
    """Give ``program`` as it is now to ``patient``; returns the assignment and the secret
    of its first portal token (shown once)."""
    if patient.organization_id != program.organization_id:
        raise ValidationError({"patient": "The patient belongs to another organisation."})
    organization = program.organization
    _check_end_date(
        start_date=start_date, end_date=end_date, today=organization_today(organization)
    )
    with transaction.atomic():
        # Lock the program so that its version and its sessions are read as one state,
        # and two assignments of it to the same patient cannot both pass the check below.
        program = Program.objects.select_for_update().get(pk=program.pk)
        snapshot = _require_assignable(program)
        duplicate = Assignment.objects.filter(
            patient=patient, program=program, status=AssignmentStatus.ACTIVE
        )
        if duplicate.exists():
            raise Conflict("The patient already follows this program; re-assign it instead.")
        assignment = Assignment(
            organization=organization,
            program=program,
            patient=patient,
            assigned_by=by,
            start_date=start_date,
            end_date=end_date,
            snapshot=snapshot,
            snapshot_version=program.version,
        )
        assignment.full_clean(validate_constraints=False)
        assignment.save()
        _token, secret = portal_token_issue(assignment=assignment)
    return assignment, secret


def assignment_update(
    *,
    assignment: Assignment,
    by: User,
    start_date: date | None = None,
    end_date: date | None = None,
    clear_end_date: bool = False,
) -> Assignment:
    """Change the dates of an active assignment. The start date can change until the
    patient has logged activity (and the program was not re-assigned)."""
    if assignment.status != AssignmentStatus.ACTIVE:
        raise Conflict("This assignment has ended.")
    today = organization_today(assignment.organization)
    if start_date is not None and start_date != assignment.start_date:
        if assignment.logs.exists() or assignment.past_snapshots:
            raise ValidationError(
                {"start_date": "The patient has started; the start date can no longer change."}
            )
        assignment.start_date = start_date
        assignment.snapshot_from = None
    if clear_end_date:
        assignment.end_date = None
    elif end_date is not None:
        assignment.end_date = end_date
    if assignment.end_date is not None and assignment.end_date < assignment.start_date:
        raise ValidationError({"end_date": "The end date is before the start date."})
    if end_date is not None and end_date < today:
        raise ValidationError({"end_date": "The end date is in the past."})
    assignment.full_clean(validate_constraints=False)
    with transaction.atomic():
        assignment.save()
        # The link follows the program's dates.
        PortalToken.objects.filter(assignment=assignment, revoked_at__isnull=True).update(
            expires_at=portal_token_expiry(assignment)
        )
    return assignment


def assignment_reassign(*, assignment: Assignment, by: User) -> Assignment:
    """Replace the snapshot with the program's current version, from today on (from the
    start date when the program has not started). The portal link stays the same."""
    if assignment.status != AssignmentStatus.ACTIVE:
        raise Conflict("This assignment has ended.")
    if assignment.program_id is None:
        raise Conflict("The program of this assignment was deleted.")
    today = organization_today(assignment.organization)
    with transaction.atomic():
        program = Program.objects.select_for_update().get(pk=assignment.program_id)
        snapshot = _require_assignable(program)
        locked = Assignment.objects.select_for_update().get(pk=assignment.pk)
        if same_program(snapshot, locked.snapshot) and locked.snapshot_version == program.version:
            return assignment
        from_day = max(today, locked.start_date)
        current_from = locked.snapshot_from or locked.start_date
        past = list(locked.past_snapshots)
        if from_day > current_from:
            past.append(
                {
                    "from": current_from.isoformat(),
                    "until": (from_day - timedelta(days=1)).isoformat(),
                    "version": locked.snapshot_version,
                    "snapshot": locked.snapshot,
                }
            )
        assignment.snapshot = snapshot
        assignment.snapshot_version = program.version
        assignment.snapshot_from = None if from_day == assignment.start_date else from_day
        assignment.past_snapshots = past
        assignment.program = program
        assignment.save()
    return assignment


def assignment_end(*, assignment: Assignment, by: User) -> Assignment:
    """Stop the program today: the end date becomes today (the start date if it has not
    started), and the portal link stops working."""
    if assignment.status != AssignmentStatus.ACTIVE:
        raise Conflict("This assignment has already ended.")
    today = organization_today(assignment.organization)
    if assignment.end_date is None or assignment.end_date > today:
        assignment.end_date = max(today, assignment.start_date)
    assignment.status = AssignmentStatus.ENDED
    assignment.ended_at = timezone.now()
    assignment.ended_by = by
    with transaction.atomic():
        assignment.save()
        portal_token_revoke(assignment=assignment)
    return assignment


# --------------------------------------------------------------------------- portal tokens


def portal_token_expiry(assignment: Assignment, *, now: datetime | None = None) -> datetime:
    """The end of the ``PORTAL_TOKEN_GRACE_DAYS``-th day after the end date (time for late
    logs), or ``PORTAL_TOKEN_DAYS`` from now for an open-ended program."""
    now = now or timezone.now()
    if assignment.end_date is None:
        return now + timedelta(days=settings.PORTAL_TOKEN_DAYS)
    last = assignment.end_date + timedelta(days=settings.PORTAL_TOKEN_GRACE_DAYS + 1)
    return datetime.combine(last, time.min, tzinfo=assignment.organization.tz)


def portal_token_issue(*, assignment: Assignment) -> tuple[PortalToken, str]:
    """A new portal token for the assignment; the previous one stops working. Returns the
    row and the secret, which is not stored and shown only this once."""
    if assignment.status != AssignmentStatus.ACTIVE:
        raise Conflict("This assignment has ended.")
    now = timezone.now()
    expires_at = portal_token_expiry(assignment, now=now)
    if expires_at <= now:
        raise Conflict("The program ended more than a week ago; extend its end date first.")
    secret = PORTAL_TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        # Serialises issues for one assignment (the unique constraint backs it up).
        Assignment.objects.select_for_update().filter(pk=assignment.pk).first()
        PortalToken.objects.filter(assignment=assignment, revoked_at__isnull=True).update(
            revoked_at=now
        )
        token = PortalToken.objects.create(
            assignment=assignment,
            token_hash=digest(secret),
            prefix=secret[:_PREFIX_SHOWN],
            expires_at=expires_at,
        )
    return token, secret


def portal_token_revoke(*, assignment: Assignment) -> int:
    """Revoke the assignment's portal token(s); returns how many were live."""
    return PortalToken.objects.filter(assignment=assignment, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def portal_token_touch(*, token: PortalToken) -> None:
    """Record use, at most once a minute, so that reading does not write every time."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        PortalToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


def portal_url(request: Any, secret: str) -> str:
    """The patient's link: the front end's portal page with the token in the fragment,
    which browsers do not send to servers (so it stays out of access logs)."""
    base = settings.PORTAL_URL or request.build_absolute_uri("/portal/")
    return f"{base}#{secret}"


def active_portal_token(assignment: Assignment) -> PortalToken | None:
    return PortalToken.objects.active().filter(assignment=assignment).first()


def portal_token_matches(*, assignment: Assignment, secret: str) -> bool:
    """Whether ``secret`` is the assignment's live portal token."""
    token = active_portal_token(assignment)
    return token is not None and secrets.compare_digest(token.token_hash, digest(secret))


# --------------------------------------------------------------------------- activity logs

LOG_FIELDS = (
    "session_id",
    "item_id",
    "performed_on",
    "completed",
    "sets_done",
    "reps_done",
    "pain",
    "difficulty",
    "comment",
)


def request_fingerprint(values: dict[str, Any]) -> str:
    """SHA-256 of the request's values as sent (defaults not applied)."""
    canonical = json.dumps(
        {name: values.get(name) for name in LOG_FIELDS if name in values},
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _replay(*, assignment: Assignment, key: str, fingerprint: str) -> ActivityLog | None:
    """The log stored earlier under ``key``, or None; 409 if it came from another request."""
    existing = ActivityLog.objects.filter(assignment=assignment, idempotency_key=key).first()
    if existing is not None and existing.request_fingerprint != fingerprint:
        raise Conflict("This Idempotency-Key was already used for a different request.")
    return existing


def activity_log_record(
    *,
    assignment: Assignment,
    values: dict[str, Any],
    idempotency_key: str = "",
    performed_at: datetime | None = None,
) -> tuple[ActivityLog, bool]:
    """Store what the patient reports; returns the log and whether it was created.

    ``values`` are the request's fields as sent; ``performed_on`` defaults to today in
    the organisation's time zone, ``performed_at`` to now (the portal always logs now).
    With an ``idempotency_key``, a retry of the same request returns the first log and a
    different request under the same key is a 409 conflict; two concurrent retries are
    settled by the unique constraint on (assignment, key).
    """
    fingerprint = request_fingerprint(values) if idempotency_key else ""
    if idempotency_key:
        existing = _replay(assignment=assignment, key=idempotency_key, fingerprint=fingerprint)
        if existing is not None:
            return existing, False
    today = organization_today(assignment.organization)
    performed_on = values.get("performed_on") or today
    _validate_log(assignment=assignment, values=values, performed_on=performed_on, today=today)
    log = ActivityLog(
        assignment=assignment,
        session_id=values["session_id"],
        item_id=values.get("item_id"),
        performed_on=performed_on,
        completed=values.get("completed", True),
        sets_done=values.get("sets_done"),
        reps_done=values.get("reps_done"),
        pain=values.get("pain"),
        difficulty=values.get("difficulty"),
        comment=values.get("comment", ""),
        idempotency_key=idempotency_key,
        request_fingerprint=fingerprint,
    )
    if performed_at is not None:
        log.performed_at = performed_at
    log.full_clean(validate_constraints=False)
    try:
        # A savepoint: a lost race rolls back this insert only, not the request.
        with transaction.atomic():
            log.save()
    except IntegrityError:
        if not idempotency_key:
            raise
        existing = _replay(assignment=assignment, key=idempotency_key, fingerprint=fingerprint)
        if existing is None:
            raise
        return existing, False
    return log, True


def _validate_log(
    *, assignment: Assignment, values: dict[str, Any], performed_on: date, today: date
) -> None:
    if performed_on > today:
        raise ValidationError({"performed_on": "This day is in the future."})
    if performed_on < assignment.start_date:
        raise ValidationError({"performed_on": "The program had not started on this day."})
    if assignment.end_date is not None and performed_on > assignment.end_date:
        raise ValidationError({"performed_on": "The program had ended on this day."})
    periods = schedule.periods(
        snapshot=assignment.snapshot,
        start=assignment.start_date,
        snapshot_from=assignment.snapshot_from,
        past_snapshots=assignment.past_snapshots,
    )
    snapshot = schedule.snapshot_on(periods, performed_on)
    session = schedule.find_session(snapshot, str(values["session_id"]))
    if session is None:
        raise ValidationError({"session_id": "No such session in this program."})
    item_id = values.get("item_id")
    if item_id is not None and schedule.find_item(session, str(item_id)) is None:
        raise ValidationError({"item_id": "No such exercise in this session."})
