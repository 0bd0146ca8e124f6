"""ASGI lifespan: the periodic housekeeping inside the server process, when no Celery runs.

With ``BACKGROUND_JOBS=inprocess`` (the default) the server itself runs, every
``OVERDUE_SWEEP_SECONDS``, the overdue sweep and the expiry of old Idempotency-Keys, and
every ``RETENTION_SWEEP_SECONDS`` (first at the first tick after start) the retention
erasure. With the in-memory channel layer (no Redis) only this process can reach the open
websockets, so the sweep must run here for ``alert.overdue`` to arrive live. Several
instances doing the same do not alert or erase twice (the sweep locks its rows; retention
runs one at a time).

With ``BACKGROUND_JOBS=celery`` beat schedules the same functions for the workers
(``CELERY_BEAT_SCHEDULE``) and the server starts no loop, so nothing runs twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings

logger = logging.getLogger("careboard.sweep")


@dataclass(frozen=True)
class InProcessSchedule:
    """Seconds between runs; 0: that part is off."""

    sweep: float
    retention: float

    @property
    def tick(self) -> float:
        """How often the loop wakes: the sweep's interval, or retention's without a sweep."""
        return self.sweep if self.sweep > 0 else self.retention


def inprocess_schedule() -> InProcessSchedule | None:
    """What this server runs itself; None when Celery does it (or everything is off)."""
    if settings.BACKGROUND_JOBS != "inprocess":
        return None
    schedule = InProcessSchedule(
        sweep=max(settings.OVERDUE_SWEEP_SECONDS, 0.0),
        retention=max(settings.RETENTION_SWEEP_SECONDS, 0.0),
    )
    return schedule if schedule.tick > 0 else None


def _housekeeping() -> int:
    """The frequent work: overdue alerts, and forgetting old Idempotency-Keys (otherwise
    their replay store grows with every create)."""
    from careboard.core.idempotency import forget_expired
    from careboard.patients.overdue import sweep_overdue

    count = sweep_overdue()
    forget_expired()
    return count


def _retention() -> None:
    from django.db import close_old_connections

    from careboard.privacy.tasks import retention_run

    try:
        retention_run()
    finally:
        # This runs on a thread of its own: do not leave its connection open.
        close_old_connections()


async def _housekeeping_forever(schedule: InProcessSchedule) -> None:
    next_retention = time.monotonic()
    while True:
        await asyncio.sleep(schedule.tick)
        if schedule.sweep > 0:
            try:
                # thread_sensitive: the events it publishes go out on this server's event loop.
                count = await sync_to_async(_housekeeping, thread_sensitive=True)()
            except Exception:  # a failed sweep must not stop the next one
                logger.exception("overdue sweep failed")
            else:
                if count:
                    logger.info("overdue sweep sent %d alert(s)", count)
        if schedule.retention > 0 and time.monotonic() >= next_retention:
            next_retention = time.monotonic() + schedule.retention
            try:
                # Not on the thread that runs the sync views: erasing many patients must not
                # hold up the requests.
                await sync_to_async(_retention, thread_sensitive=False)()
            except Exception:
                logger.exception("retention failed")


class OverdueSweepLifespan:
    """The ``lifespan`` protocol application: starts and stops the housekeeping task."""

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        task: asyncio.Task[None] | None = None
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                schedule = inprocess_schedule()
                if schedule is not None:
                    task = asyncio.create_task(_housekeeping_forever(schedule))
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if task is not None:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
                await send({"type": "lifespan.shutdown.complete"})
                return
