"""Reads of the exercise library and of programs, and the access helpers of both.

Every exercise and program the API shows is fetched here, scoped to the caller through
``careboard.organizations.access``: what the caller may not see answers 404.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet
from django.http import Http404

from careboard.builder.models import (
    DOSAGE_FIELDS,
    Exercise,
    Program,
    ProgramItem,
    ProgramSession,
)
from careboard.core.prepared import PreparedQuery
from careboard.organizations import access
from careboard.organizations.roles import Capability


def exercises_visible_to(user: Any) -> QuerySet[Exercise]:
    """The global library and the libraries of the caller's organisations."""
    org_ids = access.organization_ids(user, Capability.EXERCISE_VIEW)
    if not org_ids:
        return Exercise.objects.none()
    return Exercise.objects.filter(Q(organization__isnull=True) | Q(organization__in=org_ids))


def exercise_get_for_user(*, user: Any, exercise_id: Any) -> Exercise:
    """The one access helper for an exercise (404 when the caller may not see it)."""
    try:
        return exercises_visible_to(user).get(pk=exercise_id)
    except (Exercise.DoesNotExist, ValueError, TypeError, ValidationError) as exc:
        raise Http404 from exc


def programs_visible_to(user: Any) -> QuerySet[Program]:
    return access.scope(Program.objects.all(), user, capability=Capability.PROGRAM_VIEW)


def program_get_for_user(*, user: Any, program_id: Any) -> Program:
    """The one access helper for a program (404 when the caller may not see it)."""
    return access.get_for_user(
        Program.objects.all(), user, capability=Capability.PROGRAM_VIEW, pk=program_id
    )


def program_list(queryset: QuerySet[Program]) -> QuerySet[Program]:
    """Programs for a list: counts instead of the tree, in the list's one query."""
    # An aggregate drops Meta.ordering: order again, or pages would shuffle.
    return (
        queryset.select_related("created_by")
        .annotate(
            session_count=Count("sessions", distinct=True),
            item_count=Count("sessions__items", distinct=True),
        )
        .order_by("name", "pk")
    )


# What a program's detail shows of each item and its exercise, as ``values()`` lookups: the
# exercise's search text and history-heavy columns stay in the database.
PROGRAM_ITEM_COLUMNS = (
    "id",
    "session_id",
    "position",
    "exercise_id",
    *DOSAGE_FIELDS,
    "exercise__name",
    "exercise__instructions",
    "exercise__translations",
    "exercise__video_provider",
    "exercise__embed_url",
    "exercise__thumbnail_url",
    "exercise__archived",
)


# Read on every program detail: compiled once (careboard.core.prepared).
_SESSIONS = PreparedQuery(
    lambda program_id: (
        ProgramSession.objects.filter(program_id=program_id)
        .order_by("position")
        .values("id", "position", "name", "times_per_day", "days_of_week")
    ),
    program_id=uuid.UUID,
)
_ITEMS = PreparedQuery(
    lambda program_id: (
        ProgramItem.objects.filter(session__program_id=program_id)
        .order_by("position")
        .values(*PROGRAM_ITEM_COLUMNS)
    ),
    program_id=uuid.UUID,
)


def program_tree_values(*, program: Program) -> list[dict[str, Any]]:
    """The program's sessions in order, each with ``items``: its items in order with their
    exercises' columns (``PROGRAM_ITEM_COLUMNS``). Two queries, whatever the program's size."""
    sessions = _SESSIONS.dicts(program_id=program.pk)
    by_session: dict[Any, list[dict[str, Any]]] = {s["id"]: [] for s in sessions}
    for item in _ITEMS.dicts(program_id=program.pk):
        by_session[item["session_id"]].append(item)
    return [{**session, "items": by_session[session["id"]]} for session in sessions]
