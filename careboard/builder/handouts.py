"""The printable handout of an assignment: exercises, dosage, instructions, and a QR code
that opens the patient's portal.

The portal token is stored only as a digest, so the handout cannot show the QR code of a
link issued earlier unless it is given the token. It never takes the token from the URL
(query strings end up in server and proxy logs, which is why the portal link carries it in
the fragment). Instead the page offers two POST forms (CSRF-protected):

- ``token``: the current link's token (as the front end holds it right after assigning);
  the QR code is drawn only if it is the assignment's live token;
- ``issue``: issue a new link (therapists and physicians only); the previous link stops
  working, and the new one is shown on this response only.

A plain GET prints everything but the QR code. Responses are ``no-store``.
"""

from __future__ import annotations

import uuid
from typing import Any

import qrcode
import qrcode.image.svg
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from careboard.builder import schedule
from careboard.builder.api.portal_views import portal_language
from careboard.builder.assignments import (
    assignment_get_for_user,
    organization_today,
    portal_token_issue,
    portal_token_matches,
    portal_url,
)
from careboard.builder.models import AssignmentStatus
from careboard.builder.snapshot import localized_exercise
from careboard.builder.vocabulary import Side, Weekday
from careboard.organizations import access
from careboard.organizations.roles import Capability


def qr_svg(data: str) -> SafeString:
    """``data`` as an inline SVG QR code (a path, no style attributes: CSP-safe)."""
    image = qrcode.make(
        data,
        image_factory=qrcode.image.svg.SvgPathImage,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        box_size=10,
        border=2,
    )
    # qrcode is untyped: to_string(encoding="unicode") returns the SVG as str.
    svg: str = image.to_string(encoding="unicode")
    # Our own markup from qrcode, with no user text in it (the data is encoded as modules).
    return mark_safe(svg)  # noqa: S308


def _number(value: float | int) -> str:
    return f"{value:g}"


def dosage_text(dosage: dict[str, Any]) -> str:
    """One line of dosage, e.g. "3 sets × 10 repetitions · hold 5 s · rest 30 s"."""
    parts = []
    sets, reps = dosage.get("sets"), dosage.get("reps")
    if sets and reps:
        parts.append(
            ngettext("%(sets)s set", "%(sets)s sets", sets) % {"sets": sets}
            + " × "
            + ngettext("%(reps)s repetition", "%(reps)s repetitions", reps) % {"reps": reps}
        )
    elif reps:
        parts.append(ngettext("%(reps)s repetition", "%(reps)s repetitions", reps) % {"reps": reps})
    elif sets:
        parts.append(ngettext("%(sets)s set", "%(sets)s sets", sets) % {"sets": sets})
    if dosage.get("hold_seconds"):
        parts.append(_("hold %(s)s s") % {"s": dosage["hold_seconds"]})
    if dosage.get("duration_seconds"):
        seconds = dosage["duration_seconds"]
        if seconds % 60 == 0:
            parts.append(_("%(m)s min") % {"m": seconds // 60})
        else:
            parts.append(_("%(s)s s") % {"s": seconds})
    if dosage.get("load_kg"):
        parts.append(_("%(kg)s kg") % {"kg": _number(dosage["load_kg"])})
    if dosage.get("rest_seconds"):
        parts.append(_("rest %(s)s s") % {"s": dosage["rest_seconds"]})
    side = dosage.get("side")
    if side and side != Side.BOTH:
        parts.append(str(Side(side).label).lower())
    if dosage.get("tempo"):
        parts.append(_("tempo %(t)s") % {"t": dosage["tempo"]})
    return " · ".join(parts)


_PROGRESSION_UNITS = {
    "sets": gettext_noop("sets"),
    "reps": gettext_noop("repetitions"),
    "hold_seconds": gettext_noop("s hold"),
    "duration_seconds": gettext_noop("s"),
    "load_kg": gettext_noop("kg"),
}


def progression_text(progression: dict[str, Any] | None) -> str:
    if not progression:
        return ""
    unit = _(_PROGRESSION_UNITS.get(progression["field"], progression["field"]))
    text = _("Each week add %(step)s %(unit)s") % {
        "step": _number(progression["step"]),
        "unit": unit,
    }
    if progression.get("cap") is not None:
        text += ", " + _("up to %(cap)s") % {"cap": _number(progression["cap"])}
    return text + "."


def days_text(days: list[int], times_per_day: int) -> str:
    when = ", ".join(str(Weekday(day).label) for day in sorted(days)) if days else _("Every day")
    times = ngettext("once a day", "%(n)s times a day", times_per_day) % {"n": times_per_day}
    return f"{when} · {times}"


def _handout_context(assignment: Any, language: str) -> dict[str, Any]:
    snapshot = assignment.snapshot
    today = organization_today(assignment.organization)
    start = assignment.start_date
    last = schedule.last_day(snapshot, start=start, end_date=assignment.end_date)
    steps = schedule.weeks_of_progression(snapshot, start=start, day=max(today, start))
    sessions = []
    for session in snapshot["sessions"]:
        items = []
        for item in session["items"]:
            dosage = schedule.dosage_for_week(item["dosage"], item.get("progression"), steps=steps)
            items.append(
                {
                    "position": item["position"],
                    "exercise": localized_exercise(item["exercise"], language),
                    "dosage": dosage_text(dosage),
                    "notes": dosage.get("notes", ""),
                    "progression": progression_text(item.get("progression")),
                }
            )
        sessions.append(
            {
                "name": session["name"],
                "when": days_text(session.get("days_of_week") or [], session["times_per_day"]),
                "items": items,
            }
        )
    return {
        "assignment": assignment,
        "program_name": snapshot["name"],
        "description": snapshot.get("description", ""),
        "start_date": start,
        "last_day": last,
        "week": schedule.week_of(start, today) if start <= today <= last else None,
        "printed_on": today,
        "sessions": sessions,
    }


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def handout(request: HttpRequest, assignment_id: uuid.UUID) -> HttpResponse:
    assignment = assignment_get_for_user(user=request.user, assignment_id=assignment_id)
    can_issue = assignment.status == AssignmentStatus.ACTIVE and access.can(
        request.user, Capability.ASSIGNMENT_WRITE, assignment.organization_id
    )
    secret = ""
    error = ""
    status = 200
    if request.method == "POST":
        if "issue" in request.POST:
            if not can_issue:
                raise PermissionDenied
            _token, secret = portal_token_issue(assignment=assignment)
        else:
            given = request.POST.get("token", "").strip()
            if given and portal_token_matches(assignment=assignment, secret=given):
                secret = given
            else:
                error = _("This is not the current portal link of this program.")
                status = 400
    language = portal_language(assignment)
    link = portal_url(request, secret) if secret else ""
    # The printed part speaks the patient's language; the controls stay in the staff's.
    with translation.override(language):
        context = _handout_context(assignment, language)
    context.update(
        {
            "language": language,
            "can_issue": can_issue,
            "error": error,
            "portal_link": link,
            "qr": qr_svg(link) if link else "",
            "issued_now": bool(secret) and "issue" in request.POST,
        }
    )
    return render(request, "builder/handout.html", context, status=status)
