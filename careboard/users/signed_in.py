"""The signed-in user of a staff API request, as a ``User``."""

from __future__ import annotations

from django.http import HttpRequest
from rest_framework.exceptions import NotAuthenticated
from rest_framework.request import Request

from careboard.users.models import User


def signed_in_user(request: Request | HttpRequest) -> User:
    """The request's ``User``, for views behind ``IsAuthenticated``.

    ``request.user`` may also be the anonymous user (or a portal patient, on the portal's
    routes); a staff view reached without a staff account answers 401 rather than passing
    them on to a service that expects a member.
    """
    user = request.user
    if not isinstance(user, User):
        raise NotAuthenticated
    return user
