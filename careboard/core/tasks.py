"""Celery tasks of the platform: forgetting expired Idempotency-Keys (scheduled by beat)."""

from __future__ import annotations

from celery import shared_task

from careboard.core import idempotency


# celery ships no type information: shared_task is Any to mypy, as is the task it makes.
@shared_task(  # type: ignore[untyped-decorator]
    name="careboard.core.tasks.forget_expired_idempotency_keys", soft_time_limit=240, time_limit=300
)
def forget_expired_idempotency_keys() -> int:
    """Delete the replay records older than ``idempotency.RETENTION``; one DELETE, so
    running it twice or on two workers at once deletes nothing twice."""
    return idempotency.forget_expired()
