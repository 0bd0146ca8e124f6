"""ASGI lifespan: runs the overdue sweep inside the server process.

With the in-memory channel layer (no Redis) only this process can reach the open
websockets, so the sweep must run here for `alert.overdue` to arrive live. With Redis it
still works, and several instances do not alert twice (the sweep locks its rows).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings

logger = logging.getLogger("careboard.sweep")


def _housekeeping() -> int:
    """The periodic work of one server: overdue alerts, and forgetting old Idempotency-Keys
    (otherwise their replay store grows with every create)."""
    from careboard.core.idempotency import forget_expired
    from careboard.patients.overdue import sweep_overdue

    count = sweep_overdue()
    forget_expired()
    return count


async def _sweep_forever(interval: float) -> None:
    while True:
        await asyncio.sleep(interval)
        try:
            # thread_sensitive: the events it publishes go out on this server's event loop.
            count = await sync_to_async(_housekeeping, thread_sensitive=True)()
        except Exception:  # a failed sweep must not stop the next one
            logger.exception("overdue sweep failed")
        else:
            if count:
                logger.info("overdue sweep sent %d alert(s)", count)


class OverdueSweepLifespan:
    """The ``lifespan`` protocol application: starts and stops the sweep task."""

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        task: asyncio.Task[None] | None = None
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                interval = settings.OVERDUE_SWEEP_SECONDS
                if interval > 0:
                    task = asyncio.create_task(_sweep_forever(interval))
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if task is not None:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
                await send({"type": "lifespan.shutdown.complete"})
                return
