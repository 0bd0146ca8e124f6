"""Celery tasks of privacy: the retention erasure (scheduled by beat) and export jobs."""

from __future__ import annotations

import logging
import uuid

from celery import shared_task
from django.conf import settings
from django.core.cache import cache

from careboard.privacy import export_jobs, services

logger = logging.getLogger(__name__)

# An erasure run far longer than this means something is wrong; the lock then lapses.
RETENTION_TIME_LIMIT = 60 * 60 - 60
_RETENTION_LOCK = "retention-running"


def retention_run() -> list[uuid.UUID]:
    """Erase every patient whose retention period is over (``services.retention_apply``,
    as ``manage.py apply_retention``), one run at a time across every process that shares
    the cache; a run that finds another under way does nothing. Returns the ids erased."""
    years = settings.RETENTION_YEARS_AFTER_DISCHARGE
    # As the command: no retention law asks for less than a year, and 0 would erase everyone
    # discharged.
    if years < 1:
        logger.error("retention skipped: RETENTION_YEARS_AFTER_DISCHARGE must be at least 1")
        return []
    # Two runs at once would each try to erase the same patients, and the second's erasure
    # of a patient the first just erased is refused (409), ending that run part-way.
    if not cache.add(_RETENTION_LOCK, True, timeout=RETENTION_TIME_LIMIT):
        logger.info("retention skipped: another run is under way")
        return []
    try:
        erased = services.retention_apply()
    finally:
        cache.delete(_RETENTION_LOCK)
    if erased:
        # Ids only, never names (as the command prints them).
        logger.info("retention erased %d patient(s): %s", len(erased), ", ".join(map(str, erased)))
    return erased


# celery ships no type information: shared_task is Any to mypy, as is the task it makes.
@shared_task(  # type: ignore[untyped-decorator]
    name="careboard.privacy.tasks.apply_retention",
    soft_time_limit=RETENTION_TIME_LIMIT - 60,
    time_limit=RETENTION_TIME_LIMIT,
)
def apply_retention() -> list[str]:
    """The retention erasure on a worker; the ids erased."""
    return [str(patient_id) for patient_id in retention_run()]


@shared_task(  # type: ignore[untyped-decorator]  # celery is untyped, as above
    name="careboard.privacy.tasks.build_patient_export", soft_time_limit=540, time_limit=600
)
def build_patient_export(job_id: str) -> str | None:
    """Build the document of an export job (``export_jobs.export_job_build``); its status,
    or None when the job is gone."""
    job = export_jobs.export_job_build(uuid.UUID(job_id))
    return job.status if job is not None else None
