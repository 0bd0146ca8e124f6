"""`Authorization: Bearer <token>` authentication for DRF."""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS
from django.utils import timezone
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from careboard.core.prepared import PreparedQuery
from careboard.users import tokens
from careboard.users.models import ApiToken, User
from careboard.users.services import api_token_touch

_TOKEN_FIELDS = [f.attname for f in ApiToken._meta.concrete_fields]
_USER_FIELDS = [f.attname for f in User._meta.concrete_fields]
# Every API request starts here: the token and its user in one query compiled once (see
# careboard.core.prepared). Never cached: a revoked token must stop working at once.
_TOKEN_WITH_USER = PreparedQuery(
    lambda key_hash: (
        ApiToken.objects.filter(key_hash=key_hash)
        .order_by()
        .values_list(*_TOKEN_FIELDS, *(f"user__{name}" for name in _USER_FIELDS))
    ),
    key_hash=str,
)


def _token_by_hash(key_hash: str) -> ApiToken | None:
    """The token with this hash (``key_hash`` is unique) and its user, or None."""
    for row in _TOKEN_WITH_USER.rows(key_hash=key_hash):
        split = len(_TOKEN_FIELDS)
        token = ApiToken.from_db(DEFAULT_DB_ALIAS, _TOKEN_FIELDS, row[:split])
        token.user = User.from_db(DEFAULT_DB_ALIAS, _USER_FIELDS, row[split:])
        return token
    return None


def user_for_token(secret: str) -> tuple[User, ApiToken]:
    """The active user a token secret belongs to; raises AuthenticationFailed otherwise.

    Used by the REST API and the websocket consumers alike.
    """
    token = _token_by_hash(tokens.digest(secret))
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
