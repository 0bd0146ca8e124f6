"""Websocket authentication and routes.

A websocket connects with the browser session (cookie) or, for programs, an API token in the
``Sec-WebSocket-Protocol`` header (``bearer, <token>``) — browsers cannot set Authorization on
websockets. Routes come from ``careboard/realtime/routing.py``.
"""

from __future__ import annotations

from typing import Any

from channels.auth import AuthMiddlewareStack
from channels.middleware import BaseMiddleware
from channels.security.websocket import OriginValidator as ChannelsOriginValidator
from django.contrib.auth.models import AnonymousUser
from rest_framework.exceptions import AuthenticationFailed

from careboard.realtime.database import database_sync_to_async


def _routes() -> list[Any]:
    from careboard.realtime.routing import websocket_urlpatterns as realtime

    return [*realtime]


websocket_urlpatterns = _routes()


@database_sync_to_async
def _user_for_token(secret: str) -> tuple[Any, Any]:
    """The token's user and the token's id (kept to re-check it when access changes)."""
    from careboard.users.authentication import user_for_token

    try:
        user, token = user_for_token(secret)
    except AuthenticationFailed:
        return AnonymousUser(), None
    return user, token.pk


class _BearerSubprotocolMiddleware(BaseMiddleware):
    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        protocols = [p.strip() for p in scope.get("subprotocols", [])]
        if len(protocols) >= 2 and protocols[0].lower() == "bearer":
            user, token_id = await _user_for_token(protocols[1])
            scope = dict(scope, user=user, auth="token", token_id=token_id)
        return await super().__call__(scope, receive, send)


class _AllowedHostsOrNoOrigin(ChannelsOriginValidator):
    """Browsers always send Origin, and it must be one of ALLOWED_HOSTS (no cross-site use of
    the session cookie). Programs using a bearer token usually send none: allowed, since
    they authenticate with the token, not with an ambient cookie."""

    def valid_origin(self, parsed_origin: Any) -> bool:
        return parsed_origin is None or super().valid_origin(parsed_origin)


def OriginValidator(inner: Any) -> Any:  # noqa: N802  (reads like a class)
    from django.conf import settings

    allowed = list(settings.ALLOWED_HOSTS)
    if settings.DEBUG and not allowed:
        allowed = ["localhost", "127.0.0.1", "[::1]"]
    return _AllowedHostsOrNoOrigin(inner, allowed)


def TokenOrSessionAuthMiddleware(inner: Any) -> Any:  # noqa: N802  (reads like a class)
    """Session auth first; a bearer subprotocol, when given, replaces the session user."""
    return AuthMiddlewareStack(_BearerSubprotocolMiddleware(inner))
