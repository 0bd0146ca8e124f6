"""The one place that decides what a user may see and do.

Every API view and websocket consumer of every app scopes its querysets with ``scope`` and
checks writes with ``require``. Visibility follows membership: a user sees the data of the
organisations they belong to, and nothing of any other: an object of another organisation
answers 404 (``get_for_user``), never 403, so its existence is not revealed. Within an
organisation the role decides what may be done (``careboard.organizations.roles``); a refused
role answers 403.
"""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Model, QuerySet
from django.http import Http404
from rest_framework.exceptions import PermissionDenied

from careboard.core.prepared import PreparedQuery
from careboard.organizations.models import Membership
from careboard.organizations.roles import Capability, allows

M = TypeVar("M", bound=Model)

_CACHE_ATTR = "_careboard_roles"
# Read on every request: compiled once (careboard.core.prepared).
_ROLES = PreparedQuery(
    lambda user_id: (
        Membership.objects.filter(user_id=user_id).order_by().values_list("organization_id", "role")
    ),
    user_id=int,
)


def roles_of(user: Any) -> dict[uuid.UUID, str]:
    """``{organization_id: role}`` for the user, read once per user object (i.e. request)."""
    if user is None or isinstance(user, AnonymousUser) or not user.is_authenticated:
        return {}
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        cached = dict(_ROLES.rows(user_id=user.pk))
        setattr(user, _CACHE_ATTR, cached)
    return cached


def forget_roles(user: Any) -> None:
    """Drop the cached roles (after the user's memberships change within a request)."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def role_in(user: Any, organization_id: uuid.UUID | None) -> str | None:
    """The user's role in one organisation, or None when not a member."""
    if organization_id is None:
        return None
    return roles_of(user).get(organization_id)


def organization_ids(user: Any, capability: Capability) -> list[uuid.UUID]:
    """Organisations in which the user's role grants ``capability``."""
    return [org_id for org_id, role in roles_of(user).items() if allows(role, capability)]


def can(user: Any, capability: Capability, organization_id: uuid.UUID | None) -> bool:
    return allows(role_in(user, organization_id), capability)


def require(user: Any, capability: Capability, organization_id: uuid.UUID | None) -> None:
    """Raise 403 unless the user's role in the organisation grants ``capability``.

    Call it only for objects the user can already see (fetched through ``scope``), so that a
    403 never reveals an object of another organisation.
    """
    if not can(user, capability, organization_id):
        raise PermissionDenied("Your role does not allow this.")


def scope(
    queryset: QuerySet[M],
    user: Any,
    *,
    capability: Capability,
    org_field: str = "organization",
) -> QuerySet[M]:
    """Restrict ``queryset`` to the organisations where the user's role grants ``capability``.

    ``org_field`` is the lookup path from the model to its organisation (``"organization"``,
    ``"ward__organization"``, ``"admission__patient__organization"``…).
    """
    ids = organization_ids(user, capability)
    if not ids:
        return queryset.none()
    return queryset.filter(**{f"{org_field}__in": ids})


def require_visible(user: Any, capability: Capability, organization_id: uuid.UUID | None) -> None:
    """Raise 404 unless the user's role in the organisation grants ``capability``: for one
    object read by its key without ``scope`` (a query compiled once cannot take the scope's
    list of organisations), answering exactly as ``get_for_user`` would."""
    if not can(user, capability, organization_id):
        raise Http404


def get_for_user(
    queryset: QuerySet[M],
    user: Any,
    *,
    capability: Capability,
    org_field: str = "organization",
    **lookup: Any,
) -> M:
    """Fetch one object the user may see, or raise 404 (also for another organisation's)."""
    try:
        return scope(queryset, user, capability=capability, org_field=org_field).get(**lookup)
    except (ObjectDoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
