"""Celery tasks of the ward: the overdue sweep (scheduled by beat, CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

import logging

from celery import shared_task

from careboard.patients import overdue

logger = logging.getLogger("careboard.sweep")


# Well inside the default 60 s interval; the sweep is one SELECT and a few UPDATEs.
# celery ships no type information: shared_task is Any to mypy, as is the task it makes.
@shared_task(  # type: ignore[untyped-decorator]
    name="careboard.patients.tasks.sweep_overdue", soft_time_limit=50, time_limit=55
)
def sweep_overdue() -> int:
    """Alert every admission that became overdue (``overdue.sweep_overdue``). Safe on
    several workers at once and when delivered twice: the sweep locks and marks its rows."""
    count = overdue.sweep_overdue()
    if count:
        logger.info("overdue sweep sent %d alert(s)", count)
    return count
