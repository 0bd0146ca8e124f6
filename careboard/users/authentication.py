"""`Authorization: Bearer <token>` authentication for DRF."""

from __future__ import annotations

from django.utils import timezone
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from careboard.users import tokens
from careboard.users.models import ApiToken, User
from careboard.users.services import api_token_touch


def user_for_token(secret: str) -> tuple[User, ApiToken]:
    """The active user a token secret belongs to; raises AuthenticationFailed otherwise.

    Used by the REST API and the websocket consumers alike.
    """
    token = ApiToken.objects.select_related("user").filter(key_hash=tokens.digest(secret)).first()
    # One message for every failure: do not tell a guesser which tokens exist.
    if token is None or not token.user.is_active:
        raise exceptions.AuthenticationFailed("Invalid token.")
    if token.revoked_at is not None:
        raise exceptions.AuthenticationFailed("Token revoked.")
    if token.expires_at <= timezone.now():
        raise exceptions.AuthenticationFailed("Token expired.")
    api_token_touch(token=token)
    return token.user, token


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[User, ApiToken] | None:
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
        return user_for_token(secret)

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="api"'
