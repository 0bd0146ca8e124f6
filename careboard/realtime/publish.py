"""The one helper services use to publish live events: sent after the transaction commits,
so a rolled-back write never produces an event."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from careboard.core import metrics

logger = logging.getLogger(__name__)


def ward_group(ward_id: Any) -> str:
    return f"ward.{ward_id}"


def organization_group(organization_id: Any) -> str:
    return f"org.{organization_id}"


def user_group(user_id: Any) -> str:
    """Every open connection of a user joins this group, to hear that its access changed."""
    return f"user.{user_id}"


# Internal message type: handled by the consumer, never forwarded to the client as such.
ACCESS_CHANGED = "careboard.access_changed"


def access_changed_after_commit(user_id: Any) -> None:
    """Tell the user's open connections, after commit, to check their subscriptions again.

    Called by the services that take access away (a role changed, a membership removed, a
    token revoked): a connection lives for hours and must not keep receiving a ward's
    events once its user may no longer see that ward.
    """
    transaction.on_commit(
        lambda: _send(
            [user_group(user_id)],
            {"type": ACCESS_CHANGED},
            what=f"the access change of user {user_id}",
        )
    )


def send_now(groups: Iterable[str], event: dict[str, Any]) -> None:
    """Send ``event`` to every group at once (call only after commit, from sync code)."""
    ok = _send(groups, _event_message(event), what=event.get("type"))
    if ok is not None:
        metrics.event_published(event.get("type"), ok=ok)


def _send(groups: Iterable[str], message: dict[str, Any], *, what: Any) -> bool | None:
    """Send ``message`` to each group once; ``what`` names it in the logs. Whether every
    group took it (None: no channel layer, nothing sent). Never raises: the write that
    sends has succeeded, and a lost message must not fail it."""
    layer = get_channel_layer()
    if layer is None:
        return None
    try:
        # One event loop (and, with Redis, one connection) for all the groups, not one each.
        failed = async_to_sync(_send_all)(layer, list(dict.fromkeys(groups)), message, what)
    except Exception:  # a broken channel layer must not fail the write that sends
        logger.exception("could not publish %s", what)
        return False
    return not failed


def _event_message(event: dict[str, Any]) -> dict[str, Any]:
    """The channel-layer message that carries an event to the consumers' ``careboard_event``."""
    return {"type": "careboard.event", "event": event}


def send_many(events: list[tuple[list[str], dict[str, Any]]]) -> None:
    """``send_now`` for many (groups, event) pairs over one event loop (and, with Redis,
    one connection): a bulk write's hundreds of events cost one connection, not one each."""
    layer = get_channel_layer()
    if layer is None or not events:
        return
    try:
        failures = async_to_sync(_send_each)(layer, events)
    except Exception:  # a broken channel layer must not fail the clinical write
        logger.exception("could not publish %d events", len(events))
        failures = [1] * len(events)
    for (_groups, event), failed in zip(events, failures, strict=True):
        metrics.event_published(event.get("type"), ok=not failed)


async def _send_each(layer: Any, events: list[tuple[list[str], dict[str, Any]]]) -> list[int]:
    return [
        await _send_all(layer, list(dict.fromkeys(g)), _event_message(event), event.get("type"))
        for g, event in events
    ]


async def _send_all(layer: Any, groups: list[str], message: dict[str, Any], what: Any) -> int:
    """Send to each group; the number of groups the layer did not take."""
    failed = 0
    for group in groups:
        try:
            await layer.group_send(group, message)
        except Exception:  # one unreachable group must not keep the message from the others
            logger.exception("could not publish %s to %s", what, group)
            failed += 1
    return failed


def publish_after_commit(build: Callable[[], tuple[list[str], dict[str, Any]] | None]) -> None:
    """Schedule ``build`` to run after commit; it returns (groups, event) or None to skip.

    Building after commit reads what was committed, never a half-written state.
    """

    def run() -> None:
        built = build()
        if built is not None:
            send_now(*built)

    transaction.on_commit(run)
