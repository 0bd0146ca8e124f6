"""Export jobs: a patient's export (``export.patient_export``) built off the request.

``POST /patients/{id}/export/`` makes a job; a Celery worker builds the document
(``BACKGROUND_JOBS=celery``), or the request builds it at once (``inprocess``). The job and
its document live in the cache, nowhere else, for ``EXPORT_JOB_TTL_SECONDS`` from the
request, and then are gone: an export is a copy of a health record, and the fewer places
and the shorter time it is kept, the better. Only the admin who asked may read the job or
download it, and only while their role still allows exports in that organisation
(``export_job_get_for_user``).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
import zlib
from dataclasses import asdict, dataclass, replace
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import models
from django.utils import timezone
from rest_framework.exceptions import NotFound
from rest_framework.utils.encoders import JSONEncoder

from careboard.organizations import access
from careboard.organizations.roles import Capability
from careboard.patients.models import Patient
from careboard.privacy import export
from careboard.users.models import User

logger = logging.getLogger(__name__)


class ExportJobStatus(models.TextChoices):
    PENDING = "pending"
    READY = "ready"
    FAILED = "failed"


@dataclass(frozen=True)
class ExportJob:
    id: uuid.UUID
    patient_id: uuid.UUID
    organization_id: uuid.UUID
    requested_by_id: int
    requested_at: dt.datetime
    expires_at: dt.datetime
    status: str = ExportJobStatus.PENDING
    size: int | None = None  # of the JSON document, in bytes, once ready


def _key(job_id: uuid.UUID) -> str:
    return f"export-job:{job_id}"


def _document_key(job_id: uuid.UUID) -> str:
    return f"export-job:{job_id}:document"


def _ttl(job: ExportJob) -> int:
    """Seconds the cache keeps the job's entries: until the job expires."""
    return max(1, int((job.expires_at - timezone.now()).total_seconds()))


def _save(job: ExportJob) -> None:
    cache.set(_key(job.id), asdict(job), timeout=_ttl(job))


def export_job_get(job_id: uuid.UUID) -> ExportJob | None:
    """The job, or None when unknown, deleted or expired."""
    stored = cache.get(_key(job_id))
    if stored is None:
        return None
    job = ExportJob(**stored)
    # The cache's timeout is whole seconds; the job's own time is what was promised.
    return job if job.expires_at > timezone.now() else None


def export_job_create(*, patient: Patient, by: User, now: dt.datetime | None = None) -> ExportJob:
    """A pending job for ``patient``, asked for by ``by`` (whose rights the caller checked)."""
    now = now or timezone.now()
    job = ExportJob(
        id=uuid.uuid4(),
        patient_id=patient.pk,
        organization_id=patient.organization_id,
        requested_by_id=by.pk,
        requested_at=now,
        expires_at=now + dt.timedelta(seconds=settings.EXPORT_JOB_TTL_SECONDS),
    )
    _save(job)
    return job


def export_job_build(job_id: uuid.UUID) -> ExportJob | None:
    """Build the document of a pending job and store it beside the job. Does nothing for a
    job that is gone or already built, so a second delivery of the task is harmless."""
    job = export_job_get(job_id)
    if job is None or job.status != ExportJobStatus.PENDING:
        return job
    try:
        patient = Patient.objects.select_related("organization").get(pk=job.patient_id)
        by = User.objects.get(pk=job.requested_by_id)
        document = export.patient_export(patient=patient, by=by)
        data = json.dumps(document, cls=JSONEncoder, ensure_ascii=False).encode()
    except Exception:  # including the task's soft time limit
        # Logged by id only: the document and the patient's data stay out of the logs. The
        # job says "failed"; the admin may ask again.
        logger.exception("export job %s failed", job.id)
        if export_job_get(job_id) is None:  # deleted meanwhile
            return None
        failed = replace(job, status=ExportJobStatus.FAILED)
        _save(failed)
        return failed
    if export_job_get(job_id) is None:  # deleted (or expired) while it was being built
        return None
    cache.set(_document_key(job.id), zlib.compress(data), timeout=_ttl(job))
    ready = replace(job, status=ExportJobStatus.READY, size=len(data))
    _save(ready)
    return ready


def export_job_document(job: ExportJob) -> bytes | None:
    """The JSON document of a ready job (None if it expired in the meantime)."""
    compressed = cache.get(_document_key(job.id))
    return zlib.decompress(compressed) if compressed is not None else None


def export_job_delete(job: ExportJob) -> None:
    """Forget the job and its document now, before they expire."""
    cache.delete_many([_key(job.id), _document_key(job.id)])


def export_job_get_for_user(*, user: Any, job_id: uuid.UUID) -> ExportJob:
    """The job, if ``user`` asked for it and may still export in its organisation; 404
    otherwise (another admin's job is not theirs to read)."""
    job = export_job_get(job_id)
    if (
        job is None
        or not getattr(user, "is_authenticated", False)
        or job.requested_by_id != user.pk
        or not access.can(user, Capability.PATIENT_EXPORT, job.organization_id)
    ):
        raise NotFound("No such export.")
    return job
