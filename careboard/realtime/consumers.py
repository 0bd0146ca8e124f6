"""The board's websocket: authenticate, check access with the same helpers as the API,
join groups, forward events. It never writes to the database."""

from __future__ import annotations

import contextlib
import json
import logging
import uuid
from typing import Any

from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.db import InterfaceError, OperationalError
from django.http import Http404
from redis.exceptions import RedisError

from careboard.core import metrics
from careboard.organizations import access
from careboard.organizations.models import Organization, Ward
from careboard.organizations.roles import Capability
from careboard.realtime.database import database_sync_to_async
from careboard.realtime.publish import organization_group, user_group, ward_group
from careboard.users.models import ApiToken, User

logger = logging.getLogger(__name__)

# Close codes in the private range (4000-4999): 4401 = not authenticated.
CLOSE_UNAUTHENTICATED = 4401
# RFC 6455's "service restart": the channel layer (Redis) or the database cannot be reached.
# The client reconnects with back-off and reloads what it shows: the events published
# meanwhile are lost, and so are this connection's subscriptions.
CLOSE_SERVICE_RESTART = 1012
# Raised by channels_redis (redis-py) when Redis is down, and by the access checks when the
# database is: either way the connection cannot go on, but it can come back.
SERVICE_ERRORS = (RedisError, OSError, OperationalError, InterfaceError)


@database_sync_to_async
def _ward_visible(user: Any, ward_id: str) -> bool:
    # A connection lives for hours: read the memberships again for every subscription, so
    # a user removed from an organisation cannot subscribe to its wards any more.
    access.forget_roles(user)
    try:
        access.get_for_user(
            Ward.objects.all(), user, capability=Capability.PATIENT_VIEW, pk=uuid.UUID(ward_id)
        )
    except (Http404, ValueError, TypeError):
        return False
    return True


@database_sync_to_async
def _organization_visible(user: Any, organization_id: str) -> bool:
    access.forget_roles(user)
    try:
        access.get_for_user(
            Organization.objects.all(),
            user,
            capability=Capability.PATIENT_VIEW,
            org_field="pk",
            pk=uuid.UUID(organization_id),
        )
    except (Http404, ValueError, TypeError):
        return False
    return True


@database_sync_to_async
def _still_signed_in(user: Any, token_id: Any) -> bool:
    """The user is still active and, for a token connection, the token still valid."""
    if not User.objects.filter(pk=user.pk, is_active=True).exists():
        return False
    return token_id is None or ApiToken.objects.active().filter(pk=token_id).exists()


class BoardConsumer(AsyncJsonWebsocketConsumer):
    """Client messages: ``{"action": "subscribe" | "unsubscribe", "ward": id}`` or
    ``{"action": ..., "organization": id}`` (every ward of it, for the critical list);
    ``{"action": "ping"}``. Server messages: ``subscribed``, ``unsubscribed``, ``error``,
    ``pong`` and the events (``observation.recorded``, ``observation.amended``,
    ``admission.changed``, ``alert.overdue``). Closed with 4401 when not authenticated (or
    no longer: user deactivated, token revoked), and with 1012 when Redis or the database is
    unreachable (reconnect with back-off). When the user's access changes, subscriptions to
    what they may no longer see end with ``{"type": "unsubscribed", ..., "reason": "access"}``.
    """

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await super().__call__(scope, receive, send)
        except SERVICE_ERRORS as exc:
            # Without this the server drops the TCP connection (the browser sees 1006, like a
            # network failure) and the client cannot tell that it should come back.
            logger.warning(
                "closing a websocket with %d: %s", CLOSE_SERVICE_RESTART, type(exc).__name__
            )
            # The client may be gone already; there is nobody left to tell.
            with contextlib.suppress(Exception):
                await send(
                    {
                        "type": "websocket.close",
                        "code": CLOSE_SERVICE_RESTART,
                        "reason": "Live updates interrupted; reconnect.",
                    }
                )
        finally:
            # Ended without a disconnect (an outage above): no longer open either way.
            metrics.websocket_closed(self)

    async def connect(self) -> None:
        # Subscribed group -> ("ward" | "organization", id), to re-check when access changes.
        self.subscriptions: dict[str, tuple[str, str]] = {}
        self.groups_joined: set[str] = set()
        # A client that offered the bearer subprotocol must get it back, or the browser
        # fails the handshake before it can read any close code.
        subprotocol = "bearer" if self.scope.get("auth") == "token" else None
        await self.accept(subprotocol=subprotocol)
        metrics.websocket_opened(self)
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            # Accept, then close: a close before the handshake completes reaches the client
            # as a bare HTTP 403 (close code 1006 in a browser), and the client could not
            # tell "log in again" from a network failure.
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        group = user_group(user.pk)
        await self.channel_layer.group_add(group, self.channel_name)
        self.groups_joined.add(group)

    async def disconnect(self, code: int) -> None:
        metrics.websocket_closed(self)
        for group in getattr(self, "groups_joined", set()):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive(
        self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any
    ) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            return  # closing (see connect): answer nothing
        if text_data is None:
            await self.send_json({"type": "error", "detail": "Send a JSON object."})
            return
        await super().receive(text_data=text_data, **kwargs)

    @classmethod
    async def decode_json(cls, text_data: str) -> Any:
        try:
            return json.loads(text_data)
        except ValueError:
            return None  # answered by receive_json like any other non-object

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict):
            await self.send_json({"type": "error", "detail": "Send a JSON object."})
            return
        action = content.get("action")
        if action == "ping":
            await self.send_json({"type": "pong"})
            return
        if action not in ("subscribe", "unsubscribe"):
            await self.send_json({"type": "error", "detail": "Unknown action."})
            return
        user = self.scope["user"]
        if "ward" in content:
            target, key = str(content["ward"]), "ward"
            visible = await _ward_visible(user, target)
            group = ward_group(target)
        elif "organization" in content:
            target, key = str(content["organization"]), "organization"
            visible = await _organization_visible(user, target)
            group = organization_group(target)
        else:
            await self.send_json({"type": "error", "detail": "Name a ward or organization."})
            return
        if not visible:
            # The same answer for "does not exist" and "not yours".
            await self.send_json({"type": "error", key: target, "detail": "Not found."})
            return
        if action == "subscribe":
            await self.channel_layer.group_add(group, self.channel_name)
            self.groups_joined.add(group)
            self.subscriptions[group] = (key, target)
            await self.send_json({"type": "subscribed", key: target})
        else:
            await self._leave(group)
            await self.send_json({"type": "unsubscribed", key: target})

    async def _leave(self, group: str) -> None:
        await self.channel_layer.group_discard(group, self.channel_name)
        self.groups_joined.discard(group)
        self.subscriptions.pop(group, None)

    async def careboard_access_changed(self, message: dict[str, Any]) -> None:
        """The user's roles, memberships or token changed: keep only what they may still see."""
        user = self.scope["user"]
        if not await _still_signed_in(user, self.scope.get("token_id")):
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        for group, (key, target) in list(self.subscriptions.items()):
            check = _ward_visible if key == "ward" else _organization_visible
            if not await check(user, target):
                await self._leave(group)
                await self.send_json({"type": "unsubscribed", key: target, "reason": "access"})

    async def careboard_event(self, message: dict[str, Any]) -> None:
        await self.send_json(message["event"])
