"""Authentication of the patient portal: ``Authorization: Bearer cbp_…``.

Portal tokens and staff tokens are kept apart on purpose:

- a portal token starts with ``cbp_`` (``PORTAL_TOKEN_PREFIX``), a staff token with
  ``cbt_``; each authentication class refuses the other's tokens;
- ``PortalTokenAuthentication`` is used only by the portal views, which accept nothing
  else (no staff token, no session); staff views never list it, so a portal token there
  is an unknown bearer token (401);
- the principal it returns, ``PortalPatient``, is not a ``User``: it has no membership,
  so ``careboard.organizations.access`` grants it nothing, even if it reached a staff view.

A portal token opens exactly one assignment (``request.auth.assignment``).
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions
from rest_framework.request import Request

from careboard.builder.assignments import PORTAL_TOKEN_PREFIX, portal_token_touch
from careboard.builder.models import Assignment, AssignmentStatus, PortalToken
from careboard.organizations.models import Organization
from careboard.patients.models import Patient
from careboard.users.tokens import digest

REALM = 'Bearer realm="portal"'

# Of the organisation and the patient the portal reads only the time zone and the language:
# the other columns (the patient's name, hospital number, contacts) are not loaded at all,
# which keeps personal data out of the portal's requests and the lookup cheaper.
_NOT_READ = tuple(
    f"assignment__{relation}__{field.name}"
    for relation, model, kept in (
        ("organization", Organization, {"time_zone"}),
        ("patient", Patient, {"preferred_language"}),
    )
    for field in model._meta.concrete_fields
    if not field.primary_key and field.name not in kept
)


class PortalPatient:
    """The caller of a portal endpoint: the patient of one assignment, known by a token."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False

    def __init__(self, token: PortalToken) -> None:
        self.token = token
        self.assignment: Assignment = token.assignment
        # The throttles key on ``pk``: one bucket per assignment, apart from staff users.
        self.pk = f"portal:{token.assignment_id}"
        self.id = self.pk

    def __str__(self) -> str:
        return f"Portal patient of {self.assignment.pk}"


def token_for_secret(secret: str) -> PortalToken:
    """The live portal token ``secret`` belongs to; raises AuthenticationFailed otherwise."""
    if not secret.startswith(PORTAL_TOKEN_PREFIX):
        raise exceptions.AuthenticationFailed("Not a portal token.")
    # One query, read afresh on every request (never cached: a revocation acts at once).
    # ``get`` on the unique hash, not ``first``: no ORDER BY to build or run.
    try:
        token = (
            PortalToken.objects.select_related("assignment__organization", "assignment__patient")
            .defer(*_NOT_READ)
            .get(token_hash=digest(secret))
        )
    except PortalToken.DoesNotExist as exc:
        raise exceptions.AuthenticationFailed("Invalid token.") from exc
    if token.revoked_at is not None:
        raise exceptions.AuthenticationFailed("This link was replaced or withdrawn.")
    if token.assignment.status != AssignmentStatus.ACTIVE:
        raise exceptions.AuthenticationFailed("This program has ended.")
    if token.expires_at <= timezone.now():
        raise exceptions.AuthenticationFailed("This link has expired.")
    # GDPR: a patient who withdrew consent to the home program is not served by the portal.
    from careboard.privacy.services import program_consent_withdrawn

    if program_consent_withdrawn(token.assignment.patient):
        raise exceptions.AuthenticationFailed("Consent to the home program was withdrawn.")
    portal_token_touch(token=token)
    return token


class PortalTokenAuthentication(authentication.BaseAuthentication):
    """Bearer authentication with portal tokens only (see the module docstring)."""

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[PortalPatient, PortalToken] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                "Invalid Authorization header: expected 'Bearer <token>'."
            )
        try:
            secret = header[1].decode()
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed("Invalid token.") from exc
        token = token_for_secret(secret)
        return PortalPatient(token), token

    def authenticate_header(self, request: Request) -> str:
        return REALM


class IsPortalPatient(permissions.BasePermission):
    """Only a caller authenticated with a portal token."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.auth, PortalToken) and isinstance(request.user, PortalPatient)


class PortalTokenScheme(OpenApiAuthenticationExtension):
    """The portal's own security scheme in the OpenAPI document."""

    target_class = "careboard.builder.portal_auth.PortalTokenAuthentication"
    name = "portalToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "Patient portal token (`cbp_…`), from the assignment's portal link. Opens "
                "only that assignment's portal endpoints; staff tokens are not accepted."
            ),
        }
